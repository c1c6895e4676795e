"""The dynamic provider (`dynamic/provider.py`): its methods called directly, and its plugin's
configuration; no HTTP unless stated."""

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
from pulumi_qboxmail import QboxDomainSettingsProvider, core, provider
from pulumi_qboxmail.config import build_client


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


def test_the_stable_path_still_names_the_provider_and_what_it_kept_importable() -> None:
    # Every stack's state pickles the class by reference to this path (see test_serialize.py).
    assert QboxDomainSettingsProvider.__module__ == "pulumi_qboxmail.provider"
    assert provider.QboxDomainSettingsProvider is QboxDomainSettingsProvider
    assert (provider.build_client, provider.request_body) == (build_client, core.request_body)
