"""Drive the native plugin, the `pulumi-resource-qboxmail` console script, over gRPC, as the
engine does.

Property maps are marshalled by the SDK's own `PropertyValue.marshal_map`: numbers travel as
doubles, secrets in the engine's secret envelope, unknowns as the engine's sentinel string. Tests
write plain values under schema names; `Secret(v)` marks a secret, `UNKNOWN` an unknown. Results
come back the same way, so a test states exactly which outputs are secret.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2 as pb

from plugin import CHANGES, UNKNOWN, PluginError, PluginProcess, started

TOKEN_TYPE = "qboxmail:index:DomainSettings"
URN = f"urn:pulumi:test::qboxmail-test::{TOKEN_TYPE}::test"
PROVIDER_URN = "urn:pulumi:test::qboxmail-test::pulumi:providers:qboxmail::default"
EXECUTABLE = Path(sys.executable).parent / "pulumi-resource-qboxmail"
_KINDS = {value: name for name, value in pb.PropertyDiff.Kind.items()}
__all__ = [
    "UNKNOWN",
    "NativeDiff",
    "NativePlugin",
    "Secret",
    "reason",
    "start_native",
]


@dataclass(frozen=True)
class Secret:
    """A value the engine marks secret."""

    value: Any


@dataclass(frozen=True)
class NativeDiff:
    changes: str  # "none" | "some" | "unknown"
    replaces: list[str]
    detailed: dict[str, str]  # property -> kind name, e.g. "UPDATE_REPLACE"
    delete_before_replace: bool = False


def reason(error: PluginError) -> str:
    """What the engine shows of a failed call: the message, and nothing else."""
    return error.details


def to_wire(value: Any) -> PropertyValue:
    if isinstance(value, Secret):
        return to_wire(value.value).with_secret(True)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, list):
        return PropertyValue([to_wire(v) for v in value])
    if isinstance(value, dict):
        return PropertyValue({k: to_wire(v) for k, v in value.items()})
    raise TypeError(type(value))


def from_wire(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, tuple):
        plain: Any = [from_wire(v) for v in inner]
    elif isinstance(inner, Mapping):
        plain = {k: from_wire(v) for k, v in inner.items()}
    elif isinstance(inner, float) and inner.is_integer():
        plain = int(inner)
    else:
        plain = inner
    return Secret(plain) if value.is_secret else plain


def struct(props: Mapping[str, Any]) -> Any:
    return PropertyValue.marshal_map({k: to_wire(v) for k, v in props.items()})


def props_of(message: Any) -> dict[str, Any]:
    return {k: from_wire(v) for k, v in PropertyValue.unmarshal_map(message).items()}


def start_native(tmp: Path, config: Mapping[str, Any], env: Mapping[str, str]) -> NativePlugin:
    """A started and configured native plugin; the caller stops it (a with-block)."""
    return started(NativePlugin(cwd=tmp, env=env), config)


class NativePlugin(PluginProcess):
    """One `pulumi-resource-qboxmail` process, as the engine starts it."""

    def __init__(self, *, cwd: str | Path, env: Mapping[str, str] | None = None,
                 args: Sequence[str] = ("127.0.0.1:0",)) -> None:  # fmt: skip
        # No engine listens at the harness's address, so the plugin never watches one.
        super().__init__([str(EXECUTABLE), *args], cwd=cwd, env=env)

    def plugin_version(self) -> str:
        from google.protobuf import empty_pb2

        return str(self._call("GetPluginInfo", empty_pb2.Empty()).version)

    def schema(self) -> dict[str, Any]:
        resp = self._call("GetSchema", pb.GetSchemaRequest(version=0))
        schema: dict[str, Any] = json.loads(resp.schema)
        return schema

    def check_config(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        req = pb.CheckRequest(urn=PROVIDER_URN, olds=struct({}), news=struct(news))
        resp = self._call("CheckConfig", req)
        return props_of(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff_config(
        self, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[str, list[str]]:
        req = pb.DiffRequest(urn=PROVIDER_URN, olds=struct(olds), news=struct(news))
        resp = self._call("DiffConfig", req)
        return CHANGES.get(resp.changes, "unknown"), list(resp.replaces)

    def configure(self, args: Mapping[str, Any]) -> pb.ConfigureResponse:
        plain = {k: v.value if isinstance(v, Secret) else v for k, v in args.items()}
        variables = {f"qboxmail:config:{k}": str(v) for k, v in plain.items()}
        req = pb.ConfigureRequest(variables=variables, args=struct(args), acceptSecrets=True,
                                  acceptResources=True)  # fmt: skip
        return self._call("Configure", req)

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any], *, urn: str = URN
              ) -> tuple[dict[str, Any], list[tuple[str, str]]]:  # fmt: skip
        req = pb.CheckRequest(urn=urn, olds=struct(olds), news=struct(news),
                              randomSeed=os.urandom(32))  # fmt: skip
        resp = self._call("Check", req)
        return props_of(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff(self, id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> NativeDiff:
        req = pb.DiffRequest(id=id, urn=URN, olds=struct(olds), news=struct(news),
                             old_inputs=struct(olds))  # fmt: skip
        resp = self._call("Diff", req)
        assert resp.hasDetailedDiff
        detailed = {k: _KINDS[v.kind] for k, v in resp.detailedDiff.items()}
        changes = CHANGES.get(resp.changes, "unknown")
        return NativeDiff(changes, list(resp.replaces), detailed, resp.deleteBeforeReplace)

    def create(self, properties: Mapping[str, Any], *, preview: bool = False
               ) -> tuple[str, dict[str, Any]]:  # fmt: skip
        req = pb.CreateRequest(urn=URN, properties=struct(properties), preview=preview)
        resp = self._call("Create", req)
        return resp.id, props_of(resp.properties)

    def update(self, id: str, olds: Mapping[str, Any], news: Mapping[str, Any], *,
               preview: bool = False) -> dict[str, Any]:  # fmt: skip
        req = pb.UpdateRequest(id=id, urn=URN, olds=struct(olds), news=struct(news),
                               old_inputs=struct(olds), preview=preview)  # fmt: skip
        return props_of(self._call("Update", req).properties)

    def read(self, id: str, properties: Mapping[str, Any] | None = None,
             inputs: Mapping[str, Any] | None = None
             ) -> tuple[str, dict[str, Any], dict[str, Any]]:  # fmt: skip
        req = pb.ReadRequest(id=id, urn=URN, properties=struct(properties or {}),
                             inputs=struct(inputs or {}))  # fmt: skip
        resp = self._call("Read", req)
        return resp.id, props_of(resp.properties), props_of(resp.inputs)

    def delete(self, id: str, properties: Mapping[str, Any]) -> None:
        self._call("Delete", pb.DeleteRequest(id=id, urn=URN, properties=struct(properties)))
