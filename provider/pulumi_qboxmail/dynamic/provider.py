"""The dynamic provider behind QboxDomainSettings: the dynamic plugin's transport over `core`."""

from __future__ import annotations

import os
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

from .. import core
from ..client import QboxClient
from ..config import ApiAccess, build_client
from ..errors import NotFoundError
from ..model import ID_FIELD

PROVIDER_KEY = "__provider"

# Kept importable from here: tests and users' scripts reach for them by this path.
request_body = core.request_body
__all__ = ["PROVIDER_KEY", "QboxDomainSettingsProvider", "build_client", "request_body"]


def _without_provider(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


class QboxDomainSettingsProvider(ResourceProvider):
    """Manages the settings of one existing Qboxmail domain per resource.

    Create adopts the domain with one PUT; delete leaves the live domain untouched. The API token
    is read at run time in `configure` and is never part of the serialized provider.
    """

    serialize_as_secret_always = False

    def __init__(self) -> None:
        super().__init__()

    def __getstate__(self) -> dict[str, Any]:
        # Whatever configure() attached (client, token) must never reach the pickle in state.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        del state

    def configure(self, req: ConfigureRequest) -> None:
        self._access = ApiAccess(req.config, os.environ)

    def _configured(self) -> ApiAccess:
        # Never configured (direct use outside the plugin): fall back to the environment.
        access: ApiAccess | None = getattr(self, "_access", None)
        if access is None:
            access = self._access = ApiAccess(None, os.environ)
        return access

    def _api(self) -> QboxClient:
        return self._configured().client()

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self._configured().raise_problem()
        checked = core.check(_without_provider(news))
        failures = [CheckFailure(e.field, e.message) for e in checked.failures]
        return CheckResult(checked.inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = core.diff(_without_provider(olds), _without_provider(news))
        return DiffResult(
            changes=bool(changes.changed), replaces=changes.replaces, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        new = self._write(None, props)
        return CreateResult(new[ID_FIELD], new)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._write(olds, news))

    def _write(self, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        new, body = core.write(olds, _without_provider(news))
        if body is not None:
            self._api().update_domain(new[ID_FIELD], body)
        return new

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self._api().get_domain(id_)
        except NotFoundError:
            return ReadResult("", {})
        outs = core.overlay(props, live)
        return ReadResult(id_, outs, dict(outs))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the live domain as it is: the stack only stops managing its settings."""


# Every stack's state holds this class pickled by reference, under the path it had before the
# dynamic face had its own package: pickle writes `__module__`, so it names the stable
# `pulumi_qboxmail.provider` (which re-exports the class) and existing stacks still load.
QboxDomainSettingsProvider.__module__ = "pulumi_qboxmail.provider"
