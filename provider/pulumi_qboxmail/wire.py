"""The native face's wire format, translated in one place.

The engine speaks `PropertyValue`s under schema names (lowerCamelCase), with secret flags, every
number a double, and unknowns as a sentinel string. The core speaks plain Python values under
the API's names, with unknowns as `pulumi.output.Unknown`. Nothing else in the native face
touches a `PropertyValue`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.output import Unknown
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from .model import FIELDS, PULUMI_NAMES, SECRET_FIELDS, FieldError, unknown_field

API_NAMES: dict[str, str] = {schema: api for api, schema in PULUMI_NAMES.items()}
"""Schema name -> API name."""

RESOURCE = "DomainSettings"
_SNAKE = re.compile(
    r"\b(" + "|".join(sorted((n for n in FIELDS if "_" in n), key=len, reverse=True)) + r")\b"
)


@dataclass(frozen=True)
class Decoded:
    """A property map in core terms: plain values under API names, and what came with them."""

    values: dict[str, Any]
    secret: frozenset[str]
    """API names whose value is, or holds, a secret."""
    strangers: tuple[str, ...] = field(default=())
    """Names the schema does not have, as the user wrote them."""


def plain(value: PropertyValue) -> Any:
    """A PropertyValue as a plain Python value; unknowns (at any depth) as `Unknown()`."""
    inner = value.value
    # Scalars first, by concrete type: they are nearly every value, and each call costs every
    # resource of a preview; the abstract tests below are several times slower.
    if isinstance(inner, str):
        return Unknown() if inner == UNKNOWN else inner  # type: ignore[no-untyped-call]
    if isinstance(inner, bool | float) or inner is None:
        return inner
    if isinstance(inner, Computed):
        return Unknown()  # type: ignore[no-untyped-call]
    if isinstance(inner, Mapping):
        return {key: plain(item) for key, item in inner.items()}
    if isinstance(inner, Iterable):
        return [plain(item) for item in inner]
    return inner  # assets, archives and resource references: no field takes them


def decode(props: Mapping[str, PropertyValue]) -> Decoded:
    """Translate an engine property map into core terms."""
    values: dict[str, Any] = {}
    secret: set[str] = set()
    strangers: list[str] = []
    for name, value in props.items():
        api = API_NAMES.get(name)
        if api is None:
            strangers.append(name)
            continue
        if value.value is None:
            continue  # an explicit null is "not given", as on the dynamic face
        values[api] = plain(value)
        if _holds_secret(value):
            secret.add(api)
    # A protobuf map has no order; sorted names make the failures stable.
    return Decoded(values, frozenset(secret), tuple(sorted(strangers)))


def _holds_secret(value: PropertyValue) -> bool:
    """`value.contains_secret()`, which on a scalar spends most of its time ruling out the
    abstract container types."""
    if value.is_secret:
        return True
    inner = value.value
    if inner is None or isinstance(inner, str | bool | float):
        return False
    return value.contains_secret()


def wire(value: Any) -> PropertyValue:
    """A plain Python value as a PropertyValue: ints as doubles, unknowns as the sentinel."""
    if isinstance(value, Unknown):
        return PropertyValue(UNKNOWN)
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return PropertyValue(value)
    if isinstance(value, int):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({str(k): wire(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([wire(item) for item in value])
    raise TypeError(f"{type(value).__name__} cannot cross the wire")


def encode(
    values: Mapping[str, Any],
    secret: Iterable[str] = (),
    sent: Mapping[str, PropertyValue] | None = None,
) -> dict[str, PropertyValue]:
    """Translate core values back to the engine: schema names, and secret where the input was.

    The postmaster password is secret whatever the input said. `sent` is the property map the
    engine sent, if any: a scalar there that already carries the same value and secret flag is
    sent back as it is.
    """
    hidden = {*secret, *SECRET_FIELDS}
    given = sent or {}
    encoded = {}
    for name, value in values.items():
        schema = PULUMI_NAMES.get(name)
        if schema is None:
            continue
        known = given.get(schema)
        # Building a PropertyValue is most of the cost of encoding, every resource of a preview
        # pays for it, and canonical values are mostly the very values the program gave.
        if known is not None and known.is_secret == (name in hidden) and _carries(known, value):
            encoded[schema] = known
        else:
            # `with_secret` builds a second PropertyValue: only the few secret values pay for it.
            encoded[schema] = wire(value).with_secret(True) if name in hidden else wire(value)
    return encoded


def _carries(known: PropertyValue, value: Any) -> bool:
    """Whether `known` is a scalar exactly as `wire(value)` would send it, secret flag aside."""
    inner = known.value
    if known.dependencies:
        return False
    if isinstance(inner, bool) or isinstance(value, bool):
        return inner is value
    if isinstance(inner, float):
        return isinstance(value, int | float) and inner == value
    return isinstance(inner, str) and isinstance(value, str) and inner == value


def schema_words(text: str) -> str:
    """A core message in the native face's words: schema field names, the schema's type name."""
    text = text.replace("QboxDomainSettings ", f"{RESOURCE} ")
    return _SNAKE.sub(lambda match: PULUMI_NAMES[match[1]], text)


def failure(error: FieldError) -> tuple[str, str]:
    """A core failure as (schema property, reason in schema names)."""
    return PULUMI_NAMES.get(error.field, error.field), schema_words(error.message)


def stranger(name: str) -> tuple[str, str]:
    """The failure for a property the schema does not have, with the nearest schema name."""
    error = unknown_field(name, names=tuple(API_NAMES), resource=RESOURCE)
    return error.field, error.message
