"""Tier 6: hostile inputs, as hypothesis properties over the provider's `check`.

Arbitrary JSON-like values for every field (wrong types, huge ints, NaN, infinities, -0.0, empty
and 10k-character strings, odd unicode, nested lists and dicts, unknown keys), first by calling
`QboxDomainSettingsProvider().check` directly (fast, many examples), then a few dozen through the
real plugin. The properties:

- check never raises: it only returns failures, and every failure names an input it was given
  (or the required `domain_code` when that is missing);
- what check accepts, the API accepts: the PUT body the provider builds from the checked inputs
  passes the emulator's independent server-side rules (`emulator.validate`), also after the
  engine's round trip that turns every number into a double;
- settings drawn from the schema (its enumerations from model.py) are accepted, and a create
  followed by a diff (and a refresh) through the plugin shows no change.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import math
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from plugin import Diff, Plugin
from pulumi_qboxmail import QboxDomainSettingsProvider
from pulumi_qboxmail.model import (
    ANTISPAM_LEVELS,
    DATE_FORMATS,
    FIELDS,
    INT32_MAX,
    LANGUAGES,
    MAX_EMAIL_QUOTAS,
    PASSWORD_EXPIRATIONS,
    PLANS,
    RULES,
    SAFE_INT_MAX,
    SECRET_FIELDS,
    TIME_FORMATS,
    WEBMAIL_LANGUAGES,
    validate,
)
from pulumi_qboxmail.provider import request_body
from pulumi_qboxmail.rules import zone_names
from pulumi_qboxmail.tools.emulator import Emulator
from pulumi_qboxmail.tools.emulator import validate as api_validate

PROVIDER = QboxDomainSettingsProvider()
CODE = "D123456789"
NO_CHANGE = Diff("none", [], False)
_codes = itertools.count(600000001)

# Bounded so the whole file runs in well under a minute on two cores.
DIRECT = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
THROUGH_PLUGIN = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ---- strategies: anything JSON-like ------------------------------------------------------------
CHARS = st.characters(exclude_categories=("Cs",))  # no lone surrogates: not valid UTF-8 anyway
ODD_STRINGS = [
    "",
    " ",
    "x" * 10_000,
    "é" * 10_000,
    "\u202eevil",
    "\u200b",
    "\x00",
    "\ufeffbasic",
    "🙂",
    "İ",
    "NaN",
    "null",
    "true",
    "-1",
    "1e3",
    "\uff10",  # FULLWIDTH DIGIT ZERO
    "٣",
    "D12345678٩",
]
ODD_NUMBERS = [
    0,
    -1,
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63) - 1,
    10**30,
    -0.0,
    0.5,
    2.5,
    3.0,
    1e308,
    5e-324,
    math.nan,
    math.inf,
    -math.inf,
]
LEAVES = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),  # NaN, infinities and -0.0 included
    st.text(CHARS, max_size=30),
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(ODD_NUMBERS),
)
JSON_LIKE = st.recursive(
    st.none() | LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARS, max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)

# ---- strategies: valid values, from the schema -------------------------------------------------
ZONES = sorted(zone_names())
COUNT = st.integers(-1, INT32_MAX)
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
LOCAL = st.from_regex(r"[A-Za-z0-9]+([._+-][A-Za-z0-9]+){0,2}", fullmatch=True)
EMAIL = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    LOCAL,
    st.lists(LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "net", "it", "IO", "Com"]),
)
PASSWORD = st.builds(
    lambda letter, rest, digit: letter + rest + digit,
    st.sampled_from(string.ascii_letters + "éßΩ"),
    st.text(CHARS, min_size=6, max_size=30),
    st.sampled_from(string.digits),
)


def _network(version: int) -> st.SearchStrategy[str]:
    bits = 32 if version == 4 else 128
    address = st.ip_addresses(v=version)
    prefix = st.integers(0, bits)

    def spell(addr: Any, length: int, single: bool, pad: bool) -> str:
        net = ipaddress.ip_network((addr, length), strict=False)
        text = str(net.network_address) if single and length == bits else str(net)
        return f" {text} " if pad else text

    return st.builds(spell, address, prefix, st.booleans(), st.booleans())


NETWORKS = st.lists(_network(4) | _network(6), max_size=5)


def valid_value(name: str) -> st.SearchStrategy[Any]:
    """A value the schema accepts for `name` (its integers are all exact as doubles)."""
    rule = RULES[name]
    choices = {
        "antispam_level": ANTISPAM_LEVELS,
        "max_email_quota": MAX_EMAIL_QUOTAS,
        "password_expiration": PASSWORD_EXPIRATIONS,
        "plan": PLANS,
        "language": LANGUAGES,
        "webmail_language": WEBMAIL_LANGUAGES,
        "webmail_time_format": TIME_FORMATS,
        "webmail_date_format": DATE_FORMATS,
    }
    if name in choices:
        return st.sampled_from(sorted(choices[name], key=str))
    if name in ("timezone", "webmail_timezone"):
        return st.sampled_from(ZONES)
    if name == "default_quota":
        return st.integers(0, SAFE_INT_MAX) | st.sampled_from([0, 1073741824, SAFE_INT_MAX])
    if name == "outbound_limit":
        return st.integers(0, INT32_MAX)
    if name.startswith("max_email_accounts"):
        return COUNT | st.sampled_from([-1, 0, INT32_MAX])
    if name == "allow_nets":
        return NETWORKS
    if name == "catch_all_destination":
        return EMAIL
    if name == "postmaster_password":
        return PASSWORD
    if name == "domain_code":
        return st.just(CODE)
    if rule.type_name == "boolean":
        return st.booleans()
    assert rule.type_name == "string", name
    return st.text(CHARS, max_size=40) | st.sampled_from(["", "x" * 10_000])


FULLWIDTH_CODE = "D" + "".join(chr(0xFF10 + int(d)) for d in "123456789")
NEAR_MISSES: dict[str, list[Any]] = {
    "domain_code": ["D12345678", "d123456789", "D1234567890", " D123456789", FULLWIDTH_CODE],
    "antispam_level": [4, -1, 2.5, "2", True],
    "max_email_accounts": [-2, 2**31, 1.5, "10", False],
    "default_quota": [-1, 2**63, 1e19, "1GB"],
    "max_email_quota": [52428801, 1073741824.5, "50GB"],
    "password_expiration": [0, 1, 24, "never"],
    "outbound_limit": [-1, 2**31],
    "plan": ["Basic", " basic", "basic\x00", "BASIC"],
    "language": ["EN", "en-US", "fr"],
    "webmail_date_format": ["yyyy/mm/dd", "DD-MM-YYYY"],
    "timezone": ["europe/rome", "Europe/Roma", "UTC ", "Mars/Olympus"],
    "allow_nets": [["10.0.0.1/8"], ["10.0.0.256"], "10.0.0.0/8", [None], ["fe80::1%1"], [10]],
    "catch_all_destination": ["a@b", "a..b@example.com", "@example.com", "a b@example.com"],
    "postmaster_password": ["short1", "lettersonly", "12345678", "\u0661" * 8, 12345678],
    "postmaster_password_confirmation": ["other1234", 12345678, ""],
    "force_otp": ["true", 1, 0.0, [True]],
    "company": [1, [], {}],
}


TOP_LEVEL = JSON_LIKE.filter(lambda value: value is not None)
"""The engine never sends a None input (tests below cover None given directly)."""


def field_value(name: str, *, bad: bool) -> st.SearchStrategy[Any]:
    if not bad:
        return valid_value(name)
    near = NEAR_MISSES.get(name, [])
    return st.one_of(TOP_LEVEL, st.sampled_from(near)) if near else TOP_LEVEL


UNKNOWN_KEYS = st.text(CHARS, min_size=1, max_size=12).filter(
    lambda key: key not in FIELDS and not key.startswith("__")
) | st.sampled_from(["antispam_levl", "Plan", "domainCode", "postmaster_pasword"])


@st.composite
def hostile_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """Inputs where each field is bad (near miss or anything JSON-like) at a drawn rate.

    Shrinking moves towards valid values, so a failing example shows only the bad fields.
    """
    tenths = draw(st.sampled_from([0, 1, 3, 10]))  # how often a field is bad, out of 10

    valid: set[str] = set()

    def value(name: str) -> Any:
        bad = draw(st.integers(0, 9)) < tenths
        if not bad:
            valid.add(name)
        return draw(field_value(name, bad=bad))

    news: dict[str, Any] = {}
    if draw(st.integers(0, 9)):  # mostly present, sometimes missing
        news["domain_code"] = value("domain_code")
    for name in draw(st.lists(st.sampled_from(FIELDS[1:]), unique=True, max_size=8)):
        news[name] = value(name)
    confirmation = "postmaster_password_confirmation"
    if confirmation in valid:  # a valid confirmation repeats the password, or is left out
        if "postmaster_password" in news:
            news[confirmation] = news["postmaster_password"]
        else:
            del news[confirmation]
    if not draw(st.integers(0, 4)):
        news.update(draw(st.dictionaries(UNKNOWN_KEYS, TOP_LEVEL, min_size=1, max_size=2)))
    return news


@st.composite
def valid_settings(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(FIELDS[1:]), unique=True, min_size=1, max_size=15))
    news = {"domain_code": CODE}
    for name in names:
        if name == "postmaster_password_confirmation":
            continue  # derived from the password below
        news[name] = draw(valid_value(name))
    if "postmaster_password" in news and "postmaster_password_confirmation" in names:
        news["postmaster_password_confirmation"] = news["postmaster_password"]
    return news


# ---- helpers -----------------------------------------------------------------------------------
def as_engine(value: Any) -> Any:
    """What the engine delivers: every number a double, None dropped from maps."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            reject()  # cannot be sent at all: the SDK fails before any engine call
    if isinstance(value, list):
        return [as_engine(item) for item in value]
    return {k: as_engine(v) for k, v in value.items() if v is not None}


def api_body(checked: dict[str, Any]) -> Any:
    """The PUT body create sends for checked inputs, as JSON on the wire."""
    settings_only = {k: v for k, v in checked.items() if k != "domain_code"}
    return json.loads(json.dumps(request_body(None, settings_only)))


def assert_failures_name_inputs(failures: list[tuple[str, str]], news: dict[str, Any]) -> None:
    for name, reason in failures:
        assert isinstance(reason, str) and reason, name
        assert name in news or (name == "domain_code" and "domain_code" not in news), name


def failures_of(news: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    result = PROVIDER.check({}, news)  # raising here fails the property
    failures = [(f.property, f.reason) for f in result.failures]
    return dict(result.inputs), failures


# ---- direct properties -------------------------------------------------------------------------
@DIRECT
@given(news=hostile_inputs())
def test_check_never_raises_and_what_it_accepts_the_api_accepts(news: dict[str, Any]) -> None:
    checked, failures = failures_of(news)
    event("check failed" if failures else "check passed")
    assert_failures_name_inputs(failures, news)
    assert set(checked) <= set(news)
    assert not {name for name, _ in failures} & set(checked)
    for name, reason in failures:  # a rejected password is never shown back
        assert name not in SECRET_FIELDS or "; got" not in reason
    if not failures:
        assert api_validate(api_body(checked)) == []


@DIRECT
@given(news=hostile_inputs())
def test_what_check_accepts_from_the_engine_survives_the_round_trip_to_create(
    news: dict[str, Any],
) -> None:
    wire = as_engine(news)
    checked, failures = failures_of(wire)
    event("check failed" if failures else "check passed")
    assert_failures_name_inputs(failures, wire)
    if failures:
        return
    stored = as_engine(checked)  # check's answer is serialized again: numbers as doubles
    normalized, errors = validate(stored)  # what create does before its PUT
    assert errors == []
    assert api_validate(api_body(normalized)) == []
    rechecked, refailures = failures_of(stored)  # check is idempotent on its own answer
    assert refailures == []
    assert rechecked == checked


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(news=valid_settings(), engine_news=valid_settings())
def test_settings_drawn_from_the_schema_pass_check_and_the_api(
    news: dict[str, Any], engine_news: dict[str, Any]
) -> None:
    checked, failures = failures_of(news)
    assert failures == []
    assert api_validate(api_body(checked)) == []
    engine_checked, engine_failures = failures_of(as_engine(engine_news))
    assert engine_failures == []
    normalized, errors = validate(as_engine(engine_checked))
    assert errors == []
    assert api_validate(api_body(normalized)) == []


# ---- through the plugin ------------------------------------------------------------------------
def fresh_domain(emulator: Emulator) -> str:
    code = f"D{next(_codes)}"
    emulator.add_domain(code)
    emulator.clear_log()
    return code


@THROUGH_PLUGIN
@given(news=hostile_inputs())
def test_through_the_plugin_check_answers_and_accepted_inputs_are_put_with_success(
    plugin: Plugin, emulator: Emulator, news: dict[str, Any]
) -> None:
    wire = as_engine(news)
    code = fresh_domain(emulator)
    if wire.get("domain_code") == CODE:
        wire["domain_code"] = code
    checked, failures = plugin.check({}, wire)  # a PluginError here means check raised
    event("check failed" if failures else "check passed")
    assert_failures_name_inputs(failures, wire)
    if failures:
        assert emulator.requests == []
        return
    id_, _ = plugin.create(checked)  # the emulator answered 2xx, or this raises
    assert id_ == checked["domain_code"]
    assert [(r.method, r.path) for r in emulator.requests] == [("PUT", f"/api/domains/{id_}")]
    assert api_validate(emulator.requests[0].body) == []


@THROUGH_PLUGIN
@given(news=valid_settings())
def test_valid_settings_create_then_diff_and_refresh_show_no_change(
    plugin: Plugin, emulator: Emulator, news: dict[str, Any]
) -> None:
    code = fresh_domain(emulator)
    inputs = {**news, "domain_code": code}
    checked, failures = plugin.check({}, inputs)
    assert failures == []
    _, outs = plugin.create(checked)
    assert len(emulator.requests) == 1
    assert api_validate(emulator.requests[0].body) == []
    rechecked, failures = plugin.check(checked, inputs)
    assert failures == []
    assert plugin.diff(code, outs, rechecked, old_inputs=checked) == NO_CHANGE
    _, refreshed, refreshed_inputs = plugin.read(code, outs, inputs=checked)
    assert refreshed == outs
    assert plugin.diff(code, refreshed, rechecked, old_inputs=refreshed_inputs) == NO_CHANGE


# ---- bugs found here ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["antispam_level", "timezone", "postmaster_password"])
def test_check_with_a_null_value_and_another_bad_field_returns_failures(name: str) -> None:
    _, failures = failures_of({"domain_code": CODE, name: None, "plan": "gold"})
    assert "plan" in [field for field, _ in failures]


@pytest.mark.parametrize("name", ["antispam_level", "postmaster_password"])
def test_a_null_value_is_treated_as_absent(name: str) -> None:
    checked, failures = failures_of({"domain_code": CODE, name: None})
    assert failures == []
    assert api_validate(api_body(checked)) == []


@pytest.mark.parametrize("name", ["company", "antispam_level", "allow_nets"])
def test_check_returns_a_failure_for_a_value_nested_3000_deep(name: str) -> None:
    deep: Any = "x"
    for _ in range(3000):
        deep = [deep]
    _, failures = failures_of({"domain_code": CODE, name: deep})
    assert [field for field, _ in failures] == [name]


def test_a_huge_integer_is_rejected_with_the_rule_not_a_python_limit() -> None:
    _, failures = failures_of({"domain_code": CODE, "max_email_accounts": 10**5000})
    assert failures[0][1].startswith("must be -1 (no limit) or a whole number from 0 to 2147483647")


@pytest.mark.parametrize(
    ("given_net", "reason", "suggested"),
    [
        ("10.0.0.1/8", 'item 0 ("10.0.0.1/8") has host bits set; use "10.0.0.0/8"', "10.0.0.0/8"),
        ("2001:db8::1/32", 'item 0 ("2001:db8::1/32") has host bits set; use "2001:db8::/32"', "2001:db8::/32"),
        ("fe80::%1/64", 'item 0 ("fe80::%1/64") has an IPv6 zone index', None),
        ("fe80::1%eth0", 'item 0 ("fe80::1%eth0") has an IPv6 zone index', None),
    ],
)  # fmt: skip
def test_a_suggested_network_is_itself_accepted(
    given_net: str, reason: str, suggested: str | None
) -> None:
    _, failures = failures_of({"domain_code": CODE, "allow_nets": [given_net]})
    assert failures == [("allow_nets", reason)]
    if suggested is not None:
        _, again = failures_of({"domain_code": CODE, "allow_nets": [suggested]})
        assert again == []


@pytest.mark.parametrize(
    ("name", "value", "bound"),
    [("default_quota", 2**63, SAFE_INT_MAX), ("outbound_limit", 2**31, INT32_MAX)],
)
def test_an_integer_above_its_bound_is_told_the_bound(name: str, value: int, bound: int) -> None:
    _, failures = failures_of({"domain_code": CODE, name: float(value)})
    assert len(failures) == 1
    assert str(bound) in failures[0][1]
