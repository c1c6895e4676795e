"""Tier 1: the schema's rules, as tables of good and bad values."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
import pytest
from typing_extensions import Required

from pulumi_qboxmail import QboxDomainSettings, QboxDomainSettingsArgs
from pulumi_qboxmail.model import (
    ACTION_FLAGS,
    FIELDS,
    PASSWORD_POLICY_FIELDS,
    RULES,
    SETTINGS,
    FieldError,
    field_table,
    validate,
)

ROOT = Path(__file__).resolve().parents[1]
CODE = "D123456789"
COUNT_RULE = "must be -1 (no limit) or a whole number from 0 to 2147483647"
QUOTA_RULE = "must be a whole number of bytes from 0 to 9007199254740991 (2^53 - 1, the largest integer a Pulumi number holds safely)"
ANTISPAM_RULE = "must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive)"


def one(field: str, value: Any) -> tuple[dict[str, Any], list[FieldError]]:
    return validate({"domain_code": CODE, field: value})


GOOD: list[tuple[str, Any, Any]] = [
    ("domain_code", "D000000000", "D000000000"),
    ("antispam_level", 0, 0),
    ("antispam_level", 3.0, 3),
    ("max_email_accounts", -1, -1),
    ("max_email_accounts", -1.0, -1),
    ("max_email_accounts", 0, 0),
    ("max_email_accounts_25gb", 2**31 - 1, 2**31 - 1),
    ("max_email_accounts_archive", 7.0, 7),
    ("default_quota", 0, 0),
    ("default_quota", 107374182400.0, 107374182400),
    ("default_quota", float(2**53 - 1), 2**53 - 1),
    ("max_email_quota", 52428800, 52428800),
    ("max_email_quota", 107374182400.0, 107374182400),
    ("password_expiration", -1.0, -1),
    ("password_expiration", 12, 12),
    ("outbound_limit", 0, 0),
    ("plan", "enterprise", "enterprise"),
    ("language", "es", "es"),
    ("webmail_language", "gr", "gr"),
    ("webmail_time_format", "24h", "24h"),
    ("webmail_date_format", "DD MMM YYYY", "DD MMM YYYY"),
    ("timezone", "Europe/Rome", "Europe/Rome"),
    ("webmail_timezone", "UTC", "UTC"),
    ("timezone", "Europe/Kyiv", "Europe/Kyiv"),
    ("webmail_timezone", "US/Eastern", "US/Eastern"),  # a backward-compatible link tzdata lists
    ("catch_all_destination", "postmaster@Example.COM", "postmaster@example.com"),
    ("force_otp", False, False),
    ("company", "", ""),
    ("webmail_signature_template", "ÅŁ ✉ " * 200, "ÅŁ ✉ " * 200),
    ("allow_nets", [], []),
    ("allow_nets", ["0.0.0.0/0"], ["0.0.0.0/0"]),
    ("allow_nets", ["10.0.0.1/32", "10.0.0.1"], ["10.0.0.1"]),
    (
        "allow_nets",
        ["2001:DB8::/32", "192.168.1.0/24", "::1", "10.0.0.0/8"],
        ["10.0.0.0/8", "192.168.1.0/24", "::1", "2001:db8::/32"],
    ),
    ("allow_nets", ["::/0", "2001:db8::1/128"], ["::/0", "2001:db8::1"]),
    ("postmaster_password", "abcdefg1", "abcdefg1"),
]


@pytest.mark.parametrize(("field", "value", "expected"), GOOD)
def test_good_value_is_accepted_in_canonical_form(field: str, value: Any, expected: Any) -> None:
    normalized, errors = one(field, value)
    assert errors == []
    assert normalized[field] == expected
    assert type(normalized[field]) is type(expected)


BAD: list[tuple[str, Any, str]] = [
    ("domain_code", "D12345678", 'must be D followed by exactly 9 digits, e.g. D123456789; got "D12345678"'),
    ("domain_code", "d123456789", 'must be D followed by exactly 9 digits, e.g. D123456789; got "d123456789"'),
    ("antispam_level", 5, f"{ANTISPAM_RULE}; got 5"),
    ("antispam_level", 5.0, f"{ANTISPAM_RULE}; got 5"),
    ("antispam_level", "2", f'{ANTISPAM_RULE}; got "2"'),
    ("antispam_level", True, f"{ANTISPAM_RULE}; got true"),
    ("max_email_accounts", -2, f"{COUNT_RULE}; got -2"),
    ("max_email_accounts", 2**31, f"{COUNT_RULE}; got 2147483648"),
    ("max_email_accounts_50gb", 2.5, f"{COUNT_RULE}; got 2.5"),
    ("max_email_accounts_100gb", float("nan"), f"{COUNT_RULE}; got NaN"),
    ("max_email_accounts_100gb", float("inf"), f"{COUNT_RULE}; got Infinity"),
    ("max_email_accounts", "10", f'{COUNT_RULE}; got "10"'),
    ("default_quota", -1, f"{QUOTA_RULE}; got -1"),
    ("default_quota", 2**53, f"{QUOTA_RULE}; got 9007199254740992"),
    ("default_quota", float(2**53 + 1), f"{QUOTA_RULE}; got 9007199254740992"),  # 2**53 + 1 as a double
    ("default_quota", float(2**63 - 1), f"{QUOTA_RULE}; got 9223372036854775808"),  # the old maximum, as sent
    ("outbound_limit", -1, "must be an outbound limit id from 0 (the default) to 2147483647; got -1"),
    ("max_email_quota", 52428801, "must be one of 52428800 (50 MB), 1073741824 (1 GB), 2147483648 (2 GB), 3221225472 (3 GB), 4294967296 (4 GB), 5368709120 (5 GB), 6442450944 (6 GB), 7516192768 (7 GB), 8589934592 (8 GB), 17179869184 (16 GB), 26843545600 (25 GB), 53687091200 (50 GB), 107374182400 (100 GB); got 52428801"),
    ("password_expiration", 1, "must be one of -1 (never), 3 (3 months), 6 (6 months), 12 (12 months); got 1"),
    ("plan", "gold", 'must be one of basic (Basic), professional (Professional), enterprise (Enterprise); got "gold"'),
    ("language", "de", 'must be one of it (Italian), en (English), es (Spanish); got "de"'),
    ("webmail_time_format", "24H", 'must be one of 12h (12-hour clock), 24h (24-hour clock); got "24H"'),
    ("force_otp", 1, "must be true or false; got 1"),
    ("imap_disabled", "false", 'must be true or false; got "false"'),
    ("company", 42, "must be a string; got 42"),
    ("company", ["a"], 'must be a string; got ["a"]'),
    ("timezone", "europe/rome", 'must be an IANA time zone name such as "Europe/Rome" or "UTC" (did you mean "Europe/Rome"?); got "europe/rome"'),
    ("timezone", "+02:00", 'must be an IANA time zone name such as "Europe/Rome" or "UTC"; got "+02:00"'),
    # Names only some OS databases add beside tzdata's list: one list on every OS refuses them.
    ("timezone", "localtime", 'must be an IANA time zone name such as "Europe/Rome" or "UTC"; got "localtime"'),
    ("webmail_timezone", "posix/Europe/Rome", 'must be an IANA time zone name such as "Europe/Rome" or "UTC" (did you mean "Europe/Rome"?); got "posix/Europe/Rome"'),
    ("catch_all_destination", "nobody", 'must be an email address (An email address must have an @-sign.); got "nobody"'),
    ("allow_nets", "10.0.0.0/8", 'must be a list of IPv4/IPv6 addresses or CIDR networks without host bits; order and duplicates do not matter; got "10.0.0.0/8"'),
    ("allow_nets", ["10.0.0.0/33"], 'item 0 ("10.0.0.0/33") is not an IPv4/IPv6 address or CIDR network'),
    ("allow_nets", ["::1/129"], 'item 0 ("::1/129") is not an IPv4/IPv6 address or CIDR network'),
    ("allow_nets", ["10.0.0.0/8", "10.0.0.5/24", 7], 'item 1 ("10.0.0.5/24") has host bits set; use "10.0.0.0/24"; item 2 (7) must be a string'),
    ("allow_nets", [["10.0.0.1"]], 'item 0 (["10.0.0.1"]) must be a string'),
    ("postmaster_password", "abcdefgh", "must be at least 8 characters long and contain at least one letter and one number"),
    ("postmaster_password", "1234567a"[:7], "must be at least 8 characters long and contain at least one letter and one number"),
    ("postmaster_password", "12345678", "must be at least 8 characters long and contain at least one letter and one number"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "message"), BAD)
def test_bad_value_is_rejected_naming_field_and_rule(field: str, value: Any, message: str) -> None:
    normalized, errors = one(field, value)
    assert errors == [FieldError(field, message)]
    assert field not in normalized


def test_every_bad_field_is_reported_at_once_in_schema_order() -> None:
    _, errors = validate({"plan": "gold", "antispam_level": 9, "force_otp": "yes"})
    assert [str(e) for e in errors] == [
        "domain_code: is required",
        f"antispam_level: {ANTISPAM_RULE}; got 9",
        'force_otp: must be true or false; got "yes"',
        "plan: must be one of basic (Basic), professional (Professional), enterprise "
        '(Enterprise); got "gold"',
    ]


def test_unknown_property_is_rejected_with_nearest_name() -> None:
    _, errors = validate({"domain_code": CODE, "antispam_levl": 2, "zzz": 1})
    assert errors == [
        FieldError("antispam_levl", 'is not a QboxDomainSettings input; did you mean "antispam_level"?'),
        FieldError("zzz", "is not a QboxDomainSettings input"),
    ]  # fmt: skip


def test_password_is_never_echoed_in_an_error() -> None:
    _, errors = validate({"domain_code": CODE, "postmaster_password": "hunter2!"})
    assert "hunter2" not in " ".join(map(str, errors))


def test_confirmation_must_match_and_is_derived_not_kept() -> None:
    password = {"domain_code": CODE, "postmaster_password": "s3cretpass"}
    assert validate({**password, "postmaster_password_confirmation": "s3cretpass"}) == (
        password,
        [],
    )
    _, errors = validate({**password, "postmaster_password_confirmation": "other1234"})
    assert errors == [
        FieldError("postmaster_password_confirmation", "must match postmaster_password")
    ]
    assert "other1234" not in str(errors)


def test_valid_fields_are_normalized_even_when_others_fail() -> None:
    normalized, errors = validate({"domain_code": CODE, "antispam_level": 2.0, "plan": "x"})
    assert normalized == {"domain_code": CODE, "antispam_level": 2}
    assert [e.field for e in errors] == ["plan"]


API_DOC = ROOT / "docs" / "qboxmail-api-update-domain.txt"


def _documented_fields() -> list[str]:
    text = API_DOC.read_text()
    body = text.split("Request Body", 1)[1].split("Response Body", 1)[0]
    return re.findall(r"^([a-z0-9_]+)\?", body, flags=re.MULTILINE)


def test_schema_holds_exactly_the_documented_body_fields_plus_domain_code() -> None:
    documented = _documented_fields()
    assert len(documented) == 54
    assert list(FIELDS) == ["domain_code", *documented]


def test_action_flags_and_password_are_not_settings() -> None:
    assert set(ACTION_FLAGS) == {
        "allow_nets_apply_to_all",
        "default_quota_apply_to_all",
        "password_policies_apply_to_all",
        "force_new_password",
    }
    assert not set(ACTION_FLAGS) & set(SETTINGS)
    assert "postmaster_password" not in SETTINGS
    assert set(PASSWORD_POLICY_FIELDS) <= set(SETTINGS)


# A `number` here is a whole number too wide for a 32-bit int; Python's int holds it.
PYTHON_TYPES = {"integer": int, "number": int, "boolean": bool, "string": str}


def test_typed_args_list_exactly_the_schema_fields_with_input_types() -> None:
    annotations = QboxDomainSettingsArgs.__annotations__
    assert list(annotations) == list(FIELDS)
    assert QboxDomainSettingsArgs.__required_keys__ == frozenset({"domain_code"})
    for name in FIELDS:
        kind = RULES[name].type_name
        expected = (
            pulumi.Input[Sequence[pulumi.Input[str]]]
            if kind == "list of strings"
            else pulumi.Input[PYTHON_TYPES[kind]]
        )
        wanted = Required[expected] if name == "domain_code" else expected | None
        assert annotations[name] == wanted, name


def test_resource_declares_an_output_for_every_input() -> None:
    hints = QboxDomainSettings.__annotations__
    assert [name for name in hints if name in FIELDS] == list(FIELDS)
    assert hints["domain_code"] == pulumi.Output[str]
    assert hints["antispam_level"] == pulumi.Output[int | None]
    assert hints["allow_nets"] == pulumi.Output[list[str] | None]
    assert all(getattr(hints[name], "__origin__", None) is pulumi.Output for name in FIELDS)


def test_readme_field_table_is_generated_from_the_schema() -> None:
    readme = (ROOT / "README.md").read_text()
    assert field_table() in readme, "README field table is stale: run python3 dev.py docs"
