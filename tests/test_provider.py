"""Tier 3: provider methods and configuration, called directly; no HTTP unless stated."""

from __future__ import annotations

import base64
import pickle
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from conftest import TOKEN, clean_env, start_plugin
from plugin import PluginError
from pulumi_qboxmail import ConfigurationError, QboxDomainSettingsProvider
from pulumi_qboxmail.provider import build_client, request_body


def configured(config: dict[str, str]) -> QboxDomainSettingsProvider:
    provider = QboxDomainSettingsProvider()
    provider.configure(ConfigureRequest(Config(config, "proj")))
    return provider


def test_serialized_provider_is_a_tiny_reference_without_state() -> None:
    fresh = serialize_provider(QboxDomainSettingsProvider())
    assert len(fresh) <= 200
    assert b"pulumi_qboxmail.provider" in base64.b64decode(fresh)
    after = serialize_provider(configured({"qboxmail:apiToken": TOKEN}))
    assert after == fresh
    assert TOKEN.encode() not in base64.b64decode(after)
    assert QboxDomainSettingsProvider.serialize_as_secret_always is False


def test_unpickled_provider_has_no_client_until_configured() -> None:
    clone = pickle.loads(pickle.dumps(configured({"qboxmail:apiToken": TOKEN})))
    assert not hasattr(clone, "_client")


@pytest.mark.parametrize(
    ("config", "env", "endpoint", "attempts"),
    [
        ({}, {}, "https://api.qboxmail.com", 5),
        ({}, {"QBOXMAIL_ENDPOINT": "https://sandbox.qboxmail.com"}, "https://sandbox.qboxmail.com", 5),
        ({"qboxmail:endpoint": "http://127.0.0.1:1"}, {"QBOXMAIL_ENDPOINT": "https://x.test"}, "http://127.0.0.1:1", 5),
        ({"qboxmail:maxAttempts": "2"}, {"QBOXMAIL_MAX_ATTEMPTS": "9"}, "https://api.qboxmail.com", 2),
        ({}, {"QBOXMAIL_MAX_ATTEMPTS": "9"}, "https://api.qboxmail.com", 9),
    ],
)  # fmt: skip
def test_stack_config_beats_environment_beats_default(
    config: dict[str, str], env: dict[str, str], endpoint: str, attempts: int
) -> None:
    client = build_client(
        Config({"qboxmail:apiToken": TOKEN, **config}, "p"), {"QBOXMAIL_API_TOKEN": "e", **env}
    )
    assert client is not None
    assert (client.endpoint, client.retry.max_attempts) == (endpoint, attempts)
    assert client._token == TOKEN


def test_token_falls_back_to_the_environment() -> None:
    client = build_client(Config({}, "p"), {"QBOXMAIL_API_TOKEN": "from-env"})
    assert client is not None
    assert client._token == "from-env"


SECONDS_RULE = "must be a number of seconds above 0 and at most 86400"
ATTEMPTS_RULE = "must be a whole number of at least 1"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("readTimeout", "0", f"qboxmail configuration qboxmail:readTimeout: {SECONDS_RULE}; got '0'"),
        ("readTimeout", "inf", f"qboxmail configuration qboxmail:readTimeout: {SECONDS_RULE}; got 'inf'"),
        ("connectTimeout", "nan", f"qboxmail configuration qboxmail:connectTimeout: {SECONDS_RULE}; got 'nan'"),
        ("connectTimeout", "1e12", f"qboxmail configuration qboxmail:connectTimeout: {SECONDS_RULE}; got '1e12'"),
        ("maxRetrySeconds", "-inf", f"qboxmail configuration qboxmail:maxRetrySeconds: {SECONDS_RULE}; got '-inf'"),
        ("maxAttempts", "many", f"qboxmail configuration qboxmail:maxAttempts: {ATTEMPTS_RULE}; got 'many'"),
        ("maxAttempts", "3.5", f"qboxmail configuration qboxmail:maxAttempts: {ATTEMPTS_RULE}; got '3.5'"),
        ("maxAttempts", "inf", f"qboxmail configuration qboxmail:maxAttempts: {ATTEMPTS_RULE}; got 'inf'"),
        ("maxAttempts", "0.0", f"qboxmail configuration qboxmail:maxAttempts: {ATTEMPTS_RULE}; got '0.0'"),
        ("endpoint", "http://qbox.example", "qboxmail configuration qboxmail:endpoint: plain http is allowed only to loopback hosts; use https://qbox.example"),
    ],
)  # fmt: skip
def test_bad_configuration_is_refused_by_name(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError) as failure:
        build_client(Config({f"qboxmail:{key}": value}, "p"), {})
    assert str(failure.value) == message


def test_whole_floats_and_the_largest_timeouts_are_accepted() -> None:
    config = {
        "qboxmail:maxAttempts": "3.0",
        "qboxmail:readTimeout": "86400",
        "qboxmail:apiToken": TOKEN,
    }
    client = build_client(Config(config, "p"), {"QBOXMAIL_MAX_RETRY_SECONDS": "2.5"})
    assert client is not None
    assert (client.retry.max_attempts, client.timeout[1], client.retry.max_elapsed) == (
        3,
        86400.0,
        2.5,
    )
    assert type(client.retry.max_attempts) is int


def test_each_setting_is_read_by_its_name_whatever_the_order_of_the_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulumi_qboxmail import config as options

    monkeypatch.setattr(options, "OPTIONS", tuple(reversed(options.OPTIONS)))
    config = {
        "qboxmail:apiToken": TOKEN,
        "qboxmail:connectTimeout": "7",
        "qboxmail:readTimeout": "8",
    }
    client = build_client(Config(config, "p"), {"QBOXMAIL_MAX_ATTEMPTS": "2"})
    assert client is not None
    assert (client.timeout, client.retry.max_attempts, client.retry.max_elapsed) == (
        (7.0, 8.0),
        2,
        60.0,
    )


@pytest.mark.parametrize(
    "given",
    [f"{TOKEN}\n", f"  {TOKEN}", f"\t{TOKEN}\r\n", f"\u00a0{TOKEN}\u2003"],
    ids=["trailing-newline", "leading-spaces", "tab-and-crlf", "unicode-spaces"],
)
def test_whitespace_around_the_token_is_stripped(given: str) -> None:
    client = build_client(Config({"qboxmail:apiToken": given}, "p"), {})
    assert client is not None
    assert client._token == TOKEN


TOKEN_RULE = "set the token again, without quotes or line breaks"


@pytest.mark.parametrize(
    ("token", "shown"),
    [
        (f"{TOKEN}\u201d", "U+201D RIGHT DOUBLE QUOTATION MARK, character 20"),
        (f"tok\nen-{TOKEN}", "U+000A, character 4"),
        (f"tök-{TOKEN}", "U+00F6 LATIN SMALL LETTER O WITH DIAERESIS, character 2"),
        (f"tok\x7f{TOKEN}", "U+007F, character 4"),
    ],
    ids=["typographic-quote", "inner-newline", "latin-1-letter", "delete-control"],
)
def test_a_token_no_header_can_carry_is_refused_by_key_without_echoing_it(
    token: str, shown: str
) -> None:
    with pytest.raises(ConfigurationError) as failure:
        build_client(Config({"qboxmail:apiToken": token}, "p"), {})
    assert str(failure.value) == (
        "qboxmail configuration qboxmail:apiToken: has a character the X-Api-Token header "
        f"cannot carry ({shown}); {TOKEN_RULE}"
    )
    assert TOKEN not in repr(failure.value.args)


def test_check_and_diff_make_no_http_requests_even_without_a_token() -> None:
    provider = configured({"qboxmail:endpoint": "http://127.0.0.1:9"})
    news = {"domain_code": "D123456789", "antispam_level": 2.0, "__provider": "x"}
    checked = provider.check({}, news)
    assert (checked.inputs, checked.failures) == (
        {"domain_code": "D123456789", "antispam_level": 2},
        [],
    )
    diff = provider.diff("D123456789", {"domain_code": "D123456789", "antispam_level": 2}, news)
    assert (diff.changes, diff.replaces) == (False, [])


BODIES: list[tuple[dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    (None, {"domain_code": "D1", "antispam_level": 1}, {"antispam_level": 1}),
    (None, {"domain_code": "D1"}, {}),
    (None, {"force_new_password": False, "default_quota_apply_to_all": True}, {}),
    (None, {"default_quota": 5, "default_quota_apply_to_all": False}, {"default_quota": 5}),
    ({"chat": True}, {"chat": True}, {}),
    ({"chat": True}, {"chat": False}, {"chat": False}),
    ({"force_otp": True}, {"force_otp": True, "password_policies_apply_to_all": True}, {}),
    ({"force_otp": True}, {"force_otp": False, "password_policies_apply_to_all": True}, {"force_otp": False, "password_policies_apply_to_all": True}),
    ({"postmaster_password": "a1b2c3d4e"}, {"postmaster_password": "a1b2c3d4e"}, {}),
    ({}, {"postmaster_password": "a1b2c3d4e"}, {"postmaster_password": "a1b2c3d4e", "postmaster_password_confirmation": "a1b2c3d4e"}),
    ({"force_new_password": True}, {"force_new_password": True}, {}),
    ({"force_new_password": False}, {"force_new_password": True}, {"force_new_password": True}),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "body"), BODIES)
def test_request_body_table(
    old: dict[str, Any] | None, new: dict[str, Any], body: dict[str, Any]
) -> None:
    assert request_body(old, new) == body


def test_missing_token_fails_the_first_request_with_how_to_set_it(tmp_path: Path) -> None:
    with start_plugin(tmp_path, {}, env=clean_env()) as plugin:
        checked, failures = plugin.check({}, {"domain_code": "D123456789", "chat": True})
        assert failures == []
        with pytest.raises(PluginError) as failure:
            plugin.create(checked)
    assert failure.value.last_line == (
        "pulumi_qboxmail.errors.ConfigurationError: qboxmail configuration qboxmail:apiToken: "
        "is not set; run `pulumi config set --secret qboxmail:apiToken <token>` or set "
        "QBOXMAIL_API_TOKEN"
    )


def test_environment_token_reaches_the_plugin(tmp_path: Path, emulator: Any, code: str) -> None:
    env = clean_env(QBOXMAIL_API_TOKEN=TOKEN, QBOXMAIL_ENDPOINT=emulator.url)
    with start_plugin(tmp_path, {}, env=env) as plugin:
        checked, _ = plugin.check({}, {"domain_code": code, "chat": True})
        assert plugin.create(checked) == (code, {"domain_code": code, "chat": True})
    assert [(r.method, r.token, r.body) for r in emulator.requests] == [
        ("PUT", "***", {"chat": True})
    ]
