"""Tier 5: answers that retrying cannot fix, through the real plugin process.

401 (a plugin configured with a wrong token), 403, 404, 422 and other 4xx on create, update and
read: exactly one request each, and the exact text a Pulumi user reads. A 404 on read is not an
error: the domain is gone and the engine drops it from the stack (empty id).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import start_plugin
from plugin import Plugin, PluginError
from pulumi_qboxmail.tools.emulator import Emulator

WRONG_TOKEN = "tok-WRONG-0b7e21"
SETTINGS = {"antispam_level": 1, "plan": "basic", "max_email_accounts": 10}
OPS = ("create", "update", "read")


@pytest.fixture(scope="module")
def wrong_token(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    config = {"qboxmail:apiToken": WRONG_TOKEN, "qboxmail:endpoint": emulator.url}
    with start_plugin(tmp_path_factory.mktemp("wrong-token"), config) as proc:
        yield proc


@dataclass
class Call:
    run: Callable[[Plugin], Any]
    request: tuple[str, str, Any]


def prepare(op: str, plugin: Plugin, emulator: Emulator, code: str) -> Call:
    """Bring `code` to where `op` starts, with the working plugin; the call runs on any plugin."""
    inputs = {"domain_code": code, **SETTINGS}
    checked, failures = plugin.check({}, inputs)
    assert failures == []
    path = f"/api/domains/{code}"
    if op == "create":
        return Call(lambda p: p.create(checked), ("PUT", path, SETTINGS))
    _, outs = plugin.create(checked)
    emulator.clear_log()
    if op == "update":
        news, _ = plugin.check(checked, {**inputs, "antispam_level": 3, "plan": "enterprise"})
        body = {"antispam_level": 3, "plan": "enterprise"}
        return Call(lambda p: p.update(code, outs, news, old_inputs=checked), ("PUT", path, body))
    return Call(lambda p: p.read(code, outs, inputs=checked), ("GET", path, None))


def calls(emulator: Emulator) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in emulator.requests]


def failing(call: Call, plugin: Plugin) -> PluginError:
    with pytest.raises(PluginError) as failure:
        call.run(plugin)
    return failure.value


def error_lines(failure: PluginError, count: int) -> list[str]:
    """The last `count` lines of the traceback: what a Pulumi user reads."""
    return [line for line in failure.details.splitlines() if line.strip()][-count:]


@pytest.mark.parametrize("op", OPS)
def test_wrong_token_is_one_request_and_names_the_token_setting(
    plugin: Plugin, wrong_token: Plugin, emulator: Emulator, code: str, op: str
) -> None:
    call = prepare(op, plugin, emulator, code)
    before = copy.deepcopy(emulator.domains[code])
    failure = failing(call, wrong_token)
    assert failure.last_line == (
        f"pulumi_qboxmail.errors.UnauthorizedError: QboxDomainSettings {code}: Qboxmail refused "
        "the API token (HTTP 401 Unauthorized). Check qboxmail:apiToken (or QBOXMAIL_API_TOKEN)."
    )
    assert calls(emulator) == [call.request]
    assert [r.token for r in emulator.requests] == ["<wrong>"]
    assert emulator.domains[code] == before


@pytest.mark.parametrize("op", OPS)
def test_forbidden_is_one_request_and_points_at_plan_and_permissions(
    plugin: Plugin, emulator: Emulator, code: str, op: str
) -> None:
    call = prepare(op, plugin, emulator, code)
    before = copy.deepcopy(emulator.domains[code])
    emulator.fail_next(1, 403)
    failure = failing(call, plugin)
    assert failure.last_line == (
        f"pulumi_qboxmail.errors.ForbiddenError: QboxDomainSettings {code}: the API token is "
        "not allowed to manage this domain (HTTP 403 Forbidden). Check the domain's plan and "
        "the permissions of the token's user."
    )
    assert calls(emulator) == [call.request]
    assert emulator.domains[code] == before


# What Qboxmail answers -> the lines after our own, one per thing Qboxmail said.
REASONS = [
    pytest.param(
        403,
        {"message": "Forbidden", "errors": [{"field": "catch_all_enabled", "description": "is available only for non trial users"}]},
        ["Qboxmail rejected catch_all_enabled: is available only for non trial users (HTTP 403)"],
        id="403-field",
    ),
    pytest.param(
        403,
        {"message": "A billing profile is required", "errors": []},
        ["Qboxmail says: A billing profile is required (HTTP 403)"],
        id="403-billing",
    ),
    pytest.param(
        400,
        {"message": "Bad request", "errors": [{"field": None, "description": "allow_nets must be an array"}, {"field": "plan", "description": "is not valid"}]},
        ["Qboxmail says: allow_nets must be an array (HTTP 400)", "Qboxmail rejected plan: is not valid (HTTP 400)"],
        id="400-errors",
    ),
]  # fmt: skip
HEADLINES = {
    403: "pulumi_qboxmail.errors.ForbiddenError: QboxDomainSettings {code}: the API token is not "
    "allowed to manage this domain (HTTP 403 Forbidden). Check the domain's plan and the "
    "permissions of the token's user.",
    400: "pulumi_qboxmail.errors.ApiError: QboxDomainSettings {code}: Qboxmail answered with an "
    "unexpected status (HTTP 400 Bad Request). Check the endpoint and retry; report it if it "
    "persists.",
}


@pytest.mark.parametrize(("status", "body", "said"), REASONS)
@pytest.mark.parametrize("op", OPS)
def test_qboxmails_own_reason_is_shown_beside_our_advice_one_line_each(
    plugin: Plugin, emulator: Emulator, code: str, op: str, status: int, body: Any, said: list[str]
) -> None:
    call = prepare(op, plugin, emulator, code)
    emulator.fail_next(1, status, body=body)
    failure = failing(call, plugin)
    assert error_lines(failure, len(said) + 1) == [
        HEADLINES[status].format(code=code),
        *(f"QboxDomainSettings {code}: {line}" for line in said),
    ]
    assert calls(emulator) == [call.request]


NOT_FOUND = (
    "pulumi_qboxmail.errors.NotFoundError: QboxDomainSettings {code}: no such domain, or it is "
    "not visible to this API token (HTTP 404 Not Found). Check domain_code and which Qboxmail "
    "account the token belongs to."
)


@pytest.mark.parametrize("op", ["create", "update"])
def test_unknown_domain_fails_create_and_update_with_one_request(
    plugin: Plugin, emulator: Emulator, code: str, op: str
) -> None:
    call = prepare(op, plugin, emulator, code)
    del emulator.domains[code]  # never existed (create) or deleted outside Pulumi (update)
    failure = failing(call, plugin)
    assert failure.last_line == NOT_FOUND.format(code=code)
    assert calls(emulator) == [call.request]
    assert code not in emulator.domains


def test_unknown_domain_on_read_drops_the_resource_after_one_request(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    call = prepare("read", plugin, emulator, code)
    del emulator.domains[code]
    assert call.run(plugin) == ("", {}, None)
    assert calls(emulator) == [call.request]


REJECTION = {
    "message": "Validation failed",
    "errors": [
        {"field": "max_email_accounts", "description": "must be less than 5 for this plan"},
        {"field": "plan", "description": "is not available for this customer"},
    ],
}


@pytest.mark.parametrize("op", OPS)
def test_validation_failure_is_one_request_and_one_line_per_field(
    plugin: Plugin, emulator: Emulator, code: str, op: str
) -> None:
    call = prepare(op, plugin, emulator, code)
    before = copy.deepcopy(emulator.domains[code])
    emulator.fail_next(1, 422, body=REJECTION)
    failure = failing(call, plugin)
    assert error_lines(failure, 3)[1:] == [
        f"pulumi_qboxmail.errors.ApiValidationError: QboxDomainSettings {code}: Qboxmail "
        "rejected max_email_accounts: must be less than 5 for this plan (HTTP 422)",
        f"QboxDomainSettings {code}: Qboxmail rejected plan: is not available for this "
        "customer (HTTP 422)",
    ]
    assert not error_lines(failure, 3)[0].startswith("QboxDomainSettings")
    assert calls(emulator) == [call.request]
    assert emulator.domains[code] == before


@pytest.mark.parametrize("op", OPS)
def test_validation_failure_without_field_errors_shows_the_message(
    plugin: Plugin, emulator: Emulator, code: str, op: str
) -> None:
    call = prepare(op, plugin, emulator, code)
    emulator.fail_next(1, 422, body={"message": "Domain is suspended", "errors": []})
    failure = failing(call, plugin)
    assert failure.last_line == (
        f"pulumi_qboxmail.errors.ApiValidationError: QboxDomainSettings {code}: Qboxmail "
        "rejected the request: Domain is suspended (HTTP 422)"
    )
    assert calls(emulator) == [call.request]


@pytest.mark.parametrize(
    ("status", "shown"),
    [(400, "HTTP 400 Bad Request"), (409, "HTTP 409 Conflict")],
    ids=["400", "409"],
)
@pytest.mark.parametrize("op", OPS)
def test_other_client_errors_are_one_request_and_shown_as_unexpected(
    plugin: Plugin, emulator: Emulator, code: str, op: str, status: int, shown: str
) -> None:
    call = prepare(op, plugin, emulator, code)
    before = copy.deepcopy(emulator.domains[code])
    emulator.fail_next(1, status)
    failure = failing(call, plugin)
    assert failure.last_line == (
        f"pulumi_qboxmail.errors.ApiError: QboxDomainSettings {code}: Qboxmail answered with an "
        f"unexpected status ({shown}). Check the endpoint and retry; report it if it persists."
    )
    assert calls(emulator) == [call.request]
    assert emulator.domains[code] == before


@pytest.mark.parametrize("op", OPS)
def test_a_redirect_is_not_followed_and_is_one_request(
    plugin: Plugin, emulator: Emulator, code: str, op: str
) -> None:
    call = prepare(op, plugin, emulator, code)
    emulator.fail_next(1, 302, {"Location": f"{emulator.url}/api/domains/D000000302"})
    failure = failing(call, plugin)
    assert failure.last_line == (
        f"pulumi_qboxmail.errors.ApiError: QboxDomainSettings {code}: Qboxmail answered with an "
        "unexpected status (HTTP 302 Found). Check the endpoint and retry; report it if it "
        "persists."
    )
    assert calls(emulator) == [call.request]


NOT_AN_ENVELOPE = {"code": "D000000001", "antispam_level": 2}


# A 200 whose body is not the domain asked for -> the error's last line, after the module path.
NOT_THE_DOMAIN = [
    pytest.param(
        NOT_AN_ENVELOPE,
        'UnexpectedBodyError: QboxDomainSettings {code}: Qboxmail answered without the documented {"resources": [...]} envelope (HTTP 200 OK). Check that qboxmail:endpoint points at the Qboxmail API.',
        id="not-an-envelope",
    ),
    pytest.param(
        {"resources": [], "pagination": {}},
        "NoDomainReturnedError: QboxDomainSettings {code}: Qboxmail returned no domain for this code (HTTP 200 OK). Check domain_code; report it if the domain exists in the Qboxmail panel.",
        id="empty-resources",
    ),
    pytest.param(
        {"resources": [{"code": "D999999998", "antispam_level": 0}], "pagination": {}},
        "WrongDomainReturnedError: QboxDomainSettings {code}: Qboxmail returned the domain 'D999999998' instead (HTTP 200 OK). Check that qboxmail:endpoint points at the Qboxmail API; report it if it does.",
        id="another-domain",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("body", "line"), NOT_THE_DOMAIN)
def test_a_read_answered_with_anything_but_the_domain_is_one_request_and_says_what_came(
    plugin: Plugin, emulator: Emulator, code: str, body: Any, line: str
) -> None:
    call = prepare("read", plugin, emulator, code)
    emulator.fail_next(1, 200, body=body)
    failure = failing(call, plugin)
    assert failure.last_line == "pulumi_qboxmail.errors." + line.replace("{code}", code)
    assert calls(emulator) == [call.request]


def test_read_of_a_bad_envelope_does_not_blame_the_status(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    call = prepare("read", plugin, emulator, code)
    emulator.fail_next(1, 200, body=NOT_AN_ENVELOPE)
    failure = failing(call, plugin)
    assert "unexpected status" not in failure.last_line
