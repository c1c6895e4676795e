"""The native plugin exits when the engine that started it dies, and only then.

A fake engine serves gRPC's standard health service on 127.0.0.1, as the CLI does; the plugin
gets its address as its first argument, as from the engine, and a short check pace so that
these tests take a second, not the default's seconds.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest

from conftest import TOKEN, clean_env
from native_plugin import NativePlugin, Secret
from plugin import PluginError, started
from pulumi_qboxmail.tools.emulator import Emulator

GRPC_LOG = re.compile(r"[IWE]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] ")  # gRPC core's glog lines
PACE = "0.1"  # seconds between the plugin's checks of its engine


class FakeEngine:
    """The engine's health service, counting the checks it answered; `stop` is its death."""

    def __init__(self) -> None:
        self.checks = 0
        self.server = grpc.server(ThreadPoolExecutor(2))
        check = grpc.unary_unary_rpc_method_handler(self._check)  # raw bytes both ways
        health = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": check})
        self.server.add_generic_rpc_handlers((health,))
        self.address = f"127.0.0.1:{self.server.add_insecure_port('127.0.0.1:0')}"
        self.server.start()

    def _check(self, request: bytes, context: Any) -> bytes:
        self.checks += 1
        return b"\x08\x01"  # HealthCheckResponse{status: SERVING}

    def answered(self, count: int, within: float = 20.0) -> None:
        deadline = time.monotonic() + within
        while self.checks < count:
            assert time.monotonic() < deadline, f"only {self.checks} health checks came"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.stop(None).wait()


@pytest.fixture
def engine() -> Iterator[FakeEngine]:
    fake = FakeEngine()
    yield fake
    fake.stop()


def watched(engine: str, tmp: Path, emulator: Emulator) -> NativePlugin:
    plugin = NativePlugin(cwd=tmp, env=clean_env(), args=(engine, "--engine-check-seconds", PACE))
    config = {"apiToken": Secret(TOKEN), "endpoint": emulator.url, "maxRetrySeconds": "30"}
    return started(plugin, config)


def exited(plugin: NativePlugin, within: float) -> int | None:
    assert plugin.process is not None
    try:
        return plugin.process.wait(within)
    except subprocess.TimeoutExpired:
        return None


def test_the_plugin_lives_while_its_engine_answers(
    engine: FakeEngine, tmp_path: Path, emulator: Emulator
) -> None:
    with watched(engine.address, tmp_path, emulator) as plugin:
        engine.answered(10)  # a second of checks, every one answered
        assert plugin.process is not None and plugin.process.poll() is None
        assert plugin.plugin_version()  # and it still serves


def test_a_plugin_whose_engine_never_answered_keeps_serving(
    tmp_path: Path, emulator: Emulator
) -> None:
    # What every test harness and benchmark does: an address where no engine listens.
    with watched("127.0.0.1:0", tmp_path, emulator) as plugin:
        time.sleep(1.0)  # ten checks' worth
        assert plugin.process is not None and plugin.process.poll() is None
        assert plugin.plugin_version()


def test_the_plugin_exits_once_its_engine_stops_answering_abandoning_its_http_call(
    engine: FakeEngine, tmp_path: Path, emulator: Emulator, code: str
) -> None:
    emulator.slow_next(1, 2.5)  # the PUT is still in flight when the engine dies
    with watched(engine.address, tmp_path, emulator) as plugin:
        engine.answered(2)
        outcome: list[BaseException] = []

        def create() -> None:
            try:
                plugin.create({"domainCode": code, "antispamLevel": 3})
            except PluginError as exc:
                outcome.append(exc)

        creating = threading.Thread(target=create, daemon=True)
        creating.start()
        while not emulator.requests:
            time.sleep(0.02)
        died = time.monotonic()
        engine.stop()

        assert exited(plugin, within=2.0) == 0  # before the slow PUT could be answered
        creating.join(5.0)
        assert [type(exc) for exc in outcome] == [PluginError]  # the call was dropped, not answered
        assert plugin.stdout_text().strip().isdigit()  # the port line, and nothing after it
        # gRPC's own transport may log the engine's GOAWAY; the plugin itself writes nothing.
        assert [
            line for line in plugin.stderr_text().splitlines() if not GRPC_LOG.match(line)
        ] == []
    time.sleep(max(0.0, died + 3.0 - time.monotonic()))  # past the slow answer: no retry came
    assert [(r.method, r.path) for r in emulator.requests] == [("PUT", f"/api/domains/{code}")]
