"""Proves benchmarks/plugin.py against the real `python -m pulumi.dynamic` plugin and a tiny provider."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pulumi.dynamic.dynamic import serialize_provider

TESTS = Path(__file__).resolve().parent
SUPPORT = TESTS / "harness_support"
HARNESS = TESTS.parent / "benchmarks"  # plugin.py, on pytest's pythonpath
sys.path.insert(0, str(SUPPORT))

from echo_provider import EchoProvider  # noqa: E402

from plugin import UNKNOWN, Diff, Plugin, PluginError  # noqa: E402

PROVIDER = serialize_provider(EchoProvider())


@pytest.fixture
def plugin() -> Iterator[Plugin]:
    with Plugin(provider=PROVIDER, cwd=SUPPORT) as p:
        yield p


def _gone(pid: int) -> bool:
    """True when `pid` no longer runs (absent, or a zombie nobody reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_provider_pickles_by_reference() -> None:
    assert len(PROVIDER) < 200  # a class pickled by value would be kilobytes


def test_numbers_arrive_as_floats(plugin: Plugin) -> None:
    id_, outs = plugin.create({"n": 3, "name": "a"})
    assert id_ == "x"
    assert outs == {"n": 3.0, "name": "a", "seen_type": "float"}
    assert isinstance(outs["n"], float)
    assert plugin.last_raw is not None and plugin.last_raw["__provider"] == PROVIDER


def test_unknown_in_check_stays_unknown(plugin: Plugin) -> None:
    inputs, failures = plugin.check({}, {"name": UNKNOWN, "n": 1})
    assert inputs == {"name": UNKNOWN, "n": 1.0}
    assert failures == []


def test_check_failure(plugin: Plugin) -> None:
    inputs, failures = plugin.check({}, {"bad": "yes"})
    assert inputs == {"bad": "yes"}
    assert failures == [("bad", "bad is yes")]


def test_configure_reaches_create(plugin: Plugin) -> None:
    plugin.configure({"echo:greeting": "hello", "qboxmail-test:other": "x"})
    _, outs = plugin.create({"n": 1})
    assert outs["greeting"] == "hello"


def test_exception_becomes_plugin_error(plugin: Plugin) -> None:
    with pytest.raises(PluginError) as info:
        plugin.create({"boom": "kaboom"})
    assert info.value.code.name == "UNKNOWN"
    assert "Traceback (most recent call last)" in info.value.details
    assert info.value.last_line == "ValueError: boom: kaboom"


def test_diff_read_update_delete(plugin: Plugin) -> None:
    olds = {"name": "a", "n": 1.0, "seen_type": "float"}
    assert plugin.diff("x", olds, olds) == Diff("none", [], False)
    changed = plugin.diff("x", olds, {**olds, "name": "b"}, old_inputs={"name": "a", "n": 1})
    assert changed == Diff("some", ["name"], False)
    assert plugin.read("x", olds, inputs={"name": "a"}) == ("x", olds, None)
    assert plugin.update("x", olds, {"name": "b", "n": 2}, old_inputs={"name": "a"}) == {
        "name": "b",
        "n": 2.0,
    }
    plugin.delete("x", olds, old_inputs={"name": "a"})


def test_missing_provider_key_fails_like_import(plugin: Plugin) -> None:
    with pytest.raises(PluginError) as info:
        plugin.read("x", {"__provider": None, "name": "a"})
    assert info.value.last_line == "KeyError: '__provider'"


def test_concurrent_creates(plugin: Plugin) -> None:
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: plugin.create({"n": i, "name": f"r{i}"}), range(8)))
    for i, (id_, outs) in enumerate(results):
        assert (id_, outs) == ("x", {"n": float(i), "name": f"r{i}", "seen_type": "float"})


def test_stop_leaves_no_process() -> None:
    p = Plugin(provider=PROVIDER, cwd=SUPPORT)
    p.start()
    pid = p.pid
    assert pid is not None and not _gone(pid)
    p.stop()
    p.stop()  # idempotent
    assert p.process is not None and p.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_start_failure_shows_stderr(tmp_path: Path) -> None:
    (tmp_path / "pulumi").mkdir()  # shadows the SDK: cwd comes first on sys.path with -m
    (tmp_path / "pulumi" / "__init__.py").write_text("raise SystemExit('no plugin here')\n")
    p = Plugin(provider=PROVIDER, cwd=tmp_path)
    with pytest.raises(RuntimeError, match="no plugin here"):
        p.start(timeout=10)
    assert p.pid is not None and _gone(p.pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_plugin_dies_with_its_parent() -> None:
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(HARNESS)!r})
        from plugin import Plugin
        p = Plugin(provider="unused", cwd={str(SUPPORT)!r})
        p.start()
        print(p.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert not _gone(pid)
    finally:
        parent.send_signal(signal.SIGKILL)  # no atexit: only the death signal can help
        parent.wait()
    deadline = time.monotonic() + 10
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)
