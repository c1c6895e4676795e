"""What `pulumi preview` lets through: check and diff through the real plugin, as the engine
calls them during a preview, must fail or say "replace" wherever `pulumi up` would.

Values not known until apply time travel as the engine's `UNKNOWN` sentinel, at any depth;
numbers travel as doubles. Preview sends nothing to Qboxmail, so every test also asserts that
the emulator received no request.
"""

from __future__ import annotations

from typing import Any

import pytest

from plugin import UNKNOWN, Diff, Plugin, apply
from pulumi_qboxmail.tools.emulator import Emulator

SETTINGS = {"antispam_level": 2, "allow_nets": ["10.0.0.0/8"], "force_otp": True}
ZONE_RULE = 'must be an IANA time zone name such as "Europe/Rome" or "UTC"'
QUOTA_RULE = (
    "must be a whole number of bytes from 0 to 9007199254740991 "
    "(2^53 - 1, the largest integer a Pulumi number holds safely)"
)


def created(plugin: Plugin, emulator: Emulator, code: str) -> dict[str, Any]:
    """The outputs of a resource `pulumi up` created earlier, with the request log cleared."""
    _, outs = apply(plugin, {"domain_code": code, **SETTINGS})
    emulator.clear_log()
    return outs


# ---- a partly unknown list -----------------------------------------------------------------------
def test_a_bad_known_item_beside_an_unknown_one_fails_preview(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    # allow_nets=["10.0.0.1/8", vpn.public_ip]: the VPN does not exist yet during preview.
    news = {"domain_code": code, "allow_nets": ["10.0.0.1/8", UNKNOWN]}
    _, failures = plugin.check({}, news)
    assert failures == [("allow_nets", 'item 0 ("10.0.0.1/8") has host bits set; use "10.0.0.0/8"')]
    assert emulator.requests == []


def test_every_bad_known_item_of_a_partly_unknown_list_is_named_by_its_position(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    news = {"domain_code": code, "allow_nets": [UNKNOWN, "10.0.0.0/8", 7, "fe80::1%eth0"]}
    _, failures = plugin.check({}, news)
    assert failures == [
        ("allow_nets", 'item 2 (7) must be a string; item 3 ("fe80::1%eth0") has an IPv6 zone index')
    ]  # fmt: skip
    assert emulator.requests == []


# ---- a misspelled name with an unknown value -----------------------------------------------------
def test_a_misspelled_input_whose_value_is_unknown_fails_preview(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    # antispam=other.output: the name is wrong whatever the value turns out to be.
    _, failures = plugin.check({}, {"domain_code": code, "antispam": UNKNOWN})
    assert failures == [
        ("antispam", 'is not a QboxDomainSettings input; did you mean "antispam_level"?')
    ]
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("name", "value"),
    [("allow_nets", ["10.0.0.0/8", UNKNOWN]), ("antispam_level", UNKNOWN)],
    ids=["good-items-beside-an-unknown-one", "unknown-value"],
)
def test_a_known_input_with_unknown_parts_passes_preview_as_given_and_as_a_change(
    plugin: Plugin, emulator: Emulator, code: str, name: str, value: Any
) -> None:
    outs = created(plugin, emulator, code)
    news = {"domain_code": code, **SETTINGS, name: value}
    checked, failures = plugin.check(outs, news)
    assert failures == []
    # Kept as given, the list included: only apply time knows its canonical form.
    assert checked == news
    assert plugin.diff(code, outs, checked) == Diff("some", [], False)
    assert emulator.requests == []


# ---- an unknown domain_code ----------------------------------------------------------------------
def test_an_unknown_domain_code_on_an_existing_resource_previews_as_a_replace(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    # Everything else is unchanged: the replace comes from the unknown code alone, since up
    # replaces whenever the code turns out to differ.
    outs = created(plugin, emulator, code)
    checked, failures = plugin.check(outs, {**SETTINGS, "domain_code": UNKNOWN})
    assert failures == []
    assert checked["domain_code"] == UNKNOWN
    assert plugin.diff(code, outs, checked, old_inputs=outs) == Diff("some", ["domain_code"], False)
    assert emulator.requests == []


def test_a_known_unchanged_domain_code_beside_an_unknown_setting_is_no_replace(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    outs = created(plugin, emulator, code)
    checked, _ = plugin.check(outs, {"domain_code": code, **SETTINGS, "force_otp": UNKNOWN})
    assert plugin.diff(code, outs, checked, old_inputs=outs) == Diff("some", [], False)
    assert emulator.requests == []


# ---- 64-bit numbers travel as doubles ------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "arrives"),
    [(2**63 - 1, 2**63), (2**53 + 1, 2**53), (2**53, 2**53), (10**19, 10**19)],
    ids=["old-documented-maximum", "rounds-down-to-2^53", "2^53", "beyond-64-bits"],
)
def test_a_default_quota_a_double_cannot_carry_exactly_fails_preview(
    plugin: Plugin, emulator: Emulator, code: str, given: int, arrives: int
) -> None:
    _, failures = plugin.check({}, {"domain_code": code, "default_quota": given})
    assert failures == [("default_quota", f"{QUOTA_RULE}; got {arrives}")]
    assert emulator.requests == []


def test_the_largest_default_quota_crosses_the_wire_exactly(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    checked, failures = plugin.check({}, {"domain_code": code, "default_quota": 2**53 - 1})
    assert failures == []
    _, outs = plugin.create(checked)
    assert [(r.method, r.body) for r in emulator.requests] == [
        ("PUT", {"default_quota": 9007199254740991})
    ]
    assert outs == {"domain_code": code, "default_quota": 9007199254740991}


# ---- one list of time zones on every OS ----------------------------------------------------------
@pytest.mark.parametrize(
    ("zone", "hint"),
    [("localtime", ""), ("posix/Europe/Rome", ' (did you mean "Europe/Rome"?)')],
    ids=["localtime", "posix-prefix"],
)
def test_a_time_zone_only_some_os_databases_list_fails_preview(
    plugin: Plugin, emulator: Emulator, code: str, zone: str, hint: str
) -> None:
    _, failures = plugin.check({}, {"domain_code": code, "webmail_timezone": zone})
    assert failures == [("webmail_timezone", f'{ZONE_RULE}{hint}; got "{zone}"')]
    assert emulator.requests == []


# ---- a confirmation waits for its password -------------------------------------------------------
def test_a_known_confirmation_beside_an_unknown_password_passes_preview(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    # The match can only be checked once the password is known: `pulumi up` checks again then.
    news = {
        "domain_code": code,
        "postmaster_password": UNKNOWN,
        "postmaster_password_confirmation": "Conf1rmed-pw",
    }
    checked, failures = plugin.check({}, news)
    assert failures == []
    assert checked == {"domain_code": code, "postmaster_password": UNKNOWN}
    assert emulator.requests == []


def test_a_confirmation_that_is_no_string_beside_an_unknown_password_fails_preview(
    plugin: Plugin, emulator: Emulator, code: str
) -> None:
    news = {
        "domain_code": code,
        "postmaster_password": UNKNOWN,
        "postmaster_password_confirmation": 5,
    }
    _, failures = plugin.check({}, news)
    assert failures == [
        ("postmaster_password_confirmation", "must be a string equal to postmaster_password")
    ]
    assert emulator.requests == []
