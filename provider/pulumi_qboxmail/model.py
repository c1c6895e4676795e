"""The settings of a Qboxmail domain, declared once.

`DomainSettings` holds every body field of `PUT /api/domains/{domain_code}` with its description
and its rule. Check, diff, the request body, the typed Args and the README field table all derive
from it.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pulumi.output import Unknown
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, ValidationError
from pydantic_core import CoreSchema, ErrorDetails, PydanticCustomError, core_schema

INT32_MAX = 2**31 - 1
SAFE_INT_MAX = 2**53 - 1
"""The largest 64-bit value Pulumi carries without rounding: every number travels as a double,
and a double cannot tell 2**53 + 1 from 2**53, so any larger program value arrives above this."""


@dataclass(frozen=True)
class FieldError:
    """One bad input: the field it belongs to and the rule it broke, in a user's words."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class Rule:
    """A field's rule: its JSON type, its text for docs and errors, and its check."""

    type_name: str
    text: str
    normalize: Callable[[Any], Any]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._validate, handler(source))

    def _validate(self, value: Any) -> Any:
        if value is None:
            return None
        return self.normalize(value)


def _show(value: Any) -> str:
    """Render a rejected value compactly; never used for secret fields."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = f"a {type(value).__name__} that cannot be shown"
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(message: str, value: Any, *, secret: bool = False) -> PydanticCustomError:
    got = "" if secret else f"; got {_show(value)}"
    return PydanticCustomError("qbox", "{rule}", {"rule": message + got})


def _whole_number(value: Any, rule: str) -> int:
    # Pulumi sends every number as a double, so 3.0 is the integer 3 while 2.5 is not an integer.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(rule, value)
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise _fail(rule, value)
    return int(value)


def _integer_type(high: int) -> str:
    # Pulumi's `integer` is a 32-bit int in C# and Java; past that only `number` (a double, exact
    # to 2^53 - 1) holds the value in every language. The rule still demands a whole number.
    return "integer" if high <= INT32_MAX else "number"


def integer(low: int, high: int, text: str) -> Rule:
    def check(value: Any) -> int:
        number = _whole_number(value, text)
        if not low <= number <= high:
            raise _fail(text, value)
        return number

    return Rule(_integer_type(high), text, check)


def one_of(choices: Mapping[Any, str]) -> Rule:
    listed = ", ".join(f"{value} ({label})" for value, label in choices.items())
    text = f"must be one of {listed}"
    numeric = all(isinstance(value, int) for value in choices)

    def check(value: Any) -> Any:
        if numeric:
            value = _whole_number(value, text)
        elif not isinstance(value, str):
            raise _fail(text, value)
        if value not in choices:
            raise _fail(text, value)
        return value

    return Rule(_integer_type(max(choices)) if numeric else "string", text, check)


def boolean() -> Rule:
    text = "must be true or false"

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise _fail(text, value)
        return value

    return Rule("boolean", text, check)


def text_value() -> Rule:
    text = "must be a string"

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _fail(text, value)
        return value

    return Rule("string", text, check)


def pattern(regex: str, text: str) -> Rule:
    compiled = re.compile(regex)

    def check(value: Any) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise _fail(text, value)
        return value

    return Rule("string", text, check)


def password() -> Rule:
    text = "must be at least 8 characters long and contain at least one letter and one number"

    def check(value: Any) -> str:
        ok = (
            isinstance(value, str)
            and len(value) >= 8
            and any(c.isalpha() for c in value)
            and any(c.isdigit() for c in value)
        )
        if not ok:
            raise _fail(text, value, secret=True)
        return str(value)

    return Rule("string", text + " (never shown back)", check)


def secret_text() -> Rule:
    text = "must be a string equal to postmaster_password"

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _fail(text, value, secret=True)
        return value

    return Rule("string", text + "; derived from it when omitted", check)


@lru_cache(maxsize=4096)
def _email(value: str) -> str | EmailNotValidError:
    """The normalized address, or why it is not one; cached because the check is costly."""
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        return exc


def email() -> Rule:
    text = "must be an email address"

    def check(value: Any) -> str:
        found = _email(value) if isinstance(value, str) else None
        if not isinstance(found, str):
            detail = f" ({found})" if found else ""
            raise _fail(text + detail, value)
        return found

    return Rule("string", text, check)


@cache
def zone_names() -> frozenset[str]:
    """Every time zone name the `tzdata` package lists: one fixed list on every OS."""
    # Not zoneinfo.available_timezones(): it merges in the OS database, so names such as
    # "posix/Europe/Rome" or "localtime" would pass on one machine and fail on another.
    listed = (resources.files("tzdata") / "zones").read_text(encoding="utf-8")
    return frozenset(listed.split())


def iana_zone() -> Rule:
    text = 'must be an IANA time zone name such as "Europe/Rome" or "UTC"'

    def check(value: Any) -> str:
        names = zone_names()
        if isinstance(value, str) and value in names:
            return value
        message = text
        if isinstance(value, str):
            by_lower = {name.lower(): name for name in names}
            close = by_lower.get(value.lower()) or next(
                iter(difflib.get_close_matches(value, sorted(names), n=1)), None
            )
            if close:
                message += f' (did you mean "{close}"?)'
        raise _fail(message, value)

    return Rule("string", text, check)


@lru_cache(maxsize=4096)
def _network(item: str) -> tuple[tuple[int, int, int], str] | str:
    """An allowed-net item as (sort key, canonical text), or what is wrong with it."""
    if "%" in item:
        return "has an IPv6 zone index"
    try:
        host = ipaddress.ip_interface(item.strip())
    except ValueError:
        return "is not an IPv4/IPv6 address or CIDR network"
    net = host.network
    if host.ip != net.network_address:
        return f'has host bits set; use "{net}"'
    single = net.prefixlen == net.max_prefixlen
    key = (net.version, int(net.network_address), net.prefixlen)
    return key, str(net.network_address) if single else str(net)


def networks() -> Rule:
    text = (
        "must be a list of IPv4/IPv6 addresses or CIDR networks without host bits; "
        "order and duplicates do not matter"
    )

    def check(value: Any) -> list[str]:
        if not isinstance(value, list | tuple):
            raise _fail(text, value)
        problems: list[str] = []
        parsed: dict[tuple[int, int, int], str] = {}
        for index, item in enumerate(value):
            if isinstance(item, Unknown):
                continue  # known only at apply time; checked then
            found = _network(item) if isinstance(item, str) else "must be a string"
            if isinstance(found, str):
                problems.append(f"item {index} ({_show(item)}) {found}")
            else:
                parsed[found[0]] = found[1]
        if problems:
            raise PydanticCustomError("qbox", "{rule}", {"rule": "; ".join(problems)})
        return [parsed[key] for key in sorted(parsed)]

    return Rule("list of strings", text, check)


def _quota_label(size: int) -> str:
    return f"{size // 2**20} MB" if size < 2**30 else f"{size // 2**30} GB"


_COUNT = integer(-1, INT32_MAX, f"must be -1 (no limit) or a whole number from 0 to {INT32_MAX}")
_BOOL = boolean()
_TEXT = text_value()

ANTISPAM_LEVELS = {0: "disabled", 1: "permissive", 2: "standard", 3: "aggressive"}
MAX_EMAIL_QUOTAS = {
    size: _quota_label(size)
    for size in (
        52428800,
        1073741824,
        2147483648,
        3221225472,
        4294967296,
        5368709120,
        6442450944,
        7516192768,
        8589934592,
        17179869184,
        26843545600,
        53687091200,
        107374182400,
    )
}
PASSWORD_EXPIRATIONS = {-1: "never", 3: "3 months", 6: "6 months", 12: "12 months"}
PLANS = {"basic": "Basic", "professional": "Professional", "enterprise": "Enterprise"}
LANGUAGES = {"it": "Italian", "en": "English", "es": "Spanish"}
WEBMAIL_LANGUAGES = {
    "it": "Italian",
    "en": "English",
    "nl": "Dutch",
    "sv": "Swedish",
    "es": "Spanish",
    "pt": "Portuguese",
    "de": "German",
    "gr": "Greek",
    "fr": "French",
}
TIME_FORMATS = {"12h": "12-hour clock", "24h": "24-hour clock"}
DATE_FORMATS = {
    "YYYY/MM/DD": "year/month/day",
    "DD/MM/YYYY": "day/month/year",
    "MM/DD/YYYY": "month/day/year",
    "DD MMM YYYY": "day abbreviated-month year",
    "MMM DD YYYY": "abbreviated-month day year",
    "DD.MM.YYYY": "day.month.year",
}


DOMAIN_CODE = r"D[0-9]{9}"
"""What a domain code is: D and 9 digits (the API's Update domain page)."""


class DomainSettings(BaseModel):
    """Every setting of `PUT /api/domains/{domain_code}`, under the API's own names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain_code: Annotated[
        str, pattern(DOMAIN_CODE, "must be D followed by exactly 9 digits, e.g. D123456789")
    ] = Field(description="Code of the domain to manage; changing it replaces the resource.")

    postmaster_password: Annotated[str | None, password()] = Field(
        None, description="Postmaster password; secret, sent only when it changes."
    )
    postmaster_password_confirmation: Annotated[str | None, secret_text()] = Field(
        None, description="Confirmation of postmaster_password; filled in automatically."
    )
    catch_all_enabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable catch-all for the domain."
    )
    catch_all_destination: Annotated[str | None, email()] = Field(
        None, description="Catch-all destination email address."
    )
    default_quota: Annotated[
        int | None,
        integer(
            0,
            SAFE_INT_MAX,
            f"must be a whole number of bytes from 0 to {SAFE_INT_MAX} "
            "(2^53 - 1, the largest integer a Pulumi number holds safely)",
        ),
    ] = Field(None, description="Default quota in bytes for new email accounts.")
    antispam_level: Annotated[int | None, one_of(ANTISPAM_LEVELS)] = Field(
        None, description="Antispam level."
    )
    allow_nets: Annotated[list[str] | None, networks()] = Field(
        None, description="Allowed IP addresses or networks; compared as a set."
    )
    imap_disabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Disable IMAP on all email accounts of the domain."
    )
    pop_disabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Disable POP on all email accounts of the domain."
    )
    smtp_disabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Disable SMTP on all email accounts of the domain."
    )
    webmail_disabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Disable webmail access on all email accounts of the domain."
    )
    chat: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable chat on the Qboxmail webmail."
    )
    activesync: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable ActiveSync on domain accounts."
    )
    meeting: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable meeting video chat on the Qboxmail webmail."
    )
    calendar: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable calendar on the Qboxmail webmail."
    )
    dav: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable the DAV service on domain accounts."
    )
    max_email_accounts: Annotated[int | None, _COUNT] = Field(
        None, description="Max number of email accounts; -1 means no limit."
    )
    max_email_accounts_25gb: Annotated[int | None, _COUNT] = Field(
        None, description="Max number of 25 GB email accounts; -1 means no limit."
    )
    max_email_accounts_50gb: Annotated[int | None, _COUNT] = Field(
        None, description="Max number of 50 GB email accounts; -1 means no limit."
    )
    max_email_accounts_100gb: Annotated[int | None, _COUNT] = Field(
        None, description="Max number of 100 GB email accounts; -1 means no limit."
    )
    max_email_accounts_archive: Annotated[int | None, _COUNT] = Field(
        None, description="Max number of archived email accounts; -1 means no limit."
    )
    max_email_quota: Annotated[int | None, one_of(MAX_EMAIL_QUOTAS)] = Field(
        None, description="Max quota in bytes for email accounts of the domain."
    )
    api_enabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable API access on domain accounts."
    )
    password_change_disabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Password policy: users may not change their password."
    )
    password_recovery_disabled: Annotated[bool | None, _BOOL] = Field(
        None, description="Password policy: users may not recover their password."
    )
    password_expiration: Annotated[int | None, one_of(PASSWORD_EXPIRATIONS)] = Field(
        None, description="Password policy: months until a password expires."
    )
    force_password_first_login: Annotated[bool | None, _BOOL] = Field(
        None, description="Password policy: users set a new password on first login."
    )
    block_old_password: Annotated[bool | None, _BOOL] = Field(
        None, description="Password policy: users may not reuse old passwords."
    )
    force_otp: Annotated[bool | None, _BOOL] = Field(
        None, description="Password policy: require two-factor authentication."
    )
    hide_from_addressbook_company: Annotated[bool | None, _BOOL] = Field(
        None, description="Hide new accounts from the company address book."
    )
    plan: Annotated[str | None, one_of(PLANS)] = Field(None, description="Domain plan.")
    destroy_sessions_on_password_expiration: Annotated[bool | None, _BOOL] = Field(
        None, description="Password policy: end user sessions when the password expires."
    )
    antimalware_premium: Annotated[bool | None, _BOOL] = Field(
        None, description="Enable premium antimalware when the plan allows it."
    )
    limit_tracemail_21_days: Annotated[bool | None, _BOOL] = Field(
        None, description="Limit Tracemail retention to 21 days."
    )
    company: Annotated[str | None, _TEXT] = Field(
        None, description="Company name associated with the domain."
    )
    telephone: Annotated[str | None, _TEXT] = Field(None, description="Company telephone.")
    address: Annotated[str | None, _TEXT] = Field(None, description="Company address.")
    city: Annotated[str | None, _TEXT] = Field(None, description="Company city.")
    zip: Annotated[str | None, _TEXT] = Field(None, description="Company ZIP code.")
    state: Annotated[str | None, _TEXT] = Field(None, description="Company state.")
    country: Annotated[str | None, _TEXT] = Field(None, description="Company country.")
    language: Annotated[str | None, one_of(LANGUAGES)] = Field(
        None, description="Default language for users of the domain."
    )
    timezone: Annotated[str | None, iana_zone()] = Field(
        None, description="Default time zone for users of the domain."
    )
    webmail_language: Annotated[str | None, one_of(WEBMAIL_LANGUAGES)] = Field(
        None, description="Default webmail language."
    )
    webmail_time_format: Annotated[str | None, one_of(TIME_FORMATS)] = Field(
        None, description="Default webmail time format."
    )
    webmail_date_format: Annotated[str | None, one_of(DATE_FORMATS)] = Field(
        None, description="Default webmail date format."
    )
    webmail_timezone: Annotated[str | None, iana_zone()] = Field(
        None, description="Default webmail time zone."
    )
    webmail_signature_template: Annotated[str | None, _TEXT] = Field(
        None, description="Default webmail signature template."
    )
    apply_signature_new_emails: Annotated[bool | None, _BOOL] = Field(
        None, description="Apply the signature template to new email accounts."
    )
    allow_nets_apply_to_all: Annotated[bool | None, _BOOL] = Field(
        None, description="Action: also apply allow_nets to existing accounts when it changes."
    )
    default_quota_apply_to_all: Annotated[bool | None, _BOOL] = Field(
        None, description="Action: also apply default_quota to existing accounts when it changes."
    )
    password_policies_apply_to_all: Annotated[bool | None, _BOOL] = Field(
        None, description="Action: also apply password policies to existing accounts on change."
    )
    outbound_limit: Annotated[
        int | None,
        integer(0, INT32_MAX, f"must be an outbound limit id from 0 (the default) to {INT32_MAX}"),
    ] = Field(None, description="Outbound limit id; 0 restores the default limit.")
    force_new_password: Annotated[bool | None, _BOOL] = Field(
        None, description="Action: force every user to change password, once, when it turns true."
    )


FIELDS: tuple[str, ...] = tuple(DomainSettings.model_fields)
"""Every input name, in declaration (and API documentation) order."""

PASSWORD_POLICY_FIELDS: tuple[str, ...] = (
    "password_change_disabled",
    "password_recovery_disabled",
    "password_expiration",
    "force_password_first_login",
    "block_old_password",
    "force_otp",
    "destroy_sessions_on_password_expiration",
)

APPLY_TO_ALL: dict[str, tuple[str, ...]] = {
    "allow_nets_apply_to_all": ("allow_nets",),
    "default_quota_apply_to_all": ("default_quota",),
    "password_policies_apply_to_all": PASSWORD_POLICY_FIELDS,
}
"""Each apply-to-all flag and the settings whose change it accompanies."""

ACTION_FLAGS: tuple[str, ...] = (*APPLY_TO_ALL, "force_new_password")
"""Actions, not settings: the API never stores or returns them."""

SECRET_FIELDS: tuple[str, ...] = ("postmaster_password", "postmaster_password_confirmation")

SETTINGS: tuple[str, ...] = tuple(
    name
    for name in FIELDS
    if name not in ACTION_FLAGS and name not in SECRET_FIELDS and name != "domain_code"
)
"""The settings the API stores (and may return on GET), password excluded."""


MISMATCH = FieldError(SECRET_FIELDS[1], "must match postmaster_password")
"""The one failure that depends on two inputs: a confirmation that differs from the password."""


RULES: dict[str, Rule] = {
    name: next(m for m in info.metadata if isinstance(m, Rule))
    for name, info in DomainSettings.model_fields.items()
}


def unknown_field(
    name: str, names: Sequence[str] = FIELDS, resource: str = "QboxDomainSettings"
) -> FieldError:
    """The failure for an input `resource` does not have, suggesting the nearest of `names`."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return FieldError(name, f"is not a {resource} input{hint}")


def _field_error(error: ErrorDetails) -> FieldError:
    name = str(error["loc"][0])
    if error["type"] == "extra_forbidden":
        return unknown_field(name)
    if error["type"] == "missing":
        return FieldError(name, "is required")
    return FieldError(name, str((error.get("ctx") or {}).get("rule", error["msg"])))


def validate(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate inputs; return the normalized valid ones and every problem at once.

    The normalized dict holds only fields present in `raw`, without the confirmation: it is
    derived from the password whenever a request is built.
    """
    # The engine never sends a None input; a direct caller's None means "not given" too.
    raw = {name: value for name, value in raw.items() if value is not None}
    try:
        model = DomainSettings.model_validate(raw)
    except ValidationError as exc:
        errors = [_field_error(e) for e in exc.errors(include_url=False, include_input=False)]
        bad = {error.field for error in errors}
        normalized = {
            name: RULES[name].normalize(value)
            for name, value in raw.items()
            if name in RULES and name not in bad
        }
    else:
        errors = []
        bad = set()
        normalized = model.model_dump(include=set(raw))
    password, confirmation = (raw.get(name) for name in SECRET_FIELDS)
    if confirmation is not None and not bad & set(SECRET_FIELDS) and confirmation != password:
        errors.append(MISMATCH)
    normalized.pop(SECRET_FIELDS[1], None)
    return normalized, errors


def normalize_value(name: str, value: Any) -> Any:
    """A single known value in canonical form, or the value unchanged when it breaks the rule."""
    if name not in DomainSettings.model_fields or value is None:
        return value
    try:
        return RULES[name].normalize(value)
    except PydanticCustomError:
        return value


def same_value(name: str, old: Any, new: Any) -> bool:
    """Whether two values of a field are equal in canonical form; cheap when already equal."""
    # Equal raw values normalize equal, so only differing ones pay for normalization.
    if old == new and type(old) is type(new):
        return True
    if old is None or new is None:
        return False
    return bool(normalize_value(name, old) == normalize_value(name, new))


def field_table(names: Iterable[str] = FIELDS) -> str:
    """The Markdown reference table of every input, generated from the schema."""
    rows = ["| name | type | rule | description |", "| --- | --- | --- | --- |"]
    for name in names:
        info = DomainSettings.model_fields[name]
        rule = RULES[name]
        cells = (f"`{name}`", rule.type_name, rule.text, info.description or "")
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def pulumi_name(name: str) -> str:
    """The Pulumi schema name of an API name: lowerCamelCase (`max_email_accounts_25gb` ->
    `maxEmailAccounts25gb`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


PULUMI_NAMES: dict[str, str] = {name: pulumi_name(name) for name in FIELDS}
"""Every input's Pulumi schema name, one to one with the API's names."""
