"""A tiny dynamic provider that echoes what the plugin hands it; proves benchmarks/plugin.py."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)


class EchoProvider(ResourceProvider):
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        self.greeting = req.config.get("echo:greeting")

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure("bad", f"bad is {news['bad']}")] if news.get("bad") else []
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = olds.keys() | news.keys()
        changed = sorted(k for k in keys if olds.get(k) != news.get(k))
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k == "name"])

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props.get("boom"):
            raise ValueError(f"boom: {props['boom']}")
        outs = {**props, "seen_type": type(props.get("n")).__name__}
        if getattr(self, "greeting", None) is not None:
            outs["greeting"] = self.greeting
        return CreateResult("x", outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(news)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        pass
