"""The native provider plugin `pulumi-resource-qboxmail`: the engine's transport over `core`.

`QboxmailProvider` is the provider's config and its one resource, `DomainSettings`: its inputs,
its state and its lifecycle methods, in core terms. `_Servicer` is the gRPC face the engine
calls; what a setting means lives in `core`, how a value crosses the wire in `wire`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, plugin_pb2, provider_pb2_grpc
from pulumi.runtime.proto import provider_pb2 as pb

from .. import claims, core
from ..config import OPTIONS, PREFIX, ApiAccess, check_settings
from ..errors import NotFoundError, QboxError
from ..model import ID_FIELD, PULUMI_NAMES
from ..naming import PACKAGE, RESOURCE, TOKEN
from . import wire
from .schema import schema_json, version

HTTP_THREADS = 64
"""Blocking HTTP runs here, off the event loop; the default executor has only cores + 4."""

_T = TypeVar("_T")
_KIND = {  # (absent from the olds, absent from the news) -> how the property changed
    (False, False): pb.PropertyDiff.UPDATE,
    (True, False): pb.PropertyDiff.ADD,
    (False, True): pb.PropertyDiff.DELETE,
}
_REPLACE_KIND = {
    pb.PropertyDiff.UPDATE: pb.PropertyDiff.UPDATE_REPLACE,
    pb.PropertyDiff.ADD: pb.PropertyDiff.ADD_REPLACE,
    pb.PropertyDiff.DELETE: pb.PropertyDiff.DELETE_REPLACE,
}


SECRET_OPTIONS = frozenset(option.key for option in OPTIONS if option.secret)


def _config(values: Mapping[str, Any]) -> dict[str, Any]:
    """Provider config keyed as `config.Option.lookup` reads it (`qboxmail:<key>`)."""
    return {f"{PREFIX}{key}": value for key, value in values.items() if value is not None}


class QboxmailProvider:
    """Serves `qboxmail:index:DomainSettings` to any Pulumi language and to `pulumi import`."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._access = ApiAccess(None, self._environ)
        self._pool = ThreadPoolExecutor(HTTP_THREADS, thread_name_prefix="qboxmail-http")
        # One plugin process serves one engine run: only resources still in the program call
        # Check, so a renamed (aliased), replaced or deleted resource leaves no stale claim.
        self._claims = claims.Claims()

    async def _http(self, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    # ---- provider --------------------------------------------------------------------------------
    def check_config(self, news: Mapping[str, Any]) -> list[tuple[str, str]]:
        failures = []
        for problem in check_settings(_config(news), self._environ):
            key = problem.key.removeprefix(PREFIX)
            # The engine prints a failed property's value beside it: a secret, or an endpoint
            # holding credentials, goes unnamed so that only our redacted reason is shown.
            hidden = key in SECRET_OPTIONS or "@" in str(news.get(key, ""))
            failures.append(("", f"{key} {problem.problem}") if hidden else (key, problem.problem))
        return failures

    def configure(self, given: Mapping[str, Any]) -> None:
        self._access = ApiAccess(_config(given), self._environ)

    # ---- DomainSettings --------------------------------------------------------------------------
    def check(self, urn: str, news: wire.Decoded) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        _expect_our_type(urn)
        self._access.raise_problem()
        checked = core.check(news.values, news.secret)
        failures = [wire.stranger(name) for name in news.strangers]
        failures += [wire.failure(error) for error in checked.failures]
        if not any(error.field == claims.FIELD for error in checked.failures):
            code = checked.inputs.get(claims.FIELD)
            failures += map(wire.failure, self._claims.claim(code, urn, _name(urn)))
        return checked.inputs, failures

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> core.Changes:
        return core.diff(olds, news)

    async def create(
        self, news: Mapping[str, Any], preview: bool, secret: frozenset[str] = frozenset()
    ) -> tuple[str, dict[str, Any]]:
        if preview:
            code = news.get(ID_FIELD)
            return (code if isinstance(code, str) else ""), dict(news)
        new = await self._write(None, news, secret)
        return new[ID_FIELD], new

    async def update(
        self,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        preview: bool,
        secret: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        return dict(news) if preview else await self._write(olds, news, secret)

    async def _write(
        self, olds: Mapping[str, Any] | None, news: Mapping[str, Any], secret: frozenset[str]
    ) -> dict[str, Any]:
        new, body = core.write(olds, news, secret)
        if body is not None:
            code = new[ID_FIELD]
            await self._http(lambda: self._access.client().update_domain(code, body))
        return new

    async def read(self, code: str, stored: Mapping[str, Any]) -> dict[str, Any] | None:
        """Refreshed outputs, or None if the domain is gone."""
        try:
            live = await self._http(lambda: self._access.client().get_domain(code))
        except NotFoundError:
            return None
        return core.overlay(stored, live)

    async def adopt(self, code: str) -> core.Adopted:
        """An import: the domain as it is, without the values the rules refuse."""
        # A missing domain raises: an import of nothing must fail, not adopt an empty state.
        live = await self._http(lambda: self._access.client().get_domain(code))
        return core.adopt(code, live)

    def delete(self) -> None:
        """Leave the live domain as it is: the stack only stops managing its settings."""


def _name(urn: str) -> str:
    """The resource's name as the program wrote it: the URN's last part."""
    return urn.split("::", 3)[-1]


def _expect_our_type(urn: str) -> None:
    kind = urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""
    if kind != TOKEN:
        raise QboxError(f"the qboxmail provider has no resource type {kind!r}; it has {TOKEN}")


_Rpc = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]


def _message_only(rpc: _Rpc) -> _Rpc:
    """A failure reaches the engine as its message alone, fields named as the user wrote them."""

    async def call(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await rpc(self, request, context)
        except QboxError as exc:
            text = exc.render(wire.NAMES)
        except Exception as exc:
            # Not ours to phrase: the traceback goes to the plugin's stderr (the engine shows
            # it with -v), the message to the user.
            traceback.print_exc()
            text = str(exc) or type(exc).__name__
        print(text, file=sys.stderr, flush=True)
        await context.abort(grpc.StatusCode.UNKNOWN, text)

    return call


class _Engine:
    """The engine's own log, where a warning shows beside the resource it concerns."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._stub: engine_pb2_grpc.EngineStub | None = None

    async def warn(self, urn: str, message: str) -> None:
        if self._address:
            if self._stub is None:
                self._stub = engine_pb2_grpc.EngineStub(grpc.aio.insecure_channel(self._address))
            request = engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn=urn)
            with contextlib.suppress(grpc.RpcError):
                await self._stub.Log(request, timeout=10)
                return
        # No engine to tell (a test harness, the plugin run by hand): stderr is read there.
        print(f"warning: {message}", file=sys.stderr, flush=True)


class _Servicer(provider_pb2_grpc.ResourceProviderServicer):
    """The engine's `ResourceProvider` calls, translated by `wire` to and from the provider."""

    def __init__(self, provider: QboxmailProvider, engine: str = "") -> None:
        self._provider = provider
        self._engine = _Engine(engine)

    async def GetPluginInfo(self, request: empty_pb2.Empty, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=version())

    async def GetSchema(self, request: pb.GetSchemaRequest, context: Any) -> pb.GetSchemaResponse:
        return pb.GetSchemaResponse(schema=schema_json())

    @_message_only
    async def CheckConfig(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        failures = self._provider.check_config(wire.plain_map(request.news))
        # The engine stores these inputs in the state: a secret setting goes back secret, so
        # it is encrypted there even when the user set it without --secret.
        return pb.CheckResponse(
            inputs=wire.with_secrets(request.news, SECRET_OPTIONS),
            failures=[pb.CheckFailure(property=k, reason=r) for k, r in failures],
        )

    @_message_only
    async def DiffConfig(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        # Left unanswered, the engine may replace the provider on a config change, and with it
        # every domain: a timeout or token change is an update of the provider, nothing more.
        changed = wire.plain_map(request.olds) != wire.plain_map(request.news)
        return pb.DiffResponse(
            changes=pb.DiffResponse.DIFF_SOME if changed else pb.DiffResponse.DIFF_NONE
        )

    @_message_only
    async def Configure(self, request: pb.ConfigureRequest, context: Any) -> pb.ConfigureResponse:
        # Default providers send config both ways; args keep the secret flags and the types.
        given = wire.plain_map(request.args) or {
            k.removeprefix(f"{PACKAGE}:config:"): v for k, v in request.variables.items()
        }
        self._provider.configure(given)
        return pb.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

    @_message_only
    async def Check(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        news = wire.decode(request.news)
        inputs, failures = self._provider.check(request.urn, news)
        return pb.CheckResponse(
            inputs=wire.encode(inputs, news.secret),
            failures=[pb.CheckFailure(property=k, reason=r) for k, r in failures],
        )

    @_message_only
    async def Diff(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        olds = wire.decode(request.olds).values
        news = wire.decode(request.news).values
        changes = self._provider.diff(olds, news)
        detail = {}
        for name in changes.changed:
            kind = _KIND[name not in olds, name not in news]
            if name in changes.replaces:
                kind = _REPLACE_KIND[kind]
            detail[PULUMI_NAMES[name]] = pb.PropertyDiff(kind=kind, inputDiff=False)
        return pb.DiffResponse(
            changes=pb.DiffResponse.DIFF_SOME if changes.changed else pb.DiffResponse.DIFF_NONE,
            replaces=[PULUMI_NAMES[name] for name in changes.replaces],
            diffs=list(detail),
            detailedDiff=detail,
            hasDetailedDiff=True,
        )

    @_message_only
    async def Create(self, request: pb.CreateRequest, context: Any) -> pb.CreateResponse:
        news = wire.decode(request.properties)
        code, outs = await self._provider.create(news.values, request.preview, news.secret)
        return pb.CreateResponse(id=code, properties=wire.encode(outs, news.secret))

    @_message_only
    async def Update(self, request: pb.UpdateRequest, context: Any) -> pb.UpdateResponse:
        news = wire.decode(request.news)
        olds = wire.decode(request.olds).values
        outs = await self._provider.update(olds, news.values, request.preview, news.secret)
        return pb.UpdateResponse(properties=wire.encode(outs, news.secret))

    @_message_only
    async def Read(self, request: pb.ReadRequest, context: Any) -> pb.ReadResponse:
        stored = wire.decode(request.properties)
        if not request.properties.fields and not request.inputs.fields:  # an import
            adopted = await self._provider.adopt(request.id)
            for name, reason in map(wire.failure, adopted.left_out):
                await self._engine.warn(
                    request.urn,
                    f"{RESOURCE} {request.id}: the import leaves {name} unmanaged, as the live "
                    f"value breaks its rule: {reason}",
                )
            outs: dict[str, Any] | None = adopted.inputs
        else:
            outs = await self._provider.read(request.id, stored.values)
        if outs is None:
            return pb.ReadResponse(id="")
        props = wire.encode(outs, stored.secret)
        return pb.ReadResponse(id=request.id, properties=props, inputs=props)

    @_message_only
    async def Delete(self, request: pb.DeleteRequest, context: Any) -> empty_pb2.Empty:
        self._provider.delete()
        return empty_pb2.Empty()

    async def Cancel(self, request: empty_pb2.Empty, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()


_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024)]
ENGINE_CHECK_SECONDS = 5.0
"""How often the plugin asks its engine whether it still runs. A dead engine's port refuses at
once, so the plugin exits within about this long of its death; each question costs about 3 ms of
CPU (benchmarks/README.md, Findings)."""
_HEALTH_CHECK = "/grpc.health.v1.Health/Check"
_ALIVE = (grpc.StatusCode.OK, grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.DEADLINE_EXCEEDED)


async def watch_engine(address: str, every: float = ENGINE_CHECK_SECONDS) -> None:
    """Return once the engine at `address` has answered and then stopped answering.

    Like the Go provider SDK (`rpcutil.Healthcheck`), it asks gRPC's standard health service,
    an engine without one (UNIMPLEMENTED) counts as alive, and any other failure ends the watch,
    except a slow answer: that is a busy engine, not a dead one. Until the engine has answered
    once, nothing is watched, so a harness that passes an address where no engine listens keeps
    its plugin, with no flag for anyone to set or forget.
    """
    async with grpc.aio.insecure_channel(address) as channel:
        # An empty HealthCheckRequest, sent as raw bytes: only whether it is answered counts.
        check = channel.unary_unary(_HEALTH_CHECK)
        seen = False
        while True:
            try:
                await check(b"", timeout=2 * every)
                status = grpc.StatusCode.OK
            except grpc.aio.AioRpcError as exc:
                status = exc.code()
            if status in _ALIVE:
                seen = True
            elif seen:
                return
            await asyncio.sleep(every)


def main() -> None:
    """Console script: serve the plugin; the first stdout line is the port, as the engine needs.

    The plugin exits with its engine (`watch_engine`); `--engine-check-seconds` shortens the
    watch's pace for tests only.
    """
    # The engine runs `[--logtostderr] [-v=N] [--tracing URL] <engine address>`.
    parser = argparse.ArgumentParser(prog="pulumi-resource-qboxmail")
    parser.add_argument("engine", nargs="?", default="")
    parser.add_argument("--tracing")
    parser.add_argument("--engine-check-seconds", type=float, default=ENGINE_CHECK_SECONDS)
    args, _ = parser.parse_known_args()

    async def serve() -> None:
        server = grpc.aio.server(options=_GRPC_OPTIONS)
        servicer = _Servicer(QboxmailProvider(), args.engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        if not args.engine:
            await server.wait_for_termination()
            return
        watch = asyncio.ensure_future(watch_engine(args.engine, args.engine_check_seconds))
        serving = asyncio.ensure_future(server.wait_for_termination())
        await asyncio.wait({watch, serving}, return_when=asyncio.FIRST_COMPLETED)
        if watch.done() and watch.exception() is None:
            # The engine is gone, and with it whoever would read an answer or record a result:
            # leave now, without a word on its closed pipes and without waiting for the HTTP
            # threads, so no retry goes out after the deployment has ended.
            os._exit(0)
        await serving  # a watch that failed on its own must not take the plugin down with it

    # The engine interrupts a plugin it is done with and kills its process group 5 s later. The
    # plugin writes nothing that needs flushing, so it leaves at once: a slow asyncio and gRPC
    # teardown on a loaded machine would otherwise meet that kill, and a frozen build's
    # bootloader could then never remove its unpacked copy from TMPDIR.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: os._exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
