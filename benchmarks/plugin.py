"""Drive the real `python -m pulumi.dynamic` plugin over gRPC, the way the Pulumi engine does.

Property bags are serialized with the SDK's own `rpc.serialize_properties`, so numbers travel as
protobuf doubles and the `UNKNOWN` sentinel travels as the unknown value, exactly as from the
engine. Results come back with `__provider` stripped and unknowns as the `UNKNOWN` sentinel. Send
`{"__provider": None}` in a bag to send it without `__provider` (None values are not sent).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

import grpc
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import provider_pb2_grpc
from typing_extensions import Self

UNKNOWN: str = rpc.UNKNOWN
Props = Mapping[str, Any]
Bag = dict[str, Any]
PROVIDER_KEY = "__provider"
TYPE = "pulumi-python:dynamic/qboxmail:DomainSettings"
URN = f"urn:pulumi:test::qboxmail-test::{TYPE}::test"
CALL_TIMEOUT = 120.0
CHANGES = {pb.DiffResponse.DIFF_NONE: "none", pb.DiffResponse.DIFF_SOME: "some"}

# The child ties itself to this process (PR_SET_PDEATHSIG survives exec) and then execs the very
# command the engine runs. Doing it in the child's own interpreter, not in a preexec_fn, keeps
# subprocess on vfork: a fork() would run gRPC's fork handlers, which break the child's poller
# now and then while this process has live channels.
_TIED_START = """
import ctypes, os, signal, sys
if sys.platform.startswith("linux"):
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    if os.getppid() != int(sys.argv[1]):
        sys.exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""


class PluginError(Exception):
    """A gRPC error from the plugin; `details` is the full traceback text it sent."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @property
    def last_line(self) -> str:
        """The last non-empty line of `details`: what a Pulumi user reads."""
        lines = [line for line in self.details.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""


@dataclass(frozen=True)
class Diff:
    changes: str  # "none" | "some" | "unknown"
    replaces: list[str]
    delete_before_replace: bool


def _sentinel(value: Any) -> Any:
    """Replace `pulumi.output.Unknown` objects (at any depth) with the `UNKNOWN` sentinel."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _sentinel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sentinel(v) for v in value]
    return value


def _serialize(bag: Props) -> Any:
    """A protobuf Struct of `bag`, serialized by the SDK as the engine would send it."""
    loop = asyncio.new_event_loop()  # one per call: never shared between threads
    try:
        return loop.run_until_complete(rpc.serialize_properties(_sentinel(dict(bag)), {}))
    finally:
        loop.close()


def _meta(urn: str) -> dict[str, Any]:
    """urn, type and name of a urn `urn:pulumi:<stack>::<project>::<parent$type>::<name>`."""
    parts = urn.split("::")
    return {"urn": urn, "type": parts[2].split("$")[-1], "name": parts[3]}


class Lifecycle(Protocol):
    """Either harness, the dynamic `Plugin` or the native `NativePlugin`: check, then create."""

    def check(self, olds: Props, news: Props) -> tuple[Bag, list[tuple[str, str]]]: ...

    def create(self, properties: Props) -> tuple[str, Bag]: ...


def apply(plugin: Lifecycle, inputs: Props) -> tuple[Bag, Bag]:
    """`pulumi up` of a new resource: check, then create. Returns (checked inputs, outputs)."""
    checked, failures = plugin.check({}, inputs)
    assert failures == []
    _, outs = plugin.create(checked)
    return checked, outs


class Configurable(Protocol):
    """Either harness, as the engine first meets it: start, configure once, stop."""

    def start(self) -> None: ...

    def configure(self, config: Any) -> Any: ...

    def stop(self) -> None: ...


_Plugin = TypeVar("_Plugin", bound=Configurable)


def started(plugin: _Plugin, config: Any) -> _Plugin:
    """`plugin` started and configured once, as the engine does; stopped again if that fails.
    The caller stops it (a with-block)."""
    try:
        plugin.start()
        plugin.configure(config)
    except BaseException:
        plugin.stop()
        raise
    return plugin


class PluginProcess:
    """One provider plugin process, started as the engine starts it, and a gRPC channel to it.
    Start it from a long-lived thread: on Linux the child gets SIGTERM when the starting thread
    exits (PR_SET_PDEATHSIG)."""

    def __init__(self, command: list[str], *, cwd: str | Path,
                 env: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self.command = command
        self.cwd = Path(cwd)
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PULUMI_PROJECT", "qboxmail-test")
        self.process: subprocess.Popen[bytes] | None = None
        self.last_raw: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None

    # ---- process ------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        if self.process is not None:
            return
        self.process = proc = subprocess.Popen(
            [sys.executable, "-c", _TIED_START, str(os.getpid()), *self.command],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        atexit.register(self.stop)
        first: queue.Queue[bytes | None] = queue.Queue()
        assert proc.stdout is not None and proc.stderr is not None
        self._drain(proc.stdout, self._out, first)
        self._drain(proc.stderr, self._err, None)
        try:
            line = first.get(timeout=timeout)
        except queue.Empty:
            line = None
        port = line.decode().strip() if line else ""
        if not port.isdigit():
            if proc.poll() is not None:
                self._threads[-1].join(2.0)  # let stderr finish
            self.stop()
            raise RuntimeError(
                f"provider plugin {self.command[0]} printed no port (first line {line!r}); "
                f"stderr:\n{self.stderr_text()}"
            )
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self._channel).result(timeout=timeout)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)

    def _drain(
        self, pipe: IO[bytes], sink: list[bytes], first: queue.Queue[bytes | None] | None
    ) -> None:
        def run() -> None:
            for i, line in enumerate(iter(pipe.readline, b"")):
                with self._lock:
                    sink.append(line)
                if i == 0 and first is not None:
                    first.put(line)
            if first is not None:
                first.put(None)  # EOF before (or after) the port line

        thread = threading.Thread(target=run, daemon=True, name="plugin-drain")
        thread.start()
        self._threads.append(thread)

    def stdout_text(self) -> str:
        with self._lock:
            return b"".join(self._out).decode(errors="replace")

    def stderr_text(self) -> str:
        with self._lock:
            return b"".join(self._err).decode(errors="replace")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def stop(self) -> None:
        atexit.unregister(self.stop)
        if self._channel is not None:
            self._channel.close()
            self._channel = self._stub = None
        proc = self.process
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for thread in self._threads:
            thread.join(1.0)  # the pipes are at EOF now: collect the last output

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise RuntimeError("plugin is not started")
        try:
            return getattr(self._stub, method)(request, timeout=CALL_TIMEOUT)
        except grpc.RpcError as e:
            raise PluginError(e.code(), e.details() or "") from None


class Plugin(PluginProcess):
    """The dynamic provider plugin, `python -m pulumi.dynamic`, with bags as the engine sends."""

    def __init__(self, *, provider: str, cwd: str | Path, env: Mapping[str, str] | None = None,
                 python: str = sys.executable) -> None:  # fmt: skip
        super().__init__([python, "-u", "-m", "pulumi.dynamic", "127.0.0.1:0"], cwd=cwd, env=env)
        self.provider = provider

    # ---- wire ---------------------------------------------------------------------------------
    def _struct(self, props: Props) -> Any:  # a protobuf Struct
        return _serialize({PROVIDER_KEY: self.provider, **props})

    def _opt(self, props: Props | None) -> Any:
        return None if props is None else self._struct(props)

    def _props(self, struct: Any, *, raw: bool = True) -> Bag:
        out: dict[str, Any] = _sentinel(rpc.deserialize_properties(struct, keep_unknowns=True))
        if raw:
            with self._lock:
                self.last_raw = dict(out)
        out.pop(PROVIDER_KEY, None)
        return out

    # ---- calls --------------------------------------------------------------------------------
    def configure(self, config: Mapping[str, str]) -> None:
        args, variables = _serialize(config), dict(config)
        req = pb.ConfigureRequest(args=args, variables=variables, acceptSecrets=True,
                                  acceptResources=True, sends_old_inputs=True)  # fmt: skip
        self._call("Configure", req)

    def check(
        self, olds: Props, news: Props, *, urn: str = URN
    ) -> tuple[Bag, list[tuple[str, str]]]:
        bags = {"olds": self._struct(olds), "news": self._struct(news)}
        resp = self._call("Check", pb.CheckRequest(**_meta(urn), **bags, randomSeed=os.urandom(32)))
        return self._props(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff(self, id: str, olds: Props, news: Props, *, old_inputs: Props | None = None,
             urn: str = URN) -> Diff:  # fmt: skip
        bags = {"olds": self._struct(olds), "news": self._struct(news)}
        req = pb.DiffRequest(id=id, **_meta(urn), **bags, old_inputs=self._opt(old_inputs))
        resp = self._call("Diff", req)
        changes = CHANGES.get(resp.changes, "unknown")
        return Diff(changes, list(resp.replaces), resp.deleteBeforeReplace)

    def create(
        self, properties: Props, *, preview: bool = False, urn: str = URN
    ) -> tuple[str, Bag]:
        props = self._struct(properties)
        resp = self._call(
            "Create", pb.CreateRequest(**_meta(urn), properties=props, preview=preview)
        )
        return resp.id, self._props(resp.properties)

    def read(self, id: str, properties: Props, *, inputs: Props | None = None,
             urn: str = URN) -> tuple[str, Bag, Bag | None]:  # fmt: skip
        props, ins = self._struct(properties), self._opt(inputs)
        resp = self._call("Read", pb.ReadRequest(id=id, **_meta(urn), properties=props, inputs=ins))
        new_inputs = self._props(resp.inputs, raw=False) if resp.HasField("inputs") else None
        return resp.id, self._props(resp.properties), new_inputs

    def update(self, id: str, olds: Props, news: Props, *, old_inputs: Props | None = None,
               urn: str = URN) -> Bag:  # fmt: skip
        bags = {"olds": self._struct(olds), "news": self._struct(news)}
        req = pb.UpdateRequest(id=id, **_meta(urn), **bags, old_inputs=self._opt(old_inputs))
        return self._props(self._call("Update", req).properties)

    def delete(self, id: str, properties: Props, *, old_inputs: Props | None = None,
               urn: str = URN) -> None:  # fmt: skip
        props, old = self._struct(properties), self._opt(old_inputs)
        self._call(
            "Delete", pb.DeleteRequest(id=id, **_meta(urn), properties=props, old_inputs=old)
        )
