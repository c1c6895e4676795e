"""The export command (`python -m pulumi_qboxmail export`) against the emulator over real HTTP.

What it selects, the requests it makes, the three formats' content, and every refusal: one line
on stderr, exit code 1, nothing written. The round trip of its output through the plugin and the
Pulumi runtime is in test_export_roundtrip.py.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TOKEN, clean_env
from pulumi_qboxmail.emulator import DEFAULTS, Emulator
from pulumi_qboxmail.export import resource_base, run, unique_names
from pulumi_qboxmail.model import SETTINGS

RETURNED = [name for name in SETTINGS if name in DEFAULTS]
NOT_RETURNED = [name for name in SETTINGS if name not in DEFAULTS]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator(token=TOKEN)
    with emulator:
        yield emulator


def env(emulator: Emulator, **extra: str) -> dict[str, str]:
    return clean_env(**{"QBOXMAIL_API_TOKEN": TOKEN, "QBOXMAIL_ENDPOINT": emulator.url, **extra})


def export(
    emulator: Emulator, *args: str, environ: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run the command in-process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = run(
        list(args), environ=env(emulator) if environ is None else environ, stdout=out, stderr=err
    )
    return code, out.getvalue(), err.getvalue()


def fleet_of(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def comments(text: str) -> str:
    """The leading comment block, joined into one paragraph."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("# "))
    return " ".join(lines)


def test_fleet_policy_is_the_majority_value_and_domains_list_only_their_differences(
    emu: Emulator,
) -> None:
    emu.seed(
        {
            "D100000001": {"name": "a.example", "antispam_level": 3, "chat": True},
            "D100000002": {"name": "b.example", "antispam_level": 3},
            "D100000003": {"name": "c.example", "antispam_level": 1, "allow_nets": ["10.0.0.0/8"]},
            "D100000004": {"name": "d.example", "antispam_level": 3, "max_email_accounts": 40},
        }
    )
    code, out, err = export(emu)
    assert (code, err) == (0, "")
    fleet = fleet_of(out)
    assert fleet["policy"] == {**{name: DEFAULTS[name] for name in RETURNED}, "antispam_level": 3}
    assert list(fleet["policy"]) == RETURNED  # schema order
    assert fleet["domains"] == [
        {"code": "D100000001", "name": "a-example", "domain": "a.example", "overrides": {"chat": True}},
        {"code": "D100000002", "name": "b-example", "domain": "b.example", "overrides": {}},
        {
            "code": "D100000003",
            "name": "c-example",
            "domain": "c.example",
            "overrides": {"antispam_level": 1, "allow_nets": ["10.0.0.0/8"]},
        },
        {"code": "D100000004", "name": "d-example", "domain": "d.example", "overrides": {"max_email_accounts": 40}},
    ]  # fmt: skip


def test_a_tie_goes_to_the_value_whose_json_text_sorts_first(emu: Emulator) -> None:
    emu.seed(
        {
            "D100000001": {"chat": True, "max_email_accounts": 9, "allow_nets": ["192.0.2.0/24"]},
            "D100000002": {"chat": False, "max_email_accounts": 10, "allow_nets": ["10.0.0.0/8"]},
        }
    )
    policy = fleet_of(export(emu)[1])["policy"]
    # false < true, "10" < "9", ["10... < ["19...: by JSON text, not by number.
    assert (policy["chat"], policy["max_email_accounts"]) == (False, 10)
    assert policy["allow_nets"] == ["10.0.0.0/8"]


def test_a_setting_some_domains_lack_is_null_in_their_overrides(emu: Emulator) -> None:
    emu.seed({f"D10000000{n}": {"name": f"{n}.example", "dav": True} for n in range(1, 5)})
    del emu.domains["D100000004"]["antispam_level"]  # not returned for this one domain
    for code in ("D100000001", "D100000002", "D100000003"):
        del emu.domains[code]["dav"]  # returned for one domain only
    fleet = fleet_of(export(emu)[1])
    assert "dav" not in fleet["policy"] and fleet["policy"]["antispam_level"] == 2
    assert [d["overrides"] for d in fleet["domains"]] == [
        {},
        {},
        {},
        {"antispam_level": None, "dav": True},
    ]


def test_header_says_when_and_from_where_and_which_settings_the_api_does_not_return(
    emu: Emulator,
) -> None:
    emu.seed({"D100000001": {}, "D100000002": {}})
    for domain in emu.domains.values():
        del domain["meeting"]  # returned for no domain: not exported either
    before = datetime.now(timezone.utc).replace(microsecond=0)
    _, out, _ = export(emu)
    after = datetime.now(timezone.utc)
    header = comments(out)
    prefix = f"Exported by `python -m pulumi_qboxmail export` from {emu.url} at "
    assert header.startswith(prefix)
    made = datetime.strptime(header[len(prefix) :][:20], "%Y-%m-%dT%H:%M:%SZ")
    assert before <= made.replace(tzinfo=timezone.utc) <= after
    assert header[len(prefix) + 20 :].startswith(": 2 domains. ")
    missing = [name for name in SETTINGS if name in NOT_RETURNED or name == "meeting"]
    assert missing[:3] == ["catch_all_enabled", "catch_all_destination", "meeting"]
    assert (
        f"Not exported, because the API does not return them: {', '.join(missing)}. "
        "The postmaster password and the action flags are never read back either."
    ) in header
    assert "meeting" not in fleet_of(out)["policy"]
    assert "a tie goes to the value whose JSON text sorts first" in header


@pytest.mark.parametrize(
    ("name", "code", "resource"),
    [
        ("example.com", "D100000001", "example-com"),
        ("Mail.Example.COM.", "D100000001", "mail-example-com"),
        ("bücher.de", "D100000001", "xn-bcher-kva-de"),
        ("a_b  c--d", "D100000001", "a-b-c-d"),
        ("...", "D100000001", "d100000001"),
        ("", "D100000001", "d100000001"),
        ("ünï..cödé", "D100000001", "n-c-d"),  # not valid IDNA: letters outside ASCII drop out
    ],
)
def test_resource_names_are_lowercase_ascii_words_joined_by_hyphens(
    name: str, code: str, resource: str
) -> None:
    assert resource_base(name, code) == resource


def test_repeated_names_get_the_first_free_numeric_suffix() -> None:
    pairs = [("a.b", "D1"), ("a-b", "D2"), ("A.B", "D3"), ("a-b-2", "D4"), ("x", "D5")]
    assert unique_names(pairs) == ["a-b", "a-b-2", "a-b-3", "a-b-2-2", "x"]


def test_fleet_names_are_unique_and_assigned_in_name_then_code_order(emu: Emulator) -> None:
    emu.seed(
        {
            "D100000003": {"name": "shop.example"},
            "D100000001": {"name": "SHOP.example"},
            "D100000002": {"name": "alpha.example"},
            "D100000004": {"name": ""},
        }
    )
    domains = fleet_of(export(emu)[1])["domains"]
    assert [(d["name"], d["code"]) for d in domains] == [
        ("alpha-example", "D100000002"),
        ("d100000004", "D100000004"),
        ("shop-example", "D100000001"),
        ("shop-example-2", "D100000003"),
    ]


@pytest.mark.parametrize(
    ("count", "per", "pages"), [(23, 5, 5), (25, 5, 5), (23, 100, 1), (0, 7, 1)]
)
def test_n_domains_take_ceil_n_over_per_list_requests_and_no_write(
    emu: Emulator, count: int, per: int, pages: int
) -> None:
    emu.seed({f"D2{n:08d}": {"name": f"d{n}.example"} for n in range(count)})
    args = ["--per", str(per)] if per != 100 else []
    code, out, _ = export(emu, *args)
    assert code == 0
    assert len(fleet_of(out)["domains"] or []) == count
    assert [(r.method, r.path) for r in emu.requests] == [
        ("GET", f"/api/domains?page={page}&per={per}") for page in range(1, pages + 1)
    ]


def test_codes_given_are_one_get_each_in_the_order_given(emu: Emulator) -> None:
    emu.seed({f"D10000000{n}": {"antispam_level": n % 4} for n in range(1, 6)})
    code, out, _ = export(emu, "D100000004", "D100000002", "D100000004", "--format", "import")
    assert code == 0
    assert [r["id"] for r in json.loads(out)["resources"]] == ["D100000002", "D100000004"]
    assert [(r.method, r.path) for r in emu.requests] == [
        ("GET", "/api/domains/D100000004"),
        ("GET", "/api/domains/D100000002"),
    ]


def test_query_exports_only_the_domains_whose_code_or_name_matches(emu: Emulator) -> None:
    emu.seed(
        {
            "D100000001": {"name": "shop.it"},
            "D100000002": {"name": "blog.it"},
            "D100000003": {"name": "shop.es"},
        }
    )
    code, out, _ = export(emu, "--query", "shop", "--format", "import")
    assert code == 0
    assert [r["id"] for r in json.loads(out)["resources"]] == ["D100000003", "D100000001"]
    assert [r.path for r in emu.requests] == ["/api/domains?page=1&per=100&query=shop"]


def test_a_live_value_the_provider_refuses_is_left_out_and_named_in_the_header(
    emu: Emulator,
) -> None:
    emu.seed({"D100000001": {"antispam_level": 7}, "D100000002": {}, "D100000003": {}})
    code, out, _ = export(emu)
    assert code == 0
    assert (
        "Left out, because the live value breaks the provider's rule: D100000001 antispam_level: "
        "must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive); got 7."
    ) in comments(out)
    domains = fleet_of(out)["domains"]
    assert domains[0]["overrides"] == {"antispam_level": None}


def test_a_domain_whose_code_the_provider_refuses_is_left_out_whole_and_named(
    emu: Emulator,
) -> None:
    emu.seed({"DD66042061": {"name": "odd.example"}, "D100000001": {"name": "ok.example"}})
    code, out, _ = export(emu, "--format", "python")
    assert code == 0
    assert (
        "Left out, because the live value breaks the provider's rule: DD66042061 domain_code: "
        'must be D followed by exactly 9 digits, e.g. D123456789; got "DD66042061".'
    ) in comments(out)
    assert "odd" not in out.split('"""', 1)[1]
    assert out.count("QboxDomainSettings(\n") == 1


def test_a_failed_page_is_retried_with_the_clients_policy(emu: Emulator) -> None:
    emu.seed({f"D10000000{n}": {} for n in range(1, 4)})
    emu.fail_next(1, 503)
    code, out, err = export(emu, "--per", "2", environ=env(emu, QBOXMAIL_MAX_RETRY_SECONDS="5"))
    assert (code, err) == (0, "")
    assert len(fleet_of(out)["domains"]) == 3
    assert [r.path for r in emu.requests] == [
        "/api/domains?page=1&per=2",
        "/api/domains?page=1&per=2",
        "/api/domains?page=2&per=2",
    ]


REFUSED_TOKEN = (
    "qboxmail export: QboxDomainSettings domain list page 1: Qboxmail refused the API token "
    "(HTTP 401 Unauthorized). Check qboxmail:apiToken (or QBOXMAIL_API_TOKEN).\n"
)


@pytest.mark.parametrize(
    ("case", "args", "requests", "stderr"),
    [
        (
            "no token",
            [],
            0,
            "qboxmail export: qboxmail configuration QBOXMAIL_API_TOKEN: is not set; the export "
            "reads the token from it only\n",
        ),
        ("wrong token", [], 1, REFUSED_TOKEN),
        (
            "unknown code",
            ["D100000001", "D999999999"],
            2,
            "qboxmail export: QboxDomainSettings D999999999: no such domain, or it is not visible "
            "to this API token (HTTP 404 Not Found). Check domain_code and which Qboxmail account "
            "the token belongs to.\n",
        ),
        (
            "malformed code",
            ["D100000001", "D12"],
            0,
            "qboxmail export: QboxDomainSettings D12: domain_code: must be D followed by exactly "
            '9 digits, e.g. D123456789; got "D12"\n',
        ),
        (
            "page of unexpected shape",
            [],
            1,
            "qboxmail export: Qboxmail answered page 1 of the domain list (GET /api/domains) with "
            'an unexpected shape: it has no "pagination" object. Check that qboxmail:endpoint '
            "points at the Qboxmail API.\n",
        ),
    ],
)
def test_a_refusal_is_one_line_on_stderr_exit_1_and_nothing_written(
    emu: Emulator, tmp_path: Path, case: str, args: list[str], requests: int, stderr: str
) -> None:
    emu.seed({"D100000001": {}, "D100000002": {}})
    environ = env(emu)
    if case == "no token":
        del environ["QBOXMAIL_API_TOKEN"]
    if case == "wrong token":
        environ["QBOXMAIL_API_TOKEN"] = "tok-wrong"
    if case == "page of unexpected shape":
        emu.fail_next(1, 200, body={"resources": []})
    output = tmp_path / "fleet.yaml"
    code, out, err = export(emu, *args, "--output", str(output), environ=environ)
    assert (code, out, err) == (1, "", stderr)
    assert list(tmp_path.iterdir()) == []
    assert len(emu.requests) == requests
    assert all(r.method == "GET" for r in emu.requests)


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        ("missing/fleet.yaml", "the directory {tmp}/missing does not exist"),
        ("file.txt/fleet.yaml", "the directory {tmp}/file.txt does not exist"),
        (".", "it is a directory"),
    ],
)
def test_an_unwritable_output_is_refused_before_any_request(
    emu: Emulator, tmp_path: Path, where: str, problem: str
) -> None:
    (tmp_path / "file.txt").write_text("keep")
    target = tmp_path / where
    code, out, err = export(emu, "--output", str(target))
    expected = problem.format(tmp=tmp_path)
    assert (code, out) == (1, "")
    assert err == f"qboxmail export: cannot write {target}: {expected}; nothing was written\n"
    assert emu.requests == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_an_existing_output_is_kept_unless_force_is_given(emu: Emulator, tmp_path: Path) -> None:
    emu.seed({"D100000001": {"name": "kept.example"}})
    target = tmp_path / "fleet.yaml"
    target.write_text("mine\n")
    code, _, err = export(emu, "--output", str(target))
    assert code == 1
    assert err == (
        f"qboxmail export: cannot write {target}: it exists; pass --force to overwrite it; "
        "nothing was written\n"
    )
    assert target.read_text() == "mine\n" and emu.requests == []
    code, out, err = export(emu, "--output", str(target), "--force")
    assert (code, out, err) == (0, "", "")
    assert fleet_of(target.read_text())["domains"][0]["domain"] == "kept.example"
    assert [p.name for p in tmp_path.iterdir()] == ["fleet.yaml"]  # no temporary file left


def test_output_to_a_new_file_equals_what_stdout_gets(emu: Emulator, tmp_path: Path) -> None:
    emu.seed({"D100000001": {}})
    target = tmp_path / "import.json"
    assert export(emu, "--format", "import", "-o", str(target))[:2] == (0, "")
    assert export(emu, "--format", "import", "-o", "-")[1] == target.read_text()
    assert export(emu, "--format", "import")[1] == target.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["D100000001", "--query", "x"], "give domain codes or --query, not both"),
        (["--per", "0"], "--per must be at least 1"),
        (["--format", "yaml"], "argument --format: invalid choice: 'yaml'"),
    ],
)
def test_bad_arguments_are_usage_errors(
    emu: Emulator, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(args, environ=env(emu), stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert emu.requests == []


def test_progress_goes_to_stderr_only_when_it_is_a_terminal(emu: Emulator) -> None:
    emu.seed({f"D10000000{n}": {} for n in range(1, 6)})
    assert export(emu, "--per", "2")[2] == ""
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            code = run(["--per", "2"], environ=env(emu), stdout=io.StringIO(), stderr=terminal)
        shown = os.read(leader, 4096).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 0
    assert shown.split("\r")[1:] == [
        "qboxmail export: page 1/3, 2 domains\x1b[K",
        "qboxmail export: page 2/3, 4 domains\x1b[K",
        "qboxmail export: page 3/3, 5 domains\x1b[K",
        "\n",  # the terminal turned the final newline into \r\n
    ]


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "pulumi_qboxmail", "export"],
        [str(Path(sys.executable).parent / "qboxmail-export")],
    ],
    ids=["python -m", "console script"],
)
def test_the_command_runs_as_a_module_and_as_a_console_script(
    emu: Emulator, command: list[str]
) -> None:
    emu.seed({"D100000001": {"name": "cli.example"}})
    result = subprocess.run(
        [*command, "--format", "import"], env=env(emu), capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["resources"][0]["name"] == "cli-example"
    assert TOKEN not in result.stdout


def test_the_token_is_nowhere_in_any_format_or_error(emu: Emulator) -> None:
    emu.seed({"D100000001": {}})
    texts = [
        text for fmt in ("fleet", "python", "import") for text in export(emu, "--format", fmt)[1:]
    ]
    texts += export(emu, environ=env(emu, QBOXMAIL_API_TOKEN="tok-wrong-SENTINEL"))[1:]
    assert all(texts[0:6:2])
    assert not [text for text in texts if TOKEN in text or "SENTINEL" in text]
