"""The provider's settings (`qboxmail:*`): what each face accepts, refuses and keeps secret.

The native face meets its settings in CheckConfig, before anything runs; the dynamic face meets
the stack config in Configure and fails its first check. One table of bad settings runs on both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from conftest import TOKEN, clean_env, start_plugin
from native_plugin import UNKNOWN, NativePlugin, Secret, reason, start_native
from plugin import PluginError
from pulumi_qboxmail import QboxDomainSettingsProvider
from pulumi_qboxmail.client import DEFAULT_ENDPOINT, RetryPolicy
from pulumi_qboxmail.config import OPTIONS, build_client
from pulumi_qboxmail.errors import ConfigurationError
from pulumi_qboxmail.tools.emulator import Emulator

SECONDS_RULE = "must be a number of seconds above 0 and at most 86400"
PORT_RULE = "must have a port from 1 to 65535, or none"
BAD_SETTINGS = [
    pytest.param("endpoint", "https://api.qboxmail.com:99999", f"{PORT_RULE}; got '99999'", id="port-out-of-range"),
    pytest.param("endpoint", "https://api.qboxmail.com:https", f"{PORT_RULE}; got 'https'", id="port-by-name"),
    pytest.param("endpoint", "https://api.qboxmail.com:0", f"{PORT_RULE}; got '0'", id="port-zero"),
    pytest.param("endpoint", "admin:pw@api.qboxmail.com", "'***@api.qboxmail.com' is not an http(s) URL", id="credentials-without-scheme"),
    pytest.param("endpoint", "https://admin:pw@api.qboxmail.com", "must not contain credentials; the token goes in apiToken", id="credentials-with-scheme"),
    pytest.param("connectTimeout", "0", f"{SECONDS_RULE}; got '0'", id="connect-timeout"),
    pytest.param("readTimeout", "soon", f"{SECONDS_RULE}; got 'soon'", id="read-timeout"),
    pytest.param("maxAttempts", "0", "must be a whole number of at least 1; got '0'", id="max-attempts"),
    pytest.param("maxRetrySeconds", "-1", f"{SECONDS_RULE}; got '-1'", id="retry-budget"),
    pytest.param("endpont", "https://sandbox.qboxmail.com", 'is not a qboxmail provider input; did you mean "endpoint"?', id="misspelled-endpoint"),
    pytest.param("readTimeot", "5", 'is not a qboxmail provider input; did you mean "readTimeout"?', id="misspelled-timeout"),
    pytest.param("colour", "blue", "is not a qboxmail provider input", id="unknown-key"),
]  # fmt: skip
"""(key, value, problem): each setting in turn, next to a good token and endpoint."""


# ---- one table, both faces ------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value", "problem"), BAD_SETTINGS)
def test_native_check_config_refuses_a_bad_setting_naming_its_key(
    native: NativePlugin, emulator: Emulator, key: str, value: str, problem: str
) -> None:
    news = {"apiToken": TOKEN, "endpoint": emulator.url, key: value, "version": "0.1.0"}
    _, failures = native.check_config(news)
    # The engine prints a named property's value beside its failure: credentials go unnamed.
    assert failures == ([("", f"{key} {problem}")] if "@" in value else [(key, problem)])
    assert "pw" not in repr(failures)


@pytest.mark.parametrize(("key", "value", "problem"), BAD_SETTINGS)
def test_dynamic_check_refuses_a_bad_stack_setting_naming_its_key(
    emulator: Emulator, key: str, value: str, problem: str
) -> None:
    provider = QboxDomainSettingsProvider()
    config = {
        "qboxmail:apiToken": TOKEN,
        "qboxmail:endpoint": emulator.url,
        f"qboxmail:{key}": value,
    }
    # Another package's or the project's own keys are not the provider's to judge.
    config |= {"myproject:region": "eu", "aws:region": "eu-south-1"}
    provider.configure(ConfigureRequest(Config(config, "myproject")))
    with pytest.raises(ConfigurationError) as failure:
        provider.check({}, {"domain_code": "D123456789"})
    assert str(failure.value) == f"qboxmail configuration qboxmail:{key}: {problem}"


def test_a_misspelled_stack_setting_fails_the_dynamic_plugins_check_and_sends_nothing(
    tmp_path: Path, emulator: Emulator, code: str
) -> None:
    config = {"qboxmail:apiToken": TOKEN, "qboxmail:endpont": emulator.url, "proj:x": "1"}
    with start_plugin(tmp_path, config) as plugin, pytest.raises(PluginError) as failure:
        plugin.check({}, {"domain_code": code, "chat": True})
    assert failure.value.last_line == (
        "pulumi_qboxmail.errors.ConfigurationError: qboxmail configuration qboxmail:endpont: "
        'is not a qboxmail provider input; did you mean "endpoint"?'
    )
    assert emulator.requests == []


# ---- native CheckConfig -------------------------------------------------------------------------
def test_check_config_gives_the_token_back_secret_however_it_was_set(
    native: NativePlugin, emulator: Emulator
) -> None:
    for token in (TOKEN, Secret(TOKEN)):
        news = {"apiToken": token, "endpoint": emulator.url, "version": "0.1.0"}
        inputs, failures = native.check_config(news)
        assert (inputs, failures) == ({**news, "apiToken": Secret(TOKEN)}, [])


def test_check_config_names_a_bad_token_without_showing_it_beside_the_key(
    native: NativePlugin,
) -> None:
    # The engine prints a failed property's value beside it: a token's must never be.
    _, failures = native.check_config({"apiToken": f"{TOKEN}\n{TOKEN}"})
    assert failures == [
        ("", "apiToken has a character the X-Api-Token header cannot carry (U+000A, character "
             "20); set the token again, without quotes or line breaks")
    ]  # fmt: skip


@pytest.mark.parametrize("key", [option.key for option in OPTIONS])
def test_a_setting_not_known_yet_passes_check_config(native: NativePlugin, key: str) -> None:
    # endpoint=other.url: the other resource does not exist yet during preview.
    inputs, failures = native.check_config({key: UNKNOWN, "version": "0.1.0"})
    assert failures == []
    assert inputs == {key: Secret(UNKNOWN) if key == "apiToken" else UNKNOWN, "version": "0.1.0"}


def test_configure_accepts_secrets_and_previews(native: NativePlugin, emulator: Emulator) -> None:
    # Without acceptSecrets the engine strips every secret flag; without supportsPreview it never
    # calls Create or Update in a preview.
    config = {"apiToken": Secret(TOKEN), "endpoint": emulator.url, "maxRetrySeconds": "5"}
    response = native.configure(config)  # as the session's plugin was first configured
    assert (response.acceptSecrets, response.supportsPreview) == (True, True)


def test_native_check_fails_on_a_bad_configuration_on_its_own(
    tmp_path: Path, emulator: Emulator, code: str
) -> None:
    # The engine calls CheckConfig first, but a provider configured without it must still refuse.
    config = {"apiToken": Secret(TOKEN), "endpoint": "http://qbox.example"}
    with (
        start_native(tmp_path, config, clean_env()) as plugin,
        pytest.raises(PluginError) as failure,
    ):
        plugin.check({}, {"domainCode": code, "chat": True})
    assert reason(failure.value) == (
        "qboxmail configuration qboxmail:endpoint: plain http is allowed only to loopback hosts; "
        "use https://qbox.example"
    )
    assert emulator.requests == []


# ---- build_client: defaults, precedence, refusals by key ----------------------------------------
def test_unset_settings_give_the_documented_endpoint_timeouts_and_retry_bounds() -> None:
    client = build_client({"qboxmail:apiToken": TOKEN}, {})
    assert client is not None
    assert client.endpoint == DEFAULT_ENDPOINT == "https://api.qboxmail.com"
    assert client.timeout == (10.0, 30.0)
    assert (client.retry.max_attempts, client.retry.max_elapsed) == (5, 60.0)
    assert client.retry == RetryPolicy(max_attempts=5, max_elapsed=60.0)


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
