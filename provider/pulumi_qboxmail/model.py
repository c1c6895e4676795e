"""The settings of a Qboxmail domain, each declared once.

`DomainSettings` holds every body field of `PUT /api/domains/{domain_code}`, in the API
documentation's order. Each field's one declaration is its Python type and a `Setting`: rule,
description and what it means to Pulumi (secret, replaces on change, action flag, which
apply-to-all flag carries it). Everything else derives from it: the groups below, check, diff and
the request body (`core`), the package schema (`schema`), the typed Args and outputs and the
README tables (`generate`). The emulator alone keeps its own, independent reading of the API.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, ErrorDetails, PydanticCustomError

from .errors import SECRET, FieldError, Problem
from .naming import pulumi_name
from .rules import (
    INT32_MAX,
    SAFE_INT_MAX,
    Kind,
    Rule,
    boolean,
    email,
    equal_to,
    iana_zone,
    integer,
    networks,
    one_of,
    password,
    pattern,
    text_value,
)

__all__ = ["INT32_MAX", "SAFE_INT_MAX", "FieldError", "Kind", "Rule"]


class Action(Enum):
    """How an action flag (never stored, never returned by the API) is sent."""

    APPLY_TO_ALL = "sent while true, beside a change to a setting it applies to"
    WHEN_TURNED_TRUE = "sent once, when it turns true"


PYTHON_TYPES: dict[Kind, Any] = {
    Kind.BOOLEAN: bool,
    Kind.INTEGER: int,
    Kind.NUMBER: int,
    Kind.STRING: str,
    Kind.STRINGS: list[str],
}


@dataclass(frozen=True)
class Setting:
    """A field's declaration besides its Python type."""

    rule: Rule
    description: str
    secret: bool = False
    """Never shown: stored as a secret, never read back, never echoed in a message."""
    identity: bool = False
    """The domain's code: in the request's URL, never in its body."""
    replace_on_change: bool = False
    action: Action | None = None
    applied_by: str | None = None
    """The apply-to-all flag that carries a change of this setting to every existing account."""
    schema_name: str | None = None
    """The Pulumi (schema) name, when lowerCamelCase of the API name will not do."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        # The declared type must be the rule's, or the typed Args would promise another.
        if source not in (PYTHON_TYPES[self.rule.kind], PYTHON_TYPES[self.rule.kind] | None):
            raise TypeError(f"a {self.rule.kind.value} rule cannot check a `{source}` field")
        return self.rule.__get_pydantic_core_schema__(source, handler)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        found["description"] = self.description
        return found


def _quota_label(size: int) -> str:
    return f"{size // 2**20} MB" if size < 2**30 else f"{size // 2**30} GB"


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

BOOL = boolean()
TEXT = text_value()
COUNT = integer(-1, INT32_MAX, f"must be -1 (no limit) or a whole number from 0 to {INT32_MAX}")
QUOTA = integer(
    0,
    SAFE_INT_MAX,
    f"must be a whole number of bytes from 0 to {SAFE_INT_MAX} "
    "(2^53 - 1, the largest integer a Pulumi number holds safely)",
)
CODE = pattern(DOMAIN_CODE, "must be D followed by exactly 9 digits, e.g. D123456789")
POLICY = "password_policies_apply_to_all"


class DomainSettings(BaseModel):
    """Every setting of `PUT /api/domains/{domain_code}`, under the API's own names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain_code: Annotated[
        str,
        Setting(
            CODE,
            "Code of the domain to manage; changing it replaces the resource.",
            identity=True,
            replace_on_change=True,
        ),
    ]
    postmaster_password: Annotated[
        str | None,
        Setting(password(), "Postmaster password; secret, sent only when it changes.", secret=True),
    ] = None
    postmaster_password_confirmation: Annotated[
        str | None,
        Setting(
            equal_to("postmaster_password"),
            "Confirmation of postmaster_password; filled in automatically.",
            secret=True,
        ),
    ] = None
    catch_all_enabled: Annotated[bool | None, Setting(BOOL, "Enable catch-all for the domain.")] = (
        None
    )
    catch_all_destination: Annotated[
        str | None, Setting(email(), "Catch-all destination email address.")
    ] = None
    default_quota: Annotated[
        int | None,
        Setting(
            QUOTA,
            "Default quota in bytes for new email accounts.",
            applied_by="default_quota_apply_to_all",
        ),
    ] = None
    antispam_level: Annotated[int | None, Setting(one_of(ANTISPAM_LEVELS), "Antispam level.")] = (
        None
    )
    allow_nets: Annotated[
        list[str] | None,
        Setting(
            networks(),
            "Allowed IP addresses or networks; compared as a set.",
            applied_by="allow_nets_apply_to_all",
        ),
    ] = None
    imap_disabled: Annotated[
        bool | None, Setting(BOOL, "Disable IMAP on all email accounts of the domain.")
    ] = None
    pop_disabled: Annotated[
        bool | None, Setting(BOOL, "Disable POP on all email accounts of the domain.")
    ] = None
    smtp_disabled: Annotated[
        bool | None, Setting(BOOL, "Disable SMTP on all email accounts of the domain.")
    ] = None
    webmail_disabled: Annotated[
        bool | None, Setting(BOOL, "Disable webmail access on all email accounts of the domain.")
    ] = None
    chat: Annotated[bool | None, Setting(BOOL, "Enable chat on the Qboxmail webmail.")] = None
    activesync: Annotated[bool | None, Setting(BOOL, "Enable ActiveSync on domain accounts.")] = (
        None
    )
    meeting: Annotated[
        bool | None, Setting(BOOL, "Enable meeting video chat on the Qboxmail webmail.")
    ] = None
    calendar: Annotated[bool | None, Setting(BOOL, "Enable calendar on the Qboxmail webmail.")] = (
        None
    )
    dav: Annotated[bool | None, Setting(BOOL, "Enable the DAV service on domain accounts.")] = None
    max_email_accounts: Annotated[
        int | None, Setting(COUNT, "Max number of email accounts; -1 means no limit.")
    ] = None
    max_email_accounts_25gb: Annotated[
        int | None, Setting(COUNT, "Max number of 25 GB email accounts; -1 means no limit.")
    ] = None
    max_email_accounts_50gb: Annotated[
        int | None, Setting(COUNT, "Max number of 50 GB email accounts; -1 means no limit.")
    ] = None
    max_email_accounts_100gb: Annotated[
        int | None, Setting(COUNT, "Max number of 100 GB email accounts; -1 means no limit.")
    ] = None
    max_email_accounts_archive: Annotated[
        int | None, Setting(COUNT, "Max number of archived email accounts; -1 means no limit.")
    ] = None
    max_email_quota: Annotated[
        int | None,
        Setting(one_of(MAX_EMAIL_QUOTAS), "Max quota in bytes for email accounts of the domain."),
    ] = None
    api_enabled: Annotated[bool | None, Setting(BOOL, "Enable API access on domain accounts.")] = (
        None
    )
    password_change_disabled: Annotated[
        bool | None,
        Setting(BOOL, "Password policy: users may not change their password.", applied_by=POLICY),
    ] = None
    password_recovery_disabled: Annotated[
        bool | None,
        Setting(BOOL, "Password policy: users may not recover their password.", applied_by=POLICY),
    ] = None
    password_expiration: Annotated[
        int | None,
        Setting(
            one_of(PASSWORD_EXPIRATIONS),
            "Password policy: months until a password expires.",
            applied_by=POLICY,
        ),
    ] = None
    force_password_first_login: Annotated[
        bool | None,
        Setting(
            BOOL, "Password policy: users set a new password on first login.", applied_by=POLICY
        ),
    ] = None
    block_old_password: Annotated[
        bool | None,
        Setting(BOOL, "Password policy: users may not reuse old passwords.", applied_by=POLICY),
    ] = None
    force_otp: Annotated[
        bool | None,
        Setting(BOOL, "Password policy: require two-factor authentication.", applied_by=POLICY),
    ] = None
    hide_from_addressbook_company: Annotated[
        bool | None, Setting(BOOL, "Hide new accounts from the company address book.")
    ] = None
    plan: Annotated[str | None, Setting(one_of(PLANS), "Domain plan.")] = None
    destroy_sessions_on_password_expiration: Annotated[
        bool | None,
        Setting(
            BOOL, "Password policy: end user sessions when the password expires.", applied_by=POLICY
        ),
    ] = None
    antimalware_premium: Annotated[
        bool | None, Setting(BOOL, "Enable premium antimalware when the plan allows it.")
    ] = None
    limit_tracemail_21_days: Annotated[
        bool | None, Setting(BOOL, "Limit Tracemail retention to 21 days.")
    ] = None
    company: Annotated[str | None, Setting(TEXT, "Company name associated with the domain.")] = None
    telephone: Annotated[str | None, Setting(TEXT, "Company telephone.")] = None
    address: Annotated[str | None, Setting(TEXT, "Company address.")] = None
    city: Annotated[str | None, Setting(TEXT, "Company city.")] = None
    zip: Annotated[str | None, Setting(TEXT, "Company ZIP code.")] = None
    state: Annotated[str | None, Setting(TEXT, "Company state.")] = None
    country: Annotated[str | None, Setting(TEXT, "Company country.")] = None
    language: Annotated[
        str | None, Setting(one_of(LANGUAGES), "Default language for users of the domain.")
    ] = None
    timezone: Annotated[
        str | None, Setting(iana_zone(), "Default time zone for users of the domain.")
    ] = None
    webmail_language: Annotated[
        str | None, Setting(one_of(WEBMAIL_LANGUAGES), "Default webmail language.")
    ] = None
    webmail_time_format: Annotated[
        str | None, Setting(one_of(TIME_FORMATS), "Default webmail time format.")
    ] = None
    webmail_date_format: Annotated[
        str | None, Setting(one_of(DATE_FORMATS), "Default webmail date format.")
    ] = None
    webmail_timezone: Annotated[str | None, Setting(iana_zone(), "Default webmail time zone.")] = (
        None
    )
    webmail_signature_template: Annotated[
        str | None, Setting(TEXT, "Default webmail signature template.")
    ] = None
    apply_signature_new_emails: Annotated[
        bool | None, Setting(BOOL, "Apply the signature template to new email accounts.")
    ] = None
    allow_nets_apply_to_all: Annotated[
        bool | None,
        Setting(
            BOOL,
            "Action: also apply allow_nets to existing accounts when it changes.",
            action=Action.APPLY_TO_ALL,
        ),
    ] = None
    default_quota_apply_to_all: Annotated[
        bool | None,
        Setting(
            BOOL,
            "Action: also apply default_quota to existing accounts when it changes.",
            action=Action.APPLY_TO_ALL,
        ),
    ] = None
    password_policies_apply_to_all: Annotated[
        bool | None,
        Setting(
            BOOL,
            "Action: also apply password policies to existing accounts on change.",
            action=Action.APPLY_TO_ALL,
        ),
    ] = None
    outbound_limit: Annotated[
        int | None,
        Setting(
            integer(
                0, INT32_MAX, f"must be an outbound limit id from 0 (the default) to {INT32_MAX}"
            ),
            "Outbound limit id; 0 restores the default limit.",
        ),
    ] = None
    force_new_password: Annotated[
        bool | None,
        Setting(
            BOOL,
            "Action: force every user to change password, once, when it turns true.",
            action=Action.WHEN_TURNED_TRUE,
        ),
    ] = None


def _declaration(name: str) -> Setting:
    return next(m for m in DomainSettings.model_fields[name].metadata if isinstance(m, Setting))


DECLARED: dict[str, Setting] = {name: _declaration(name) for name in DomainSettings.model_fields}
"""Every field's declaration, in declaration (and API documentation) order."""

FIELDS: tuple[str, ...] = tuple(DECLARED)
"""Every input name, in declaration (and API documentation) order."""

RULES: dict[str, Rule] = {name: setting.rule for name, setting in DECLARED.items()}

PULUMI_NAMES: dict[str, str] = {
    name: setting.schema_name or pulumi_name(name) for name, setting in DECLARED.items()
}
"""Every input's Pulumi schema name, one to one with the API's names."""

REQUIRED: tuple[str, ...] = tuple(
    name for name, info in DomainSettings.model_fields.items() if info.is_required()
)
ID_FIELD: str = next(name for name, setting in DECLARED.items() if setting.identity)
"""The field that names the domain in the request's URL: the resource's id."""

SECRET_FIELDS: tuple[str, ...] = tuple(n for n, s in DECLARED.items() if s.secret)
REPLACE_ON_CHANGE: tuple[str, ...] = tuple(n for n, s in DECLARED.items() if s.replace_on_change)

CONFIRMATIONS: dict[str, str] = {
    name: rule.equals for name, rule in RULES.items() if rule.equals is not None
}
"""Each confirmation and the field it confirms: checked against it, derived from it, never kept."""

ACTION_FLAGS: tuple[str, ...] = tuple(n for n, s in DECLARED.items() if s.action)
"""Actions, not settings: the API never stores or returns them."""

WHEN_TURNED_TRUE: tuple[str, ...] = tuple(
    n for n, s in DECLARED.items() if s.action is Action.WHEN_TURNED_TRUE
)

APPLY_TO_ALL: dict[str, tuple[str, ...]] = {
    flag: tuple(n for n, s in DECLARED.items() if s.applied_by == flag)
    for flag, setting in DECLARED.items()
    if setting.action is Action.APPLY_TO_ALL
}
"""Each apply-to-all flag and the settings whose change it accompanies."""

PASSWORD_POLICY_FIELDS: tuple[str, ...] = APPLY_TO_ALL[POLICY]

SETTINGS: tuple[str, ...] = tuple(
    n for n, s in DECLARED.items() if not (s.action or s.secret or s.identity)
)
"""The settings the API stores (and may return on GET), password excluded."""


def mismatch(confirmation: str) -> FieldError:
    """The one failure that depends on two inputs: a confirmation that differs from its field."""
    return FieldError(confirmation, [Problem(f"must match {{{CONFIRMATIONS[confirmation]}}}")])


def unknown_field(
    name: str, names: Sequence[str] = FIELDS, resource: str = "{resource}"
) -> FieldError:
    """The failure for an input `resource` (by default, the face's resource) does not have,
    suggesting the nearest of `names`: the face's own names, as the user wrote theirs."""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else ""
    return FieldError(name, [Problem(f"is not a {resource} input", detail=hint)])


def _field_error(error: ErrorDetails, hidden: bool) -> FieldError:
    name = str(error["loc"][0])
    if error["type"] == "extra_forbidden":
        return unknown_field(name)
    if error["type"] == "missing":
        return FieldError(name, "is required")
    problems = (error.get("ctx") or {}).get("problems")
    found = FieldError(name, problems or error["msg"])
    if name in DECLARED and DECLARED[name].secret:
        return found.masked(None)
    return found.masked(SECRET) if hidden else found


def validate(
    raw: Mapping[str, Any], secret: Iterable[str] = ()
) -> tuple[dict[str, Any], list[FieldError]]:
    """Validate inputs; return the normalized valid ones and every problem at once.

    The normalized dict holds only fields present in `raw`, without confirmations: each is
    derived from its field whenever a request is built. A failure shows nothing of a value the
    schema marks secret, and `[secret]` for one in `secret` (the user marked it so).
    """
    hidden = frozenset(secret)
    # The engine never sends a None input; a direct caller's None means "not given" too.
    raw = {name: value for name, value in raw.items() if value is not None}
    try:
        model = DomainSettings.model_validate(raw)
    except ValidationError as exc:
        errors = [
            _field_error(e, str(e["loc"][0]) in hidden)
            for e in exc.errors(include_url=False, include_input=False)
        ]
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
    for confirmation, confirmed in CONFIRMATIONS.items():
        given = raw.get(confirmation)
        if (
            given is not None
            and not bad & {confirmation, confirmed}
            and given != raw.get(confirmed)
        ):
            errors.append(mismatch(confirmation))
        normalized.pop(confirmation, None)
    return normalized, errors


def normalize_value(name: str, value: Any) -> Any:
    """A single known value in canonical form, or the value unchanged when it breaks the rule."""
    if name not in RULES or value is None:
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
