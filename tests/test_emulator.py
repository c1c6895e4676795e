"""Tests of the Qboxmail API emulator on its own, over real HTTP."""

from __future__ import annotations

import http.client
import json
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pulumi_qboxmail.emulator import Emulator, RecordedRequest

CODE = "D123456789"
AUTH = {"X-Api-Token": "test-token"}
PASSWORD_RULE = "must be at least 8 characters and contain at least one letter and one number"
MAX_ACCOUNTS = [f"max_email_accounts{s}" for s in ("", "_archive", "_25gb", "_50gb", "_100gb")]
READABLE_DEFAULTS = {
    "antispam_level": 2,
    "allow_nets": [],
    **dict.fromkeys(["imap_disabled", "pop_disabled", "smtp_disabled", "webmail_disabled"], False),
    **dict.fromkeys(["calendar", "meeting", "activesync", "chat", "dav"], False),
    "default_quota": 1073741824,
    **dict.fromkeys(MAX_ACCOUNTS, -1),
    "max_email_quota": 53687091200,
}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    emulator = Emulator(domains=[CODE])
    with emulator:
        yield emulator


def get(emulator: Emulator, code: str = CODE, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    return requests.get(f"{emulator.url}/api/domains/{code}", timeout=5, **kwargs)


def put(emulator: Emulator, body: Any, code: str = CODE, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    return requests.put(f"{emulator.url}/api/domains/{code}", json=body, timeout=5, **kwargs)


def resource(emulator: Emulator, code: str = CODE) -> dict[str, Any]:
    response = get(emulator, code)
    assert response.status_code == 200
    resources: list[dict[str, Any]] = response.json()["resources"]
    return resources[0]


def test_get_returns_the_envelope_with_only_readable_keys(emu: Emulator) -> None:
    response = get(emu)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body.keys() == {"resources", "pagination"} and body["pagination"] == {}
    domain = body["resources"][0]
    created, updated = domain.pop("created_at"), domain.pop("updated_at")
    assert created == updated and created.endswith("Z")
    assert domain == {
        "code": CODE,
        "name": "d123456789.example.test",
        "status": "enabled",
        "status_detail": "ok",
        "is_healthy": True,
        "customer_code": "C000000001",
        **READABLE_DEFAULTS,
    }


def test_put_answers_204_with_empty_body_and_get_shows_the_change(emu: Emulator) -> None:
    before = resource(emu)["updated_at"]
    body = {"antispam_level": 3, "allow_nets": ["10.0.0.0/8", "2001:db8::1"], "plan": "enterprise"}
    response = put(emu, body)
    assert (response.status_code, response.content) == (204, b"")
    after = resource(emu)
    assert after["antispam_level"] == 3 and after["allow_nets"] == ["10.0.0.0/8", "2001:db8::1"]
    assert after["updated_at"] > before
    assert "plan" not in after and emu.domains[CODE]["plan"] == "enterprise"


@pytest.mark.parametrize("headers", [{}, {"X-Api-Token": "nope"}], ids=["missing", "wrong"])
def test_bad_token_is_401(emu: Emulator, headers: dict[str, str]) -> None:
    for response in (get(emu, headers=headers), put(emu, {"chat": True}, headers=headers)):
        assert response.status_code == 401
        assert response.json() == {"message": "Unauthorized", "errors": []}
    assert emu.domains[CODE]["chat"] is False


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/api/domains/D999999999", 404, "Not found"),
        ("PUT", "/api/domains/D999999999", 404, "Not found"),
        ("PUT", "/api/domains", 405, "Method not allowed"),
        ("GET", "/api/whatever", 404, "Not found"),
        ("DELETE", f"/api/domains/{CODE}", 405, "Method not allowed"),
    ],
)
def test_unknown_routes_and_domains(
    emu: Emulator, method: str, path: str, status: int, message: str
) -> None:
    response = requests.request(method, emu.url + path, headers=AUTH, json={}, timeout=5)
    assert response.status_code == status
    assert response.json() == {"message": message, "errors": []}


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"'])
def test_body_that_is_not_a_json_object_is_400(emu: Emulator, raw: bytes) -> None:
    response = requests.put(f"{emu.url}/api/domains/{CODE}", data=raw, headers=AUTH, timeout=5)
    assert response.status_code == 400
    assert response.json() == {"message": "Bad request", "errors": []}


def test_422_lists_every_bad_field_in_body_order_and_changes_nothing(emu: Emulator) -> None:
    body = {
        "webmail_language": "xx",
        "chat": True,
        "imap_disabled": 1,
        "code": "D000000000",
        "max_email_accounts": -2,
        "postmaster_password": "Secret123",
        "postmaster_password_confirmation": "Secret124",
        "allow_nets": ["10.0.0.300"],
    }
    response = put(emu, body)
    assert response.status_code == 422
    assert response.json() == {
        "message": "Validation failed",
        "errors": [
            {"field": "webmail_language", "description": "is not valid"},
            {"field": "imap_disabled", "description": "must be a boolean"},
            {"field": "code", "description": "is not a valid field"},
            {"field": "max_email_accounts", "description": "must be greater than or equal to -1"},
            {
                "field": "postmaster_password_confirmation",
                "description": "doesn't match postmaster_password",
            },
            {"field": "allow_nets", "description": "contains an invalid address"},
        ],
    }
    assert emu.domains[CODE]["chat"] is False


@pytest.mark.parametrize(
    ("field", "value", "description"),
    [
        ("max_email_accounts", 3.0, "must be an integer"),
        ("antispam_level", True, "must be an integer"),
        ("default_quota", "1024", "must be an integer"),
        ("antispam_level", 4, "is not valid"),
        ("max_email_quota", 1000, "is not valid"),
        ("password_expiration", 1, "is not valid"),
        ("max_email_accounts_25gb", 2**31, "is out of range"),
        ("default_quota", -1, "must be greater than or equal to 0"),
        ("outbound_limit", -1, "must be greater than or equal to 0"),
        ("dav", "true", "must be a boolean"),
        ("allow_nets_apply_to_all", [1], "must be a boolean"),
        ("plan", "gold", "is not valid"),
        ("webmail_date_format", "YYYY-MM-DD", "is not valid"),
        ("company", 5, "must be a string"),
        ("catch_all_destination", "no at sign", "is not a valid email"),
        ("timezone", "Mars/Olympus", "is not a valid timezone"),
        ("allow_nets", "10.0.0.0/8", "must be an array"),
        ("allow_nets", [10], "contains an invalid address"),
        ("postmaster_password", "short1", PASSWORD_RULE),
        ("postmaster_password", "onlyletters", PASSWORD_RULE),
        ("postmaster_password", "12345678", PASSWORD_RULE),
    ],
)
def test_single_invalid_field_is_422(
    emu: Emulator, field: str, value: Any, description: str
) -> None:
    response = put(emu, {field: value})
    assert response.status_code == 422
    errors = [{"field": field, "description": description}]
    assert response.json() == {"message": "Validation failed", "errors": errors}


def test_documented_edge_values_are_accepted(emu: Emulator) -> None:
    body: dict[str, Any] = {"max_email_quota": 107374182400, "default_quota": 2**40}
    body |= {"max_email_accounts": -1, "allow_nets_apply_to_all": [True], "timezone": "Europe/Rome"}
    body |= {"catch_all_destination": "all@example.com", "webmail_date_format": "DD MMM YYYY"}
    assert put(emu, {**body, "postmaster_password": "Secret123"}).status_code == 204


def test_password_is_never_returned_nor_stored(emu: Emulator) -> None:
    password = "Sup3rSecret"
    body = {"postmaster_password": password, "postmaster_password_confirmation": password}
    assert put(emu, body).status_code == 204
    assert password not in get(emu).text
    assert password not in json.dumps(emu.domains)
    assert "postmaster_password_changed_at" in emu.domains[CODE]


def test_action_flags_are_accepted_but_not_stored(emu: Emulator) -> None:
    flags = {"allow_nets_apply_to_all": True, "default_quota_apply_to_all": True}
    flags |= {"password_policies_apply_to_all": False, "force_new_password": True}
    assert put(emu, {**flags, "default_quota": 2048}).status_code == 204
    assert emu.domains[CODE]["default_quota"] == 2048
    assert not flags.keys() & emu.domains[CODE].keys()
    assert not flags.keys() & resource(emu).keys()


def test_one_connection_is_kept_alive_across_every_kind_of_answer(emu: Emulator) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(emu.url.rsplit(":", 1)[1]), timeout=5)
    connection.connect()
    sock = connection.sock
    for method, body, headers, status in [
        ("GET", None, AUTH, 200),
        ("PUT", b'{"chat": true}', AUTH, 204),
        ("PUT", b'{"chat": 1}', AUTH, 422),
        ("GET", None, {}, 401),
        ("GET", None, AUTH, 200),
    ]:
        connection.request(method, f"/api/domains/{CODE}", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        assert (response.status, connection.sock) == (status, sock)
    connection.close()


def test_fail_next_answers_429_with_retry_after_then_normally(emu: Emulator) -> None:
    emu.fail_next(2, 429, headers={"Retry-After": "1"})
    emu.fail_next(1, 503, body={"message": "down"})
    for _ in range(2):
        response = get(emu)
        assert (response.status_code, response.headers["Retry-After"]) == (429, "1")
        assert response.json() == {"message": "Too Many Requests", "errors": []}
    response = get(emu, headers={})  # faults come before the token check
    assert (response.status_code, response.json()) == (503, {"message": "down"})
    assert get(emu).status_code == 200


def test_drop_next_closes_the_connection_without_answer(emu: Emulator) -> None:
    emu.drop_next(1)
    with pytest.raises(requests.ConnectionError):
        put(emu, {"chat": True})
    assert emu.domains[CODE]["chat"] is False
    assert get(emu).status_code == 200


def test_latency_delays_each_answer(emu: Emulator) -> None:
    emu.latency = 0.3
    started = time.monotonic()
    assert get(emu).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_request_log_masks_the_token_and_parses_the_body(emu: Emulator) -> None:
    put(emu, {"chat": True})
    get(emu, headers={})
    get(emu, headers={"X-Api-Token": "leaked-secret"})
    requests.put(f"{emu.url}/api/domains/{CODE}", data=b"oops", headers=AUTH, timeout=5)
    path = f"/api/domains/{CODE}"
    assert emu.requests == [
        RecordedRequest("PUT", path, {"chat": True}, "***"),
        RecordedRequest("GET", path, None, "<missing>"),
        RecordedRequest("GET", path, None, "<wrong>"),
        RecordedRequest("PUT", path, "oops", "***"),
    ]
    emu.clear_log()
    assert emu.requests == []


def test_state_file_round_trip(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Emulator(domains=[CODE], state_file=state) as url:
        body = {"max_email_accounts": 7, "company": "ACME", "postmaster_password": "Secret123"}
        response = requests.put(f"{url}/api/domains/{CODE}", json=body, headers=AUTH, timeout=5)
        assert response.status_code == 204
    text = state.read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert "Secret123" not in text
    reloaded = Emulator(domains=[CODE, "D000000001"], state_file=state)
    assert reloaded.domains[CODE]["max_email_accounts"] == 7
    assert reloaded.domains[CODE]["company"] == "ACME"
    assert reloaded.domains["D000000001"]["max_email_accounts"] == -1


def test_a_put_the_state_file_cannot_record_answers_500_and_changes_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emulator = Emulator(domains=[CODE], state_file=state)
    with emulator:
        (tmp_path / ".state.json.tmp").mkdir()  # where the next save writes first: now it cannot
        assert put(emulator, {"antispam_level": 3}).status_code == 500
        assert resource(emulator)["antispam_level"] == 2
    assert emulator.domains[CODE]["antispam_level"] == 2
    assert json.loads(state.read_text())[CODE]["antispam_level"] == 2


START_ERRORS: list[tuple[str, str, list[str], str]] = [
    ("corrupt state", "{not json", ["--state", "{state}"], "--state {state}: not a JSON file: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("state not an object", "[1, 2]", ["--state", "{state}"], "--state {state}: must hold a JSON object of domains, not a list"),
    ("state with a bad code", '{"example.com": {}}', ["--state", "{state}"], '--state {state}: "example.com" is not a domain code (D and 9 digits)'),
    ("state with bad settings", '{"D123456789": 3}', ["--state", "{state}"], "--state {state}: the settings of D123456789 must be a JSON object"),
    ("state in a missing folder", "", ["--state", "{tmp}/missing/state.json"], "--state {tmp}/missing/state.json: cannot write it: No such file or directory"),
    ("state under a file", "", ["--state", "{state}/state.json"], "--state {state}/state.json: cannot write it: Not a directory"),
    ("state is a folder", "", ["--state", "{tmp}"], "--state {tmp}: cannot read it: Is a directory"),
    ("domain not a code", "", ["--domain", "example.com"], '--domain "example.com" is not a domain code (D and 9 digits)'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("_case", "content", "options", "line"), START_ERRORS, ids=[e[0] for e in START_ERRORS]
)
def test_cli_refuses_a_bad_start_in_one_line_and_exits_2(
    tmp_path: Path, _case: str, content: str, options: list[str], line: str
) -> None:
    state = tmp_path / "state.json"
    if content:
        state.write_text(content)
    elif "{state}/" in options[-1]:
        state.write_text("{}")  # a file where a folder should be
    fill = {"state": str(state), "tmp": str(tmp_path)}
    command = [sys.executable, "-m", "pulumi_qboxmail.emulator", "--port", "0"]
    command += [option.format(**fill) for option in options]

    done = subprocess.run(command, capture_output=True, text=True, timeout=30)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"python -m pulumi_qboxmail.emulator: error: {line.format(**fill)}\n"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_serves_and_exits_cleanly(signum: signal.Signals) -> None:
    command = [sys.executable, "-m", "pulumi_qboxmail.emulator", "--port", "0", "--domain", CODE]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 10)
            assert ready, "the emulator printed no URL within 10 s"
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            response = requests.get(f"{url}/api/domains/{CODE}", headers=AUTH, timeout=5)
            assert response.json()["resources"][0]["code"] == CODE
            process.send_signal(signum)
            assert process.wait(timeout=10) == 0
        finally:
            process.kill()


def test_concurrent_puts_to_different_domains_never_mix() -> None:
    codes = [f"D{i:09d}" for i in range(20)]
    bodies = [
        {"max_email_accounts": i, "company": f"company {i}", "allow_nets": [f"10.{i}.0.0/16"]}
        for i in range(len(codes))
    ]
    barrier = threading.Barrier(len(codes))
    statuses: list[int] = []
    emulator = Emulator(domains=codes)
    emulator.latency = 0.05  # keeps every request in flight at the same time

    def worker(code: str, body: dict[str, Any]) -> None:
        barrier.wait()
        url = f"{emulator.url}/api/domains/{code}"
        statuses.append(requests.put(url, json=body, headers=AUTH, timeout=10).status_code)

    pairs = list(zip(codes, bodies, strict=True))
    with emulator:
        threads = [threading.Thread(target=worker, args=pair) for pair in pairs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [204] * len(codes)
    for code, body in pairs:
        assert {key: emulator.domains[code][key] for key in body} == body
    logged = {request.path: request.body for request in emulator.requests}
    assert logged == {f"/api/domains/{code}": body for code, body in pairs}


def listing(emulator: Emulator, **params: Any) -> requests.Response:
    return requests.get(f"{emulator.url}/api/domains", params=params, headers=AUTH, timeout=5)


@pytest.fixture
def fleet() -> Iterator[Emulator]:
    emulator = Emulator()
    emulator.seed(
        {
            "D000000003": {"name": "gamma.example", "antispam_level": 3},
            "D000000001": {"name": "alpha.example"},
            "D000000005": {"name": "Epsilon.TEST"},
            "D000000002": {"name": "beta.example", "allow_nets": ["10.0.0.0/8"]},
            "D000000004": {"name": "delta.example"},
        }
    )
    with emulator:
        yield emulator


def test_list_pages_through_every_domain_in_code_order_with_pagination(fleet: Emulator) -> None:
    pages = [listing(fleet, page=page, per=2).json() for page in (1, 2, 3)]
    assert [[d["code"] for d in page["resources"]] for page in pages] == [
        ["D000000001", "D000000002"],
        ["D000000003", "D000000004"],
        ["D000000005"],
    ]
    assert pages[1]["pagination"] == {
        "per": 2,
        "page": 2,
        "total_pages": 3,
        "total_records": 5,
        "query": None,
        "filter": None,
        "status": None,
        "sort_field": None,
        "sort": None,
    }
    item = pages[0]["resources"][1]
    assert item == resource(fleet, "D000000002")
    assert item["name"] == "beta.example" and item["allow_nets"] == ["10.0.0.0/8"]


def test_list_defaults_to_page_one_of_25_and_a_page_beyond_the_end_is_empty(
    fleet: Emulator,
) -> None:
    body = listing(fleet).json()
    assert len(body["resources"]) == 5
    assert (body["pagination"]["page"], body["pagination"]["per"]) == (1, 25)
    beyond = listing(fleet, page=4, per=2).json()
    assert beyond["resources"] == [] and beyond["pagination"]["total_pages"] == 3


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("example", ["D000000001", "D000000002", "D000000003", "D000000004"]),
        ("epsilon.test", ["D000000005"]),  # names match case-insensitively
        ("d00000000", ["D000000001", "D000000002", "D000000003", "D000000004", "D000000005"]),
        ("D000000003", ["D000000003"]),
        ("nothing", []),
    ],
)
def test_list_query_matches_code_or_name(fleet: Emulator, query: str, codes: list[str]) -> None:
    body = listing(fleet, query=query, per=10).json()
    assert [d["code"] for d in body["resources"]] == codes
    assert body["pagination"]["total_records"] == len(codes)
    assert body["pagination"]["total_pages"] == (1 if codes else 0)
    assert body["pagination"]["query"] == query


@pytest.mark.parametrize("params", [{"page": 0}, {"per": 0}, {"page": "x"}, {"per": "-3"}])
def test_list_refuses_a_bad_page_or_size_with_400(fleet: Emulator, params: dict[str, Any]) -> None:
    response = listing(fleet, **params)
    assert response.status_code == 400
    assert response.json() == {"message": "Bad request", "errors": []}


def test_list_needs_the_token(fleet: Emulator) -> None:
    response = requests.get(f"{fleet.url}/api/domains", timeout=5)
    assert response.status_code == 401
    assert fleet.requests[-1] == RecordedRequest("GET", "/api/domains", None, "<missing>")


def test_a_rate_limit_answers_429_with_retry_after_beyond_one_seconds_worth() -> None:
    emulator = Emulator(token="t", domains=["D123456789"])
    emulator.rate_limit = 5
    with emulator as url:
        answers = [
            requests.get(f"{url}/api/domains/D123456789", headers={"X-Api-Token": "t"}, timeout=5)
            for _ in range(7)
        ]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    assert answers[-1].headers["Retry-After"] == "1"
    assert emulator.refused == 2


def started_cli(*options: str) -> tuple[subprocess.Popen[str], str]:
    """The emulator run from the command line with `options`, and the URL it printed."""
    command = [sys.executable, "-m", "pulumi_qboxmail.emulator", "--port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 10)
    assert ready, "the emulator printed no URL within 10 s"
    return process, process.stdout.readline().strip()


def test_cli_seeds_a_number_of_domains_and_given_codes_with_settings(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    options = ["--seed", "3", "--state", str(state), "--domain", CODE, "antispam_level=0"]
    options += ['allow_nets=["192.0.2.0/24"]', "plan=basic", "D000000009"]
    process, url = started_cli(*options)
    try:
        listed = requests.get(f"{url}/api/domains", headers=AUTH, timeout=5).json()
        codes = [domain["code"] for domain in listed["resources"]]
        assert codes == ["D000000009", "D100000001", "D100000002", "D100000003", CODE]
        shown = requests.get(f"{url}/api/domains/{CODE}", headers=AUTH, timeout=5).json()
        assert shown["resources"][0]["antispam_level"] == 0
        assert shown["resources"][0]["allow_nets"] == ["192.0.2.0/24"]
        assert json.loads(state.read_text())[CODE]["plan"] == "basic"  # stored, not returned
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (["--domain", CODE, "antispam_level=9"], f"--domain {CODE}: antispam_level: is not valid"),
        (["--domain", "plan=basic"], '--domain "plan=basic": a setting follows a domain code'),
    ],
)
def test_cli_refuses_a_bad_seed_setting_in_one_line(options: list[str], line: str) -> None:
    command = [sys.executable, "-m", "pulumi_qboxmail.emulator", "--port", "0", *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"python -m pulumi_qboxmail.emulator: error: {line}\n"


def set_command(url: str, *words: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pulumi_qboxmail.emulator", "set", "--url", url]
    return subprocess.run(
        [*command, "--token", "test-token", *words], capture_output=True, text=True, timeout=30
    )


def test_set_changes_a_running_emulators_domain_behind_the_stacks_back(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emulator = Emulator(domains=[CODE], state_file=state)
    with emulator as url:
        done = set_command(url, CODE, "antispam_level=0", "webmail_language=it")
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout == f'{CODE}: antispam_level=0, webmail_language="it"\n'
        assert resource(emulator)["antispam_level"] == 0
        assert emulator.requests[-1].method == "GET"  # the change itself is no API request
        assert len(emulator.requests) == 1
        refused = set_command(url, CODE, "antispam_level=9", "force_new_password=true")
        gone = set_command(url, "D000000404", "antispam_level=1")
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr == (
        "python -m pulumi_qboxmail.emulator set: error: HTTP 422: antispam_level: is not valid; "
        "force_new_password: is an action, not a stored setting\n"
    )
    assert gone.stderr.endswith("domain_code: D000000404 is not a domain here\n")
    assert json.loads(state.read_text())[CODE]["antispam_level"] == 0


def test_a_state_file_edited_while_it_runs_is_read_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    emulator = Emulator(domains=[CODE], state_file=state)
    with emulator:
        edited = json.loads(state.read_text())
        edited[CODE]["antispam_level"] = 1
        state.write_text(json.dumps(edited))
        assert resource(emulator)["antispam_level"] == 1
        state.write_text("{broken")
        assert resource(emulator)["antispam_level"] == 1  # an unusable edit changes nothing...
    assert "the edited state file is ignored" in capsys.readouterr().err  # ...and says so
