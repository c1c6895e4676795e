"""Shared fixtures: one emulator and one configured plugin process for the session."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from e2e_support import CliEnv, found_cli
from native_plugin import NativePlugin, Secret, start_native
from plugin import Plugin, started
from pulumi_qboxmail import QboxDomainSettingsProvider
from pulumi_qboxmail.tools.emulator import Emulator

TOKEN = "tok-SENTINEL-4f1c9e"
_codes = itertools.count(100000001)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any QBOXMAIL_* variable a developer may have exported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBOXMAIL_")}
    env.update(extra)
    return env


def start_plugin(tmp: Path, config: dict[str, str], env: dict[str, str] | None = None) -> Plugin:
    """A real `python -m pulumi.dynamic` process, configured like the engine does once."""
    plugin = Plugin(
        provider=serialize_provider(QboxDomainSettingsProvider()),
        cwd=tmp,
        env=clean_env() if env is None else env,
    )
    return started(plugin, config)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(token=TOKEN)
    with emu:
        yield emu


@pytest.fixture(scope="session")
def plugin(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    config = {
        "qboxmail:apiToken": TOKEN,
        "qboxmail:endpoint": emulator.url,
        "qboxmail:maxRetrySeconds": "5",
    }
    with start_plugin(tmp_path_factory.mktemp("plugin"), config) as proc:
        yield proc


@pytest.fixture(scope="session")
def native(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NativePlugin]:
    config = {"apiToken": Secret(TOKEN), "endpoint": emulator.url, "maxRetrySeconds": "5"}
    with start_native(tmp_path_factory.mktemp("native"), config, clean_env()) as plugin:
        yield plugin


@pytest.fixture
def code(emulator: Emulator) -> str:
    """A fresh demo domain in the emulator, with an empty request log and no faults queued."""
    domain = f"D{next(_codes)}"
    emulator.add_domain(domain)
    emulator.clear_faults()
    emulator.clear_log()
    return domain


@pytest.fixture
def cli_env(tmp_path: Path) -> CliEnv:
    """The real Pulumi CLI with an isolated home, file backend and passphrase; skips without one."""
    found = found_cli()
    if found.path is None:
        pytest.skip(f"no Pulumi CLI, and end-to-end tests are never faked: {found.why()}")
    return CliEnv(found.path, tmp_path / "cli")
