"""The dynamic provider behind QboxDomainSettings: check, diff, create, read, update, delete."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
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
from pulumi.output import Unknown

from .client import DEFAULT_ENDPOINT, QboxClient, RetryPolicy, check_endpoint
from .errors import ConfigurationError, InvalidSettingsError, NotFoundError
from .model import (
    APPLY_TO_ALL,
    FIELDS,
    SECRET_FIELDS,
    SETTINGS,
    normalize_value,
    same_value,
    validate,
)

PROVIDER_KEY = "__provider"
_PASSWORD, _CONFIRMATION = SECRET_FIELDS


@dataclass(frozen=True)
class Option:
    """One provider setting: its stack config key, its environment fallback and its default."""

    key: str
    env: str
    default: str | None

    def lookup(self, config: Any, environ: Mapping[str, str]) -> str | None:
        value = config.get(f"qboxmail:{self.key}") if config is not None else None
        if value in (None, ""):
            value = environ.get(self.env) or self.default
        return None if value is None else str(value)


OPTIONS = (
    Option("apiToken", "QBOXMAIL_API_TOKEN", None),
    Option("endpoint", "QBOXMAIL_ENDPOINT", DEFAULT_ENDPOINT),
    Option("connectTimeout", "QBOXMAIL_CONNECT_TIMEOUT", "10"),
    Option("readTimeout", "QBOXMAIL_READ_TIMEOUT", "30"),
    Option("maxAttempts", "QBOXMAIL_MAX_ATTEMPTS", "5"),
    Option("maxRetrySeconds", "QBOXMAIL_MAX_RETRY_SECONDS", "60"),
)
"""Precedence: stack config (`qboxmail:<key>`), then the environment variable, then the default."""


def _positive(option: Option, raw: str | None, kind: type[float] | type[int]) -> Any:
    try:
        value = kind(raw or "")
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(
            f"qboxmail:{option.key}", f"must be a positive number; got {raw!r}"
        )
    return value


def build_client(config: Any, environ: Mapping[str, str]) -> QboxClient | None:
    """A client, or None when no token is set; ConfigurationError on any bad value."""
    token, endpoint, connect, read, attempts, budget = (
        option.lookup(config, environ) for option in OPTIONS
    )
    endpoint = check_endpoint(endpoint or DEFAULT_ENDPOINT)
    connect_timeout = _positive(OPTIONS[2], connect, float)
    read_timeout = _positive(OPTIONS[3], read, float)
    policy = RetryPolicy(
        max_attempts=_positive(OPTIONS[4], attempts, int),
        max_elapsed=_positive(OPTIONS[5], budget, float),
    )
    if not token:
        return None
    return QboxClient(
        token, endpoint, connect_timeout=connect_timeout, read_timeout=read_timeout, retry=policy
    )


def _is_unknown(value: Any) -> bool:
    """Whether a value is, or holds at any depth, a value unknown during preview."""
    # Iterative: hostile inputs may nest deeper than the recursion limit.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Unknown):
            return True
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return False


def _known_settings(props: Mapping[str, Any]) -> dict[str, Any]:
    """Stored or checked properties, in canonical form, without the serialized provider."""
    return {k: normalize_value(k, v) for k, v in props.items() if k in FIELDS}


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
        elif name == _PASSWORD:
            body[_PASSWORD] = body[_CONFIRMATION] = new[name]
        elif name == "force_new_password" and new[name] and not before.get(name):
            body[name] = True
    for flag, targets in APPLY_TO_ALL.items():
        if new.get(flag) and any(target in body for target in targets):
            body[flag] = True
    return body


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
        self._client = build_client(req.config, os.environ)

    def _api(self) -> QboxClient:
        if not hasattr(self, "_client"):
            # Never configured (direct use outside the plugin): fall back to the environment.
            with _CONFIGURE_LOCK:
                if not hasattr(self, "_client"):
                    self._client = build_client(None, os.environ)
        if self._client is None:
            raise ConfigurationError(
                "qboxmail:apiToken",
                "is not set; run `pulumi config set --secret qboxmail:apiToken <token>` "
                "or set QBOXMAIL_API_TOKEN",
            )
        return self._client

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        unknown = {k: v for k, v in news.items() if k != PROVIDER_KEY and _is_unknown(v)}
        known = {k: v for k, v in news.items() if k != PROVIDER_KEY and k not in unknown}
        normalized, errors = validate(known)
        failures = [CheckFailure(e.field, e.message) for e in errors if e.field not in unknown]
        return CheckResult({**normalized, **unknown}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed: list[str] = []
        for name in FIELDS:
            if name not in news and name not in olds:
                continue
            value = news.get(name)
            if _is_unknown(value) or not same_value(name, olds.get(name), value):
                changed.append(name)
        replaces = [
            name
            for name in changed
            if name == "domain_code" and not _is_unknown(news.get(name)) and name in olds
        ]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def _canonical(self, props: Mapping[str, Any]) -> dict[str, Any]:
        raw = {k: v for k, v in props.items() if k != PROVIDER_KEY}
        normalized, errors = validate(raw)
        if errors:
            raise InvalidSettingsError(str(raw.get("domain_code", "?")), errors)
        return normalized

    def create(self, props: dict[str, Any]) -> CreateResult:
        new = self._canonical(props)
        code = new["domain_code"]
        self._api().update_domain(code, request_body(None, new))
        return CreateResult(code, new)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        new = self._canonical(news)
        body = request_body(olds, new)
        if body:
            self._api().update_domain(new["domain_code"], body)
        return UpdateResult(new)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self._api().get_domain(id_)
        except NotFoundError:
            return ReadResult("", {})
        outs = _known_settings(props)
        for name in outs.keys() & live.keys() & set(SETTINGS):
            outs[name] = normalize_value(name, live[name])
        return ReadResult(id_, outs, dict(outs))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the live domain as it is: the stack only stops managing its settings."""


_CONFIGURE_LOCK = threading.Lock()
