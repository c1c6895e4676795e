"""The validator library: a rule is a value's kind, its words, and the check that normalizes it.

Rules know nothing of fields, faces or Pulumi. A value they cannot judge yet (known only at apply
time) is passed in as `PENDING` and let through. A failure is raised as `Broken`, carrying
`errors.Problem`s: the rule's reason apart from the value as it may be shown, so that a field
marked secret can be reported without it.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from email_validator import EmailNotValidError, validate_email
from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from .errors import Problem, shown
from .naming import PYTHON

INT32_MAX = 2**31 - 1
SAFE_INT_MAX = 2**53 - 1
"""The largest 64-bit value Pulumi carries without rounding: every number travels as a double,
and a double cannot tell 2**53 + 1 from 2**53, so any larger program value arrives above this."""


class Kind(Enum):
    """What a rule's values are; the schema, the typed Args and the docs each derive theirs."""

    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    """A whole number past 32 bits: Pulumi's `integer` is 32-bit in C# and Java, while a
    `number` (a double) holds it exactly up to 2^53 - 1 in every language."""
    STRING = "string"
    STRINGS = "list of strings"


class _Pending:
    def __repr__(self) -> str:
        return "PENDING"


PENDING: Any = _Pending()
"""A list item known only later: every rule lets it through, to be checked once known."""


def broken(*problems: Problem) -> PydanticCustomError:
    """The failure a check raises (a ValueError saying it in Python's words): pydantic reports
    it, `model.validate` reads its problems."""
    said = "; ".join(problem.render(PYTHON) for problem in problems)
    return PydanticCustomError("qbox", "{rule}", {"rule": said, "problems": problems})


def _fail(text: str, value: Any, detail: str = "") -> PydanticCustomError:
    return broken(Problem(text, shown(value), detail))


@dataclass(frozen=True)
class Rule:
    """A field's rule: its kind, its words (a template: other fields as `{name}`), its check."""

    kind: Kind
    text: str
    normalize: Callable[[Any], Any]
    equals: str | None = None
    """The field whose value this one must equal (a confirmation), if any."""

    @property
    def type_name(self) -> str:
        """The kind as the docs write it."""
        return self.kind.value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self._validate, handler(source))

    def _validate(self, value: Any) -> Any:
        if value is None:
            return None
        return self.normalize(value)


def _whole_number(value: Any, rule: str) -> int:
    # Pulumi sends every number as a double, so 3.0 is the integer 3 while 2.5 is not an integer.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(rule, value)
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise _fail(rule, value)
    return int(value)


def _whole_kind(high: int) -> Kind:
    return Kind.INTEGER if high <= INT32_MAX else Kind.NUMBER


def integer(low: int, high: int, text: str) -> Rule:
    def check(value: Any) -> int:
        number = _whole_number(value, text)
        if not low <= number <= high:
            raise _fail(text, value)
        return number

    return Rule(_whole_kind(high), text, check)


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

    return Rule(_whole_kind(max(choices)) if numeric else Kind.STRING, text, check)


def boolean() -> Rule:
    text = "must be true or false"

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise _fail(text, value)
        return value

    return Rule(Kind.BOOLEAN, text, check)


def _string(text: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise _fail(text, value)
        return value

    return check


def text_value() -> Rule:
    text = "must be a string"
    return Rule(Kind.STRING, text, _string(text))


def pattern(regex: str, text: str) -> Rule:
    compiled = re.compile(regex)

    def check(value: Any) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise _fail(text, value)
        return value

    return Rule(Kind.STRING, text, check)


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
            raise _fail(text, value)
        return str(value)

    return Rule(Kind.STRING, text + " (never shown back)", check)


def equal_to(other: str) -> Rule:
    """A string that must equal the field `other`, and is derived from it when omitted."""
    text = f"must be a string equal to {{{other}}}"
    return Rule(Kind.STRING, text + "; derived from it when omitted", _string(text), equals=other)


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
            raise _fail(text, value, f" ({found})" if found else "")
        return found

    return Rule(Kind.STRING, text, check)


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
        hint = ""
        if isinstance(value, str):
            by_lower = {name.lower(): name for name in names}
            close = by_lower.get(value.lower()) or next(
                iter(difflib.get_close_matches(value, sorted(names), n=1)), None
            )
            if close:
                hint = f' (did you mean "{close}"?)'
        raise _fail(text, value, hint)

    return Rule(Kind.STRING, text, check)


@lru_cache(maxsize=4096)
def _network(item: str) -> tuple[tuple[int, int, int], str] | tuple[str, str]:
    """An allowed-net item as (sort key, canonical text), or (what is wrong, a suggestion)."""
    if "%" in item:
        return "has an IPv6 zone index", ""
    try:
        host = ipaddress.ip_interface(item.strip())
    except ValueError:
        return "is not an IPv4/IPv6 address or CIDR network", ""
    net = host.network
    if host.ip != net.network_address:
        return "has host bits set", f'; use "{net}"'
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
        problems: list[Problem] = []
        parsed: dict[tuple[int, int, int], str] = {}
        for index, item in enumerate(value):
            if item is PENDING:
                continue
            if not isinstance(item, str):
                problems.append(Problem("must be a string", shown(item), item=index))
                continue
            found = _network(item)
            if isinstance(found[0], str):
                problems.append(Problem(found[0], shown(item), str(found[1]), item=index))
            else:
                parsed[found[0]] = str(found[1])
        if problems:
            raise broken(*problems)
        return [parsed[key] for key in sorted(parsed)]

    return Rule(Kind.STRINGS, text, check)
