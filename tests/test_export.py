"""The export command (`python -m pulumi_qboxmail export`) against the emulator over real HTTP.

What it selects, the requests it makes, the three formats' content, and every refusal: one line
on stderr, exit code 1, nothing written. The round trip of its output through the plugin and the
Pulumi runtime is in test_export_roundtrip.py.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import json
import os
import pty
import select
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TOKEN, clean_env
from pulumi_qboxmail.emulator import DEFAULTS, Emulator
from pulumi_qboxmail.export import (
    FORMATS,
    Source,
    build,
    project_keys,
    render_yaml,
    resource_base,
    run,
    unique_names,
)
from pulumi_qboxmail.model import PULUMI_NAMES, SETTINGS

RETURNED = [name for name in SETTINGS if name in DEFAULTS]
NOT_RETURNED = [name for name in SETTINGS if name not in DEFAULTS]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator(token=TOKEN)
    with emulator:
        yield emulator


@pytest.fixture(autouse=True)
def outside_any_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no Pulumi.yaml is above (the repository root has one): environment only."""
    monkeypatch.chdir(tmp_path)


def wrote(count: int, emulator: Emulator, fmt: str = "fleet", to: str = "stdout") -> str:
    """The one line a successful export prints on stderr."""
    return (
        f"qboxmail export: wrote {count} domain{'' if count == 1 else 's'} ({fmt}) to {to}, "
        f"read from {emulator.url} as set by QBOXMAIL_ENDPOINT\n"
    )


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
    assert (code, err) == (0, wrote(4, emu))
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
    args = (["--per", str(per)] if per != 100 else []) + (["--allow-empty"] if not count else [])
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
    assert (code, err) == (0, wrote(3, emu))
    assert len(fleet_of(out)["domains"]) == 3
    assert [r.path for r in emu.requests] == [
        "/api/domains?page=1&per=2",
        "/api/domains?page=1&per=2",
        "/api/domains?page=2&per=2",
    ]


REFUSED_TOKEN = (
    "qboxmail export: QboxDomainSettings domain list page 1: Qboxmail refused the API token "
    "(HTTP 401 Unauthorized). Check QBOXMAIL_API_TOKEN.\n"
)


@pytest.mark.parametrize(
    ("case", "args", "requests", "stderr"),
    [
        (
            "no token",
            [],
            0,
            "qboxmail export: qboxmail configuration QBOXMAIL_API_TOKEN: is not set; outside a "
            "Pulumi project the export reads the token from it only\n",
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
            'an unexpected shape: it has no "pagination" object. Check that QBOXMAIL_ENDPOINT '
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
    assert (code, out, err) == (0, "", wrote(1, emu, to=str(target)))
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
        (["--format", "toml"], "argument --format: invalid choice: 'toml'"),
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
    assert export(emu, "--per", "2")[2] == wrote(5, emu)
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            code = run(["--per", "2"], environ=env(emu), stdout=io.StringIO(), stderr=terminal)
        chunks = []
        while select.select([leader], [], [], 0.5)[0]:  # all of it, however it is chunked
            chunks.append(os.read(leader, 4096))
        shown = b"".join(chunks).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 0
    assert shown.split("\r")[1:] == [
        "qboxmail export: page 1/3, 2 domains\x1b[K",
        "qboxmail export: page 2/3, 4 domains\x1b[K",
        "qboxmail export: page 3/3, 5 domains\x1b[K",
        "\n" + wrote(5, emu)[:-1],  # the terminal turned each newline into \r\n
        "\n",
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
    assert (result.returncode, result.stderr) == (0, wrote(1, emu, "import"))
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


# ---- where the output goes: never replacing what is not a regular file --------------------------


def read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(path, "rb") as fifo:
            into.append(fifo.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["", "--force"])
def test_a_fifo_is_written_into_never_replaced(
    emu: Emulator, tmp_path: Path, force: list[str]
) -> None:
    emu.seed({"D100000001": {}})
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    thread = read_fifo(fifo, got)
    code, _, err = export(emu, "--format", "import", "-o", str(fifo), *force)
    thread.join(10)
    assert (code, err) == (0, wrote(1, emu, "import", str(fifo)))
    assert got == [export(emu, "--format", "import")[1].encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.fifo"]


def test_a_link_to_a_fifo_is_written_through(emu: Emulator, tmp_path: Path) -> None:
    emu.seed({"D100000001": {}})
    os.mkfifo(tmp_path / "real.fifo")
    (tmp_path / "link").symlink_to(tmp_path / "real.fifo")
    got: list[bytes] = []
    thread = read_fifo(tmp_path / "real.fifo", got)
    assert export(emu, "-o", str(tmp_path / "link"), "--force")[0] == 0
    thread.join(10)
    assert yaml.safe_load(got[0])["domains"][0]["code"] == "D100000001"
    assert (tmp_path / "link").is_symlink()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can make a character device")
def test_a_character_device_is_written_into_never_replaced(emu: Emulator, tmp_path: Path) -> None:
    emu.seed({"D100000001": {}})
    null = tmp_path / "null"  # a /dev/null of our own: planting the bug must not break the host's
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert export(emu, "-o", str(null), "--force")[0] == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_dev_stdout_is_standard_output_without_force(emu: Emulator) -> None:
    emu.seed({"D100000001": {}})
    code, out, err = export(emu, "--format", "import", "-o", "/dev/stdout")
    assert (code, err) == (0, wrote(1, emu, "import"))
    assert json.loads(out)["resources"][0]["id"] == "D100000001"


def test_a_link_to_a_file_is_refused_even_with_force_and_its_target_kept(
    emu: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "precious").write_text("keep\n")
    (tmp_path / "fleet.yaml").symlink_to(tmp_path / "precious")
    code, out, err = export(emu, "-o", str(tmp_path / "fleet.yaml"), "--force")
    assert (code, out) == (1, "")
    assert err == (
        f"qboxmail export: cannot write {tmp_path}/fleet.yaml: it is a symbolic link; give the "
        "path it points to; nothing was written\n"
    )
    assert (tmp_path / "precious").read_text() == "keep\n" and emu.requests == []
    assert (tmp_path / "fleet.yaml").is_symlink()


def test_a_link_planted_at_a_guessable_temporary_name_is_never_followed(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.seed({"D100000001": {}})
    (tmp_path / "precious").write_text("keep\n")
    for pid in range(os.getpid() - 2, os.getpid() + 3):
        (tmp_path / f".fleet.yaml.{pid}.tmp").symlink_to(tmp_path / "precious")
    target = tmp_path / "fleet.yaml"
    assert export(emu, "-o", str(target))[0] == 0
    assert (tmp_path / "precious").read_text() == "keep\n"
    assert fleet_of(target.read_text())["domains"][0]["code"] == "D100000001"
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_250_character_name_is_written_and_a_300_character_one_is_one_line(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.seed({"D100000001": {}})
    legal = tmp_path / ("f" * 245 + ".yaml")
    code, _, err = export(emu, "-o", str(legal))
    assert (code, err) == (0, wrote(1, emu, to=str(legal)))
    assert sorted(tmp_path.iterdir()) == [legal]
    emu.clear_log()
    too_long = tmp_path / ("f" * 295 + ".yaml")
    code, out, err = export(emu, "-o", str(too_long))
    assert (code, out) == (1, "")
    assert (
        err
        == f"qboxmail export: cannot write {too_long}: File name too long; nothing was written\n"
    )
    assert emu.requests == [] and sorted(tmp_path.iterdir()) == [legal]


# ---- what is written always reads back -------------------------------------------------------

NASTY = "a\u2028b\u2029c\x85d\x00e\x1bf\rg\th\ufeffi\ud800j"


def test_every_format_reads_back_whatever_characters_the_api_returns(emu: Emulator) -> None:
    emu.seed(
        {
            # A lone surrogate in a validated value crashes pydantic itself: names only.
            "D100000001": {
                "name": f"evil{NASTY}.example",
                "allow_nets": [f"10.0.0.1/8{NASTY[:-2]}"],
            },
            "D100000002": {"name": f"{NASTY}\n# not a comment", "antispam_level": 9},
            "D100000003": {"name": "plain.example"},
        }
    )
    readers = {"fleet": yaml.safe_load, "yaml": yaml.safe_load, "import": json.loads}
    for fmt in FORMATS:
        code, out, _ = export(emu, "--format", fmt)
        assert code == 0, fmt
        out.encode("utf-8")  # no lone surrogate reaches the file
        if fmt == "python":
            ast.parse(out)
        else:
            readers[fmt](out)
        if fmt != "import":  # str.splitlines breaks where YAML does: at U+2028, NEL, ...
            lines = out.splitlines()
            first = next(line for line in lines if not line.startswith("#"))
            assert first == (
                '"""Qboxmail domains adopted as code: one QboxDomainSettings per domain."""'
                if fmt == "python"
                else ""
            ), fmt
            assert "Left out, because the live value breaks" in comments(out), fmt
    fleet = fleet_of(export(emu)[1])
    names = {f"{NASTY}\n# not a comment", f"evil{NASTY}.example", "plain.example"}
    assert {d["domain"] for d in fleet["domains"]} == names
    assert '("10.0.0.1/8a\\u2028b\\u2029c\\x85d\\u0000e' in comments(export(emu)[1])


# ---- what the walk through the list collects -------------------------------------------------


class ShiftingEmulator(Emulator):
    """Deletes `deletes` before answering page 2 of the first walks, as a colleague might."""

    def __init__(self, walks: int) -> None:
        super().__init__(token=TOKEN)
        self.walks = walks

    def _list(self, query: str) -> tuple[int, Any]:
        if "page=2" in query and self.walks > 0:
            self.walks -= 1
            with self.lock:
                del self.domains[min(self.domains)]
        return super()._list(query)


@pytest.mark.parametrize("walks", [1, 2])
def test_a_domain_deleted_during_the_walk_makes_it_walk_again(walks: int) -> None:
    shifting = ShiftingEmulator(walks)
    shifting.seed({f"D10000000{n}": {} for n in range(1, 6)})
    with shifting:
        code, out, _ = export(shifting, "--per", "2", "--format", "import")
    assert code == 0
    assert [r["id"] for r in json.loads(out)["resources"]] == sorted(shifting.domains)
    assert len(shifting.domains) == 5 - walks


def test_a_list_that_keeps_changing_fails_naming_the_counts(tmp_path: Path) -> None:
    shifting = ShiftingEmulator(3)
    shifting.seed({f"D10000000{n}": {} for n in range(1, 8)})
    with shifting:
        code, out, err = export(shifting, "--per", "2", "-o", str(tmp_path / "fleet.yaml"))
    assert (code, out) == (1, "")
    assert err == (
        "qboxmail export: the domain list (GET /api/domains) changed while it was read: 3 walks "
        "through its pages, the last collected 4 domains where its pages counted 5, then 4 "
        "(pagination.total_records). Retry when no domain is being added or deleted.\n"
    )
    assert list(tmp_path.iterdir()) == []


class RepeatingEmulator(Emulator):
    """Lists the first domain again at the top of page 2, the page count staying right."""

    def _list(self, query: str) -> tuple[int, Any]:
        status, body = super()._list(query)
        if "page=2" in query:
            body["resources"].insert(0, self._public(min(self.domains)))
        return status, body


def test_a_domain_listed_twice_is_exported_once() -> None:
    repeating = RepeatingEmulator(token=TOKEN)
    repeating.seed({f"D10000000{n}": {"name": f"d{n}.example"} for n in range(1, 6)})
    with repeating:
        code, out, _ = export(repeating, "--per", "2")
    assert code == 0
    codes = [d["code"] for d in fleet_of(out)["domains"]]
    assert codes == [f"D10000000{n}" for n in range(1, 6)]
    assert len(repeating.requests) == 3  # one walk: it was consistent


def test_a_domain_whose_get_has_no_code_is_exported_under_the_code_asked_for(
    emu: Emulator,
) -> None:
    emu.seed({"D100000001": {"name": "a.example"}})
    emu.fail_next(1, 200, body={"resources": [{"name": "a.example", "antispam_level": 3}]})
    code, out, err = export(emu, "D100000001", "--format", "import")
    assert (code, err) == (0, wrote(1, emu, "import"))
    assert json.loads(out)["resources"] == [
        {"type": "qboxmail:index:DomainSettings", "name": "a-example", "id": "D100000001", "properties": ["domainCode", "antispamLevel"]}
    ]  # fmt: skip


def test_an_export_that_finds_no_domain_fails_and_keeps_the_fleet(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.seed({"D100000001": {"name": "a.example"}})
    target = tmp_path / "fleet.yaml"
    target.write_text("mine\n")
    code, out, err = export(emu, "--query", "nomatch", "-o", str(target), "--force")
    assert (code, out) == (1, "")
    assert err == (
        f"qboxmail export: cannot write {target}: the export found no domain matching "
        f"'nomatch' at {emu.url}; pass --allow-empty to write an empty file; nothing was written\n"
    )
    assert target.read_text() == "mine\n"
    code, _, _ = export(emu, "--query", "nomatch", "-o", str(target), "--force", "--allow-empty")
    assert code == 0 and fleet_of(target.read_text())["domains"] == []


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("QBOXMAIL_MAX_ATTEMPTS", "abc", "must be a whole number of at least 1; got 'abc'"),
        ("QBOXMAIL_ENDPOINT", "ftp://x", "'ftp://x' is not an http(s) URL"),
        (
            "QBOXMAIL_API_TOKEN",
            "a\u201cb",
            "has a character the X-Api-Token header cannot carry (U+201C LEFT DOUBLE QUOTATION MARK, character 2); set the token again, without quotes or line breaks",
        ),
    ],
)
def test_a_bad_environment_variable_is_named_as_such(
    emu: Emulator, variable: str, value: str, problem: str
) -> None:
    code, out, err = export(emu, environ=env(emu, **{variable: value}))
    assert (code, out) == (1, "")
    assert err == f"qboxmail export: qboxmail configuration {variable}: {problem}\n"
    assert emu.requests == []


def test_the_yaml_program_uses_the_policy_as_variables_and_writes_out_differences(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.seed(
        {
            "D100000001": {"name": "a.example", "antispam_level": 3},
            "D100000002": {"name": "b.example", "antispam_level": 3, "chat": True},
            "D100000003": {"name": "chat", "antispam_level": 1},  # a variable's name
        }
    )
    del emu.domains["D100000003"]["dav"]
    target = tmp_path / "my-fleet" / "Pulumi.yaml"
    target.parent.mkdir()
    assert export(emu, "--format", "yaml", "-o", str(target))[0] == 0
    program = yaml.safe_load(target.read_text())
    assert list(program) == ["name", "runtime", "description", "variables", "resources"]
    assert (program["name"], program["runtime"]) == ("my-fleet", "yaml")
    assert program["variables"] == {
        PULUMI_NAMES[name]: value for name, value in {**DEFAULTS, "antispam_level": 3}.items()
    }
    resources = program["resources"]
    assert list(resources) == ["a-example", "b-example", "chat-2"]
    assert {r["type"] for r in resources.values()} == {"qboxmail:index:DomainSettings"}
    first = resources["a-example"]["properties"]
    assert first == {"domainCode": "D100000001", **{n: f"${{{n}}}" for n in program["variables"]}}
    assert resources["b-example"]["properties"]["chat"] is True
    third = resources["chat-2"]["properties"]
    assert third["antispamLevel"] == 1 and "dav" not in third


def test_the_default_endpoint_is_named_with_where_to_set_it() -> None:
    outside, inside = Source(), Source({}, "dev", Path("/p/Pulumi.yaml"))
    assert outside.knob("endpoint", {}) == (
        "endpoint (the default, https://api.qboxmail.com; set QBOXMAIL_ENDPOINT)"
    )
    assert inside.knob("endpoint", {}) == (
        "endpoint (the default, https://api.qboxmail.com; set qboxmail:endpoint in stack dev or "
        "QBOXMAIL_ENDPOINT)"
    )
    inside.config["qboxmail:endpoint"] = "https://sandbox.qboxmail.com"
    env = {"QBOXMAIL_ENDPOINT": "http://127.0.0.1:9"}
    assert inside.knob("endpoint", env) == "qboxmail:endpoint (stack dev)"  # the stack first
    assert outside.knob("endpoint", env) == "QBOXMAIL_ENDPOINT"


def test_the_yaml_program_keeps_the_name_and_plugins_of_the_project_it_runs_in(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.seed({"D100000001": {}})
    project = tmp_path / "Pulumi.yaml"
    plugins = {"providers": [{"name": "qboxmail", "path": "./venv/bin"}]}
    project.write_text(yaml.safe_dump({"name": "mine", "runtime": "yaml", "plugins": plugins}))
    export_ = build([{"code": "D100000001"}], emu.url, datetime.now(timezone.utc))
    name, kept = project_keys(Source(project=project), None, tmp_path / "elsewhere")
    program = yaml.safe_load(render_yaml(dataclasses.replace(export_, project=name, plugins=kept)))
    assert (program["name"], program["plugins"]) == ("mine", plugins)
