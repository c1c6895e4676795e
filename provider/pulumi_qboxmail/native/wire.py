"""The native face's wire format, translated in one place.

The engine sends property maps as protobuf Structs under schema names (lowerCamelCase): every
number a double, a secret wrapped in the engine's secret envelope, an unknown as a sentinel
string. The core speaks plain Python values under the API's names, with unknowns as
`pulumi.output.Unknown`. Nothing else in the native face reads or builds a property map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from pulumi.runtime.rpc import _special_output_value_sig as OUTPUT_SIG
from pulumi.runtime.rpc import _special_secret_sig as SECRET_SIG
from pulumi.runtime.rpc import _special_sig_key as SIG

from ..errors import FieldError
from ..model import PULUMI_NAMES, SECRET_FIELDS, unknown_field
from ..naming import RESOURCE, Names

API_NAMES: dict[str, str] = {schema: api for api, schema in PULUMI_NAMES.items()}
"""Schema name -> API name."""

NAMES = Names(RESOURCE, PULUMI_NAMES)
"""The native face's names: every message it sends is rendered in them."""


@dataclass(frozen=True)
class Decoded:
    """A property map in core terms: plain values under API names, and what came with them."""

    values: dict[str, Any]
    secret: frozenset[str]
    """API names whose value is, or holds, a secret."""
    strangers: tuple[str, ...] = field(default=())
    """Names the schema does not have, as the user wrote them."""


def plain(value: struct_pb2.Value) -> tuple[Any, bool]:
    """A wire value as a plain Python value, and whether it is or holds a secret.

    Unknowns, at any depth, become `Unknown()`; an explicit null becomes None.
    """
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return (Unknown() if text == UNKNOWN else text), False  # type: ignore[no-untyped-call]
    if kind == "number_value":
        return value.number_value, False
    if kind == "bool_value":
        return value.bool_value, False
    if kind == "list_value":
        items = [plain(item) for item in value.list_value.values]
        return [item for item, _ in items], any(secret for _, secret in items)
    if kind == "struct_value":
        fields = value.struct_value.fields
        sig = fields[SIG].string_value if SIG in fields else None
        if sig == SECRET_SIG:
            return plain(fields["value"])[0], True
        if sig == OUTPUT_SIG:
            # Sent only to providers that accept outputs, which this one does not; read anyway.
            known = plain(fields["value"]) if "value" in fields else (Unknown(), False)  # type: ignore[no-untyped-call]
            return known[0], known[1] or fields["secret"].bool_value
        # A plain map, or an asset, archive or resource reference: no field takes one, and
        # the rules reject it as a map.
        entries = {key: plain(item) for key, item in fields.items()}
        return {k: v for k, (v, _) in entries.items()}, any(s for _, s in entries.values())
    return None, False


def plain_map(props: struct_pb2.Struct) -> dict[str, Any]:
    """A property map as plain values, secrets unwrapped, names as they came (provider config)."""
    return {name: plain(value)[0] for name, value in props.fields.items()}


def decode(props: struct_pb2.Struct) -> Decoded:
    """Translate an engine property map into core terms."""
    values: dict[str, Any] = {}
    secret: set[str] = set()
    strangers: list[str] = []
    for name, item in props.fields.items():
        api = API_NAMES.get(name)
        if api is None:
            strangers.append(name)
            continue
        value, is_secret = plain(item)
        if value is None:
            continue  # an explicit null is "not given", as on the dynamic face
        values[api] = value
        if is_secret:
            secret.add(api)
    # A protobuf map has no order; sorted names make the failures stable.
    return Decoded(values, frozenset(secret), tuple(sorted(strangers)))


def _put(target: struct_pb2.Value, value: Any) -> None:
    """Write a plain value into a wire value: ints as doubles, unknowns as the sentinel."""
    if isinstance(value, bool):
        target.bool_value = value
    elif isinstance(value, int | float):
        target.number_value = value
    elif isinstance(value, str):
        target.string_value = value
    elif value is None:
        target.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, Unknown):
        target.string_value = UNKNOWN
    elif isinstance(value, list | tuple):
        items = target.list_value
        items.SetInParent()
        for item in value:
            _put(items.values.add(), item)
    elif isinstance(value, Mapping):
        entries = target.struct_value
        entries.SetInParent()
        for key, item in value.items():
            _put(entries.fields[str(key)], item)
    else:
        raise TypeError(f"{type(value).__name__} cannot cross the wire")


def encode(values: Mapping[str, Any], secret: Iterable[str] = ()) -> struct_pb2.Struct:
    """Translate core values back to the engine: schema names, and secret where the input was.

    The postmaster password is secret whatever the input said.
    """
    hidden = {*secret, *SECRET_FIELDS}
    props = struct_pb2.Struct()
    for name, value in values.items():
        schema = PULUMI_NAMES.get(name)
        if schema is None:
            continue
        target = props.fields[schema]
        if name in hidden:
            envelope = target.struct_value.fields
            envelope[SIG].string_value = SECRET_SIG
            target = envelope["value"]
        _put(target, value)
    return props


def failure(error: FieldError) -> tuple[str, str]:
    """A core failure as (schema property, reason in schema names)."""
    return NAMES.field(error.field), error.render(NAMES)


def stranger(name: str) -> tuple[str, str]:
    """The failure for a property the schema does not have, named as the user wrote it, with
    the nearest schema name."""
    return name, unknown_field(name, names=tuple(API_NAMES)).render(NAMES)


def with_secrets(props: struct_pb2.Struct, secret: Iterable[str]) -> struct_pb2.Struct:
    """A copy of `props` with the values under the names in `secret` marked secret."""
    marked = struct_pb2.Struct()
    marked.CopyFrom(props)
    for name in secret:
        if name not in props.fields:
            continue
        value, is_secret = plain(props.fields[name])
        if value is not None and not is_secret:
            target = marked.fields[name]
            target.Clear()
            envelope = target.struct_value.fields
            envelope[SIG].string_value = SECRET_SIG
            envelope["value"].CopyFrom(props.fields[name])
    return marked
