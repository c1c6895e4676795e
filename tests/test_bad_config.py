"""Provider configuration problems through the real plugin: which calls they fail, with what
text, and what reaches Qboxmail.

A bad endpoint, timeout, attempt count or token fails check (so `pulumi preview` is never green
where `pulumi up` would fail) and every call that needs the API, each with the same line naming
the key, and sends nothing. Delete needs no API, so `pulumi destroy` still works.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from conftest import TOKEN, start_plugin
from plugin import Diff, Plugin, PluginError
from pulumi_qboxmail.emulator import Emulator

SECONDS_RULE = "must be a number of seconds above 0 and at most 86400"
PROBLEMS = [
    pytest.param({"qboxmail:readTimeout": "inf"}, f"qboxmail:readTimeout: {SECONDS_RULE}; got 'inf'", id="infinite-read-timeout"),
    pytest.param({"qboxmail:connectTimeout": "nan"}, f"qboxmail:connectTimeout: {SECONDS_RULE}; got 'nan'", id="nan-connect-timeout"),
    pytest.param({"qboxmail:maxRetrySeconds": "1e300"}, f"qboxmail:maxRetrySeconds: {SECONDS_RULE}; got '1e300'", id="huge-retry-budget"),
    pytest.param({"qboxmail:maxThrottleSeconds": "0"}, f"qboxmail:maxThrottleSeconds: {SECONDS_RULE}; got '0'", id="zero-throttle-ceiling"),
    pytest.param({"qboxmail:maxAttempts": "2.5"}, "qboxmail:maxAttempts: must be a whole number of at least 1; got '2.5'", id="fractional-attempts"),
    pytest.param({"qboxmail:endpoint": "http://qbox.example"}, "qboxmail:endpoint: plain http is allowed only to loopback hosts; use https://qbox.example", id="plain-http-endpoint"),
    pytest.param({"qboxmail:apiToken": f"\u201c{TOKEN}\u201d"}, "qboxmail:apiToken: has a character the X-Api-Token header cannot carry (U+201C LEFT DOUBLE QUOTATION MARK, character 1); set the token again, without quotes or line breaks", id="quoted-token"),
    pytest.param({"qboxmail:apiToken": f"{TOKEN}\n\n{TOKEN}"}, "qboxmail:apiToken: has a character the X-Api-Token header cannot carry (U+000A, character 20); set the token again, without quotes or line breaks", id="two-line-token"),
]  # fmt: skip


def configured(tmp: Path, emulator: Emulator, **config: str) -> Plugin:
    """A plugin configured against the emulator with the right token, overridden by `config`."""
    settings = {"qboxmail:apiToken": TOKEN, "qboxmail:endpoint": emulator.url}
    return start_plugin(tmp, {**settings, **config})


def config_failure(call: Any) -> str:
    with pytest.raises(PluginError) as failure:
        call()
    return failure.value.last_line


@pytest.mark.parametrize(("config", "problem"), PROBLEMS)
def test_a_config_problem_fails_preview_and_every_api_call_but_not_delete(
    tmp_path: Path, emulator: Emulator, code: str, config: dict[str, str], problem: str
) -> None:
    line = f"pulumi_qboxmail.errors.ConfigurationError: qboxmail configuration {problem}"
    before = copy.deepcopy(emulator.domains[code])
    olds = {"domain_code": code, "antispam_level": 1}
    news = {"domain_code": code, "antispam_level": 3}
    with configured(tmp_path, emulator, **config) as plugin:
        assert config_failure(lambda: plugin.check({}, news)) == line
        assert config_failure(lambda: plugin.create(news)) == line
        assert config_failure(lambda: plugin.update(code, olds, news)) == line
        assert config_failure(lambda: plugin.read(code, olds)) == line
        # Diff compares values and never needs the API either.
        assert plugin.diff(code, olds, news) == Diff("some", [], False)
        plugin.delete(code, olds)
        stderr = plugin.stderr_text()
    assert emulator.requests == []
    assert emulator.domains[code] == before
    assert TOKEN not in line + stderr


def test_a_missing_token_fails_only_the_calls_that_need_the_api(
    tmp_path: Path, emulator: Emulator, code: str
) -> None:
    olds = {"domain_code": code, "antispam_level": 1}
    news = {"domain_code": code, "antispam_level": 3}
    line = (
        "pulumi_qboxmail.errors.ConfigurationError: qboxmail configuration qboxmail:apiToken: "
        "is not set; run `pulumi config set --secret qboxmail:apiToken <token>` or set "
        "QBOXMAIL_API_TOKEN"
    )
    with start_plugin(tmp_path, {"qboxmail:endpoint": emulator.url}) as plugin:
        assert plugin.check({}, news) == (news, [])
        assert config_failure(lambda: plugin.create(news)) == line
        assert config_failure(lambda: plugin.update(code, olds, news)) == line
        assert config_failure(lambda: plugin.read(code, olds)) == line
        plugin.delete(code, olds)
    assert emulator.requests == []


@pytest.mark.parametrize(
    "token",
    [f"{TOKEN}\n", f" {TOKEN}", f"\t{TOKEN}\r\n"],
    ids=["trailing-newline", "leading-space", "tab-and-crlf"],
)
def test_a_token_with_surrounding_whitespace_is_sent_stripped(
    tmp_path: Path, emulator: Emulator, code: str, token: str
) -> None:
    with configured(tmp_path, emulator, **{"qboxmail:apiToken": token}) as plugin:
        checked, failures = plugin.check({}, {"domain_code": code, "chat": True})
        assert failures == []
        assert plugin.create(checked) == (code, {"domain_code": code, "chat": True})
    # "***" is the emulator's mask for exactly the right token, "<wrong>" for any other.
    assert [(r.method, r.token, r.body) for r in emulator.requests] == [
        ("PUT", "***", {"chat": True})
    ]


def test_max_attempts_written_as_a_whole_float_bounds_the_attempts(
    tmp_path: Path, emulator: Emulator, code: str
) -> None:
    with configured(tmp_path, emulator, **{"qboxmail:maxAttempts": "2.0"}) as plugin:
        checked, _ = plugin.check({}, {"domain_code": code, "chat": True})
        emulator.fail_next(10, 503)
        with pytest.raises(PluginError) as failure:
            plugin.create(checked)
    emulator.clear_faults()
    assert "; gave up after 2 attempts over " in failure.value.last_line
    assert [(r.method, r.body) for r in emulator.requests] == [("PUT", {"chat": True})] * 2
