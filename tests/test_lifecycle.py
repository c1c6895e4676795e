"""The dynamic plugin's lifecycle through the real plugin process, against the emulator.

The lifecycle both faces share (create, canonical equality, update, replacement, refresh, drift,
delete) is one table in `test_faces.py`; the tests here run on the dynamic face only.

Every call goes over gRPC as the engine sends it: numbers as doubles, unknowns as the sentinel,
`__provider` in every bag. Each test asserts the exact requests the emulator received.
"""

from __future__ import annotations

from typing import Any

import pytest

from plugin import UNKNOWN, Diff, Plugin, PluginError, apply
from pulumi_qboxmail.tools.emulator import Emulator

SETTINGS = {
    "antispam_level": 2,
    "allow_nets": ["192.168.0.0/16", "10.0.0.1/32"],
    "max_email_accounts": 25,
    "force_otp": True,
    "webmail_language": "en",
}
NO_CHANGE = Diff("none", [], False)
CHANGE = Diff("some", [], False)


def calls(emulator: Emulator) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in emulator.requests]


def test_preview_of_the_unchanged_stack_shows_no_change_and_sends_nothing(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    inputs = {"domain_code": code, **SETTINGS}
    checked, outs = apply(plugin, inputs)
    emulator.clear_log()
    rechecked, failures = plugin.check(checked, inputs)
    assert failures == []
    assert rechecked == checked
    assert plugin.diff(code, outs, rechecked, old_inputs=checked) == NO_CHANGE
    assert emulator.requests == []


def test_removing_a_setting_stops_managing_it_without_sending_it(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    _, outs = apply(plugin, {"domain_code": code, **SETTINGS})
    emulator.clear_log()
    fewer = {k: v for k, v in SETTINGS.items() if k != "force_otp"}
    news, _ = plugin.check(outs, {"domain_code": code, **fewer})
    assert plugin.diff(code, outs, news) == CHANGE
    new_outs = plugin.update(code, outs, news)
    assert emulator.requests == []
    assert "force_otp" not in new_outs
    assert emulator.domains[code].get("force_otp") is True


def test_preview_with_an_unknown_password_leaves_its_known_confirmation_unjudged(
    plugin: Plugin, code: str
) -> None:
    inputs = {"domain_code": code, "postmaster_password": UNKNOWN}
    confirmation = {"postmaster_password_confirmation": "Postmaster2024x"}

    _, failures = plugin.check({}, {**inputs, **confirmation})
    assert failures == []
    # A confirmation that is not even a string is still refused while the password is unknown.
    _, failures = plugin.check({}, {**inputs, "postmaster_password_confirmation": 7})
    assert failures == [
        ("postmaster_password_confirmation", "must be a string equal to postmaster_password")
    ]


def test_check_reports_one_failure_per_bad_field_and_sends_nothing(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    bad = {"domain_code": code, "antispam_level": 5, "force_otp": "yes", "antispam_levl": 1}
    _, failures = plugin.check({}, bad)
    assert failures == [
        ("antispam_level", "must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive); got 5"),
        ("force_otp", 'must be true or false; got "yes"'),
        ("antispam_levl", 'is not a QboxDomainSettings input; did you mean "antispam_level"?'),
    ]  # fmt: skip
    assert emulator.requests == []


def test_force_new_password_is_sent_only_when_it_turns_true(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    path = f"/api/domains/{code}"
    base = {"domain_code": code, "antispam_level": 1}
    _, outs = apply(plugin, {**base, "force_new_password": True})
    assert calls(emulator) == [("PUT", path, {"antispam_level": 1, "force_new_password": True})]

    steps: list[tuple[dict[str, Any], Any]] = [
        ({**base, "force_new_password": True, "antispam_level": 2}, {"antispam_level": 2}),
        ({**base, "force_new_password": False, "antispam_level": 2}, None),
        ({**base, "force_new_password": True, "antispam_level": 2}, {"force_new_password": True}),
        ({**base, "antispam_level": 2}, None),
        ({**base, "force_new_password": True, "antispam_level": 2}, {"force_new_password": True}),
    ]
    for inputs, expected_body in steps:
        emulator.clear_log()
        news, _ = plugin.check(outs, inputs)
        assert plugin.diff(code, outs, news) == CHANGE
        outs = plugin.update(code, outs, news)
        assert calls(emulator) == ([("PUT", path, expected_body)] if expected_body else [])


@pytest.mark.parametrize(
    ("flag", "setting", "old", "new"),
    [
        ("default_quota_apply_to_all", "default_quota", 1073741824, 2147483648),
        ("allow_nets_apply_to_all", "allow_nets", ["10.0.0.0/8"], ["10.0.0.0/8", "::1"]),
        ("password_policies_apply_to_all", "password_expiration", 3, 6),
        ("password_policies_apply_to_all", "force_otp", False, True),
    ],
)
def test_apply_to_all_flag_goes_only_with_a_change_to_its_settings(
    plugin: Plugin, emulator: Emulator, code: str, flag: str, setting: str, old: Any, new: Any
) -> None:
    path = f"/api/domains/{code}"
    _, outs = apply(plugin, {"domain_code": code, setting: old, "antispam_level": 1, flag: True})
    assert calls(emulator) == [("PUT", path, {setting: old, "antispam_level": 1, flag: True})]

    emulator.clear_log()
    news, _ = plugin.check(
        outs, {"domain_code": code, setting: old, "antispam_level": 2, flag: True}
    )
    outs = plugin.update(code, outs, news)
    assert calls(emulator) == [("PUT", path, {"antispam_level": 2})]

    emulator.clear_log()
    news, _ = plugin.check(
        outs, {"domain_code": code, setting: new, "antispam_level": 2, flag: True}
    )
    outs = plugin.update(code, outs, news)
    assert calls(emulator) == [("PUT", path, {setting: new, flag: True})]

    emulator.clear_log()
    news, _ = plugin.check(outs, {"domain_code": code, setting: old, "antispam_level": 2})
    plugin.update(code, outs, news)
    assert calls(emulator) == [("PUT", path, {setting: old})]


def test_action_flags_never_show_as_drift(plugin: Plugin, emulator: Emulator, code: str) -> None:
    flags = {"force_new_password": True, "default_quota_apply_to_all": True}
    inputs = {"domain_code": code, "default_quota": 1073741824, **flags}
    checked, outs = apply(plugin, inputs)
    emulator.clear_log()
    _, refreshed, _ = plugin.read(code, outs)
    assert refreshed == outs
    news, _ = plugin.check(checked, inputs)
    assert plugin.diff(code, refreshed, news) == NO_CHANGE
    assert calls(emulator) == [("GET", f"/api/domains/{code}", None)]


def test_password_is_sent_with_its_confirmation_only_when_it_changes(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    path = f"/api/domains/{code}"
    first = {"domain_code": code, "postmaster_password": "Sup3rSecret", "antispam_level": 1}
    checked, outs = apply(plugin, first)
    body = {"postmaster_password": "Sup3rSecret", "postmaster_password_confirmation": "Sup3rSecret"}
    assert calls(emulator) == [("PUT", path, {**body, "antispam_level": 1})]
    assert "postmaster_password_confirmation" not in checked

    emulator.clear_log()
    news, _ = plugin.check(outs, {**first, "antispam_level": 2})
    outs = plugin.update(code, outs, news)
    assert calls(emulator) == [("PUT", path, {"antispam_level": 2})]

    emulator.clear_log()
    news, _ = plugin.check(
        outs, {**first, "antispam_level": 2, "postmaster_password": "N3wSecret!"}
    )
    assert plugin.diff(code, outs, news) == CHANGE
    plugin.update(code, outs, news)
    new_body = {
        "postmaster_password": "N3wSecret!",
        "postmaster_password_confirmation": "N3wSecret!",
    }
    assert calls(emulator) == [("PUT", path, new_body)]
    assert "postmaster_password" not in emulator.domains[code]


def test_unknown_domain_fails_create_with_one_clear_line(
    plugin: Plugin, emulator: Emulator
) -> None:
    checked, _ = plugin.check({}, {"domain_code": "D000000404", "antispam_level": 1})
    emulator.clear_log()
    with pytest.raises(PluginError) as failure:
        plugin.create(checked)
    assert calls(emulator) == [("PUT", "/api/domains/D000000404", {"antispam_level": 1})]
    assert failure.value.last_line == (
        "pulumi_qboxmail.errors.NotFoundError: QboxDomainSettings D000000404: no such domain, "
        "or it is not visible to this API token (HTTP 404 Not Found). Check domain_code and "
        "which Qboxmail account the token belongs to."
    )


def test_server_side_rejection_names_the_field_and_keeps_old_outputs(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    _, outs = apply(plugin, {"domain_code": code, "antispam_level": 1})
    rejection = {
        "message": "Validation failed",
        "errors": [{"field": "antispam_level", "description": "is not valid"}],
    }
    emulator.fail_next(1, 422, body=rejection)
    emulator.clear_log()
    news, _ = plugin.check(outs, {"domain_code": code, "antispam_level": 3})
    with pytest.raises(PluginError) as failure:
        plugin.update(code, outs, news)
    assert calls(emulator) == [("PUT", f"/api/domains/{code}", {"antispam_level": 3})]
    assert failure.value.last_line == (
        "pulumi_qboxmail.errors.ApiValidationError: QboxDomainSettings "
        f"{code}: Qboxmail rejected antispam_level: is not valid (HTTP 422)"
    )
    assert emulator.domains[code]["antispam_level"] == 1
