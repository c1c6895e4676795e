"""The provider's own settings (token, endpoint, timeouts, retry bounds), for both faces."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown

from .client import DEFAULT_ENDPOINT, QboxClient, RetryPolicy, check_endpoint, check_token
from .errors import ConfigurationError
from .model import unknown_field

PREFIX = "qboxmail:"
ENGINE_KEYS = ("version",)
"""Keys the engine itself adds to a provider's config (a default provider's plugin version)."""


@dataclass(frozen=True)
class Option:
    """One provider setting: its stack config key, environment fallback, default and meaning."""

    key: str
    env: str
    default: str | None
    type_name: str
    description: str
    secret: bool = False

    def lookup(self, config: Any, environ: Mapping[str, str]) -> str | Unknown | None:
        """The raw value: stack config, else environment, else default; an unknown stays one."""
        return self.find(config, environ)[0]

    def find(self, config: Any, environ: Mapping[str, str]) -> tuple[str | Unknown | None, str]:
        """The raw value and the knob it came from: `qboxmail:<key>`, the variable, or `default`."""
        # `config` is anything with get("qboxmail:<key>"): a dict, or the dynamic SDK's Config.
        value = config.get(f"{PREFIX}{self.key}") if config is not None else None
        if isinstance(value, Unknown):
            return value, f"{PREFIX}{self.key}"
        if value not in (None, ""):
            return str(value), f"{PREFIX}{self.key}"
        if environ.get(self.env):
            return environ[self.env], self.env
        return self.default, "default"

    def parse(self, raw: str | None) -> Any:
        """The value the client takes; ConfigurationError, naming this key, when unusable."""
        if self.secret:
            return None if raw is None else check_token(raw)
        if self.key == "endpoint":
            return check_endpoint(raw or DEFAULT_ENDPOINT)
        return _positive(self, raw)


OPTIONS = (
    Option(
        "apiToken",
        "QBOXMAIL_API_TOKEN",
        None,
        "string",
        "API token, sent as `X-Api-Token`; needed only by calls to the API "
        "(create, update, refresh, import, export); surrounding whitespace is stripped.",
        secret=True,
    ),
    Option(
        "endpoint",
        "QBOXMAIL_ENDPOINT",
        DEFAULT_ENDPOINT,
        "string",
        "Base URL of the API; sandbox: `https://sandbox.qboxmail.com`; plain `http://` only to "
        "loopback hosts.",
    ),
    Option(
        "connectTimeout",
        "QBOXMAIL_CONNECT_TIMEOUT",
        "10",
        "number",
        "Seconds to connect (above 0, at most 86400).",
    ),
    Option(
        "readTimeout",
        "QBOXMAIL_READ_TIMEOUT",
        "30",
        "number",
        "Seconds to wait for an answer (above 0, at most 86400).",
    ),
    Option(
        "maxAttempts",
        "QBOXMAIL_MAX_ATTEMPTS",
        "5",
        "integer",
        "Attempts per request, the first included; a whole number (`3.0` is 3).",
    ),
    Option(
        "maxRetrySeconds",
        "QBOXMAIL_MAX_RETRY_SECONDS",
        "60",
        "number",
        "Total seconds one request may spend retrying (above 0, at most 86400); time queued "
        "behind the shared rate limit does not count.",
    ),
    Option(
        "maxThrottleSeconds",
        "QBOXMAIL_MAX_THROTTLE_SECONDS",
        "600",
        "number",
        "Hard ceiling: seconds one request may last in all, queued behind the shared rate limit "
        "included, before a 429 ends it (above 0, at most 86400).",
    ),
)
"""Precedence: stack config (`qboxmail:<key>`), then the environment variable, then the default."""


def config_table() -> str:
    """The Markdown reference table of the provider's settings, generated from `OPTIONS`."""
    rows = [
        "| stack config | environment variable | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for option in OPTIONS:
        key = f"`qboxmail:{option.key}`" + (" (secret)" if option.secret else "")
        default = f"`{option.default}`" if option.default else "none"
        rows.append(f"| {key} | `{option.env}` | {default} | {option.description} |")
    return "\n".join(rows) + "\n"


MAX_SECONDS = 86400
"""The most seconds a timeout or the retry budget may be; sockets overflow on huge values."""


def _positive(option: Option, raw: str | None) -> Any:
    """Seconds in (0, MAX_SECONDS], or a whole number >= 1 ("3.0" too); else ConfigurationError."""
    try:
        value = float(raw or "")
    except ValueError:
        value = math.nan
    if option.type_name == "integer":
        if math.isfinite(value) and value >= 1 and value.is_integer():
            return int(value)
        rule = "must be a whole number of at least 1"
    else:
        if 0 < value <= MAX_SECONDS:
            return value
        rule = f"must be a number of seconds above 0 and at most {MAX_SECONDS}"
    raise ConfigurationError(f"qboxmail:{option.key}", f"{rule}; got {raw!r}")


def _given_keys(config: Any) -> list[str]:
    """The `qboxmail:*` keys set in `config`: a dict, or the dynamic SDK's Config."""
    # The SDK's Config can only be asked for a key by name; what Configure received is in _props.
    given = config if isinstance(config, Mapping) else getattr(config, "_props", None) or {}
    return sorted(key for key in given if isinstance(key, str) and key.startswith(PREFIX))


def strangers(keys: Iterable[str]) -> list[ConfigurationError]:
    """A problem for each key (without `qboxmail:`) the provider does not have: a typo must
    never fall back to a default, such as the production endpoint."""
    known = tuple(option.key for option in OPTIONS)
    found = []
    for key in keys:
        if key not in known and key not in ENGINE_KEYS:
            error = unknown_field(key, names=known, resource="qboxmail provider")
            found.append(ConfigurationError(f"{PREFIX}{key}", error.message))
    return found


def check_settings(config: Any, environ: Mapping[str, str]) -> list[ConfigurationError]:
    """Every problem with the provider's settings; a value not known yet is checked once known."""
    problems = strangers(key.removeprefix(PREFIX) for key in _given_keys(config))
    for option in OPTIONS:
        raw = option.lookup(config, environ)
        if isinstance(raw, Unknown):
            continue
        try:
            option.parse(raw)
        except ConfigurationError as exc:
            problems.append(exc)
    return problems


def build_client(config: Any, environ: Mapping[str, str]) -> QboxClient | None:
    """A client, or None when no token is set; ConfigurationError on the first bad setting,
    naming the knob the value came from: the stack config key, or the environment variable."""
    try:
        return _build_client(config, environ)
    except ConfigurationError as exc:
        for option in OPTIONS:
            knob = option.find(config, environ)[1]
            if exc.key == f"{PREFIX}{option.key}" and knob != "default":
                raise ConfigurationError(knob, exc.problem) from None
        raise


def _build_client(config: Any, environ: Mapping[str, str]) -> QboxClient | None:
    problems = check_settings(config, environ)
    if problems:
        raise problems[0]
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = option.lookup(config, environ)
        if isinstance(raw, Unknown):
            raise ConfigurationError(f"{PREFIX}{option.key}", "is not known yet")
        values[option.key] = option.parse(raw)
    if not values["apiToken"]:
        return None
    policy = RetryPolicy(
        max_attempts=values["maxAttempts"],
        max_elapsed=values["maxRetrySeconds"],
        max_throttled=values["maxThrottleSeconds"],
    )
    return QboxClient(
        values["apiToken"],
        values["endpoint"],
        connect_timeout=values["connectTimeout"],
        read_timeout=values["readTimeout"],
        retry=policy,
    )


class ApiAccess:
    """The client a configured provider uses, and any problem with its configuration.

    Building it never raises: a bad endpoint or timeout fails check (so preview is never green
    where up would fail) and every API call, with one message, but never a delete, which needs
    no API. A missing token fails only the calls that need it.
    """

    def __init__(self, config: Any, environ: Mapping[str, str]) -> None:
        self._client: QboxClient | None = None
        self._problem: ConfigurationError | None = None
        try:
            self._client = build_client(config, environ)
        except ConfigurationError as exc:
            self._problem = exc

    @property
    def problem(self) -> ConfigurationError | None:
        """What is wrong with the configuration, if anything; a missing token is not."""
        return self._problem

    def raise_problem(self) -> None:
        """Raise the configuration problem, if any; a missing token is not one until used."""
        if self._problem is not None:
            raise ConfigurationError(self._problem.key, self._problem.problem) from None

    def client(self) -> QboxClient:
        self.raise_problem()
        if self._client is None:
            raise ConfigurationError(
                "qboxmail:apiToken",
                "is not set; run `pulumi config set --secret qboxmail:apiToken <token>` "
                "or set QBOXMAIL_API_TOKEN",
            )
        return self._client
