"""What the settings mean to Pulumi, written once for both faces.

Every function here speaks the API's names and plain Python values. A value not known until
apply time is a `pulumi.output.Unknown`, at any depth; each face turns its own wire form of an
unknown into that at its edge, and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.output import Unknown

from .errors import InvalidSettingsError
from .model import (
    APPLY_TO_ALL,
    FIELDS,
    MISMATCH,
    SECRET_FIELDS,
    SETTINGS,
    FieldError,
    normalize_value,
    same_value,
    unknown_field,
    validate,
)

PASSWORD, CONFIRMATION = SECRET_FIELDS
REPLACE_ON_CHANGE = ("domain_code",)


def holds(value: Any, kinds: type | tuple[type, ...]) -> bool:
    """Whether a value is, or holds in a list, tuple or dict at any depth, one of `kinds`."""
    if value is None or isinstance(value, str | int | float):
        return False  # nearly every value: spared the walk below
    # Iterative: hostile inputs may nest deeper than the recursion limit.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, kinds):
            return True
        if isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return False


def is_unknown(value: Any) -> bool:
    """Whether a value is, or holds at any depth, a value unknown during preview."""
    return holds(value, Unknown)


@dataclass(frozen=True)
class Checked:
    """Inputs in canonical form (unknowns kept as they came) and every problem found."""

    inputs: dict[str, Any]
    failures: list[FieldError] = field(default_factory=list)


def check(news: Mapping[str, Any]) -> Checked:
    """Validate new inputs as far as they are known.

    A name is checked even when its value is unknown. A list with some unknown items has its
    known items checked and stays unknown as a whole.
    """
    unknown = {k: v for k, v in news.items() if is_unknown(v)}
    known = {k: v for k, v in news.items() if k not in unknown}
    normalized, errors = validate(known)
    # A known confirmation can only be compared once the password is known too: at apply time.
    awaiting_password = PASSWORD in unknown
    failures = [
        e for e in errors if e.field not in unknown and not (awaiting_password and e == MISMATCH)
    ]
    for name, value in unknown.items():
        if name not in FIELDS:
            failures.append(unknown_field(name))
        elif not isinstance(value, Unknown):
            # Partly known: the rule skips the unknown items and checks the rest.
            failures.extend(e for e in validate({name: value})[1] if e.field == name)
    return Checked({**normalized, **unknown}, failures)


@dataclass(frozen=True)
class Changes:
    """The inputs that differ, and those of them that force a replacement."""

    changed: list[str]
    replaces: list[str]


def diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> Changes:
    """Compare stored outputs with checked inputs, canonically.

    An unknown value is a change. A change of `domain_code`, known or unknown, on a resource
    that has one is a replacement: preview must never show an update that apply turns into a
    replace.
    """
    changed: list[str] = []
    for name in FIELDS:
        if name not in news and name not in olds:
            continue
        value = news.get(name)
        if is_unknown(value) or not same_value(name, olds.get(name), value):
            changed.append(name)
    replaces = [name for name in changed if name in REPLACE_ON_CHANGE and name in olds]
    return Changes(changed, replaces)


def canonical(props: Mapping[str, Any]) -> dict[str, Any]:
    """Fully known inputs in canonical form; InvalidSettingsError when any breaks its rule.

    Create and update call it: check has normally caught every problem already, but a caller
    that skipped check must still never send a bad value.
    """
    normalized, errors = validate(props)
    if errors:
        raise InvalidSettingsError(str(props.get("domain_code", "?")), errors)
    return normalized


def request_body(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body that takes the domain from `old` (as stored; None on create) to canonical `new`.

    Settings go only when they changed; the password with its derived confirmation only when it
    changed; force_new_password only when it turns true; an apply-to-all flag only while true
    and beside a change to a setting it applies to.
    """
    before = old or {}
    body: dict[str, Any] = {}
    for name in FIELDS:
        if name not in new or (old is not None and same_value(name, before.get(name), new[name])):
            continue
        if name in SETTINGS:
            body[name] = new[name]
        elif name == PASSWORD:
            body[PASSWORD] = body[CONFIRMATION] = new[name]
        elif name == "force_new_password" and new[name] and not before.get(name):
            body[name] = True
    for flag, targets in APPLY_TO_ALL.items():
        if new.get(flag) and any(target in body for target in targets):
            body[flag] = True
    return body


def write(
    old: Mapping[str, Any] | None, news: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What a create (`old` None) or an update stores and sends: the canonical outputs, and the
    PUT body, or None when an update changes nothing the API holds. A create always sends one.
    """
    new = canonical(news)
    body = request_body(old, new)
    return new, (body if body or old is None else None)


def overlay(stored: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """Refreshed outputs: the stored inputs, each managed setting replaced by its live value.

    Settings the API does not return keep their stored values; action flags and the password
    are never read back, so they never show as drift.
    """
    outs = {name: normalize_value(name, value) for name, value in stored.items() if name in FIELDS}
    for name in outs.keys() & live.keys() & set(SETTINGS):
        outs[name] = normalize_value(name, live[name])
    return outs


@dataclass(frozen=True)
class Adopted:
    """A domain adopted as it is: its inputs, and the live values left out of them."""

    inputs: dict[str, Any]
    left_out: list[FieldError]
    """Each refused live value and its rule; a refused code is reported but kept."""


def adopt(code: str, live: Mapping[str, Any]) -> Adopted:
    """The inputs of a domain adopted as it is (import, export): every setting the API returned
    that the rules accept. A refused one would fail the adopting program's next preview, so it
    stays unmanaged instead.
    """
    settings = {
        name: normalize_value(name, live[name])
        for name in SETTINGS
        if name in live and live[name] is not None
    }
    inputs = {"domain_code": code, **settings}
    _, errors = validate(inputs)
    for error in errors:
        if error.field != "domain_code":
            inputs.pop(error.field, None)  # a field may break more than one rule
    return Adopted(inputs, errors)
