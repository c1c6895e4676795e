"""The native provider plugin `pulumi-resource-qboxmail`: the engine's transport over `core`.

A resource here is its inputs, its state and its lifecycle methods. What a setting means lives
in `core`; how a value crosses the wire lives in `wire`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import grpc
from pulumi.provider.experimental import provider as px
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import provider_pb2_grpc

from . import core, wire
from .config import OPTIONS, ApiAccess
from .errors import NotFoundError, QboxError
from .model import PULUMI_NAMES
from .schema import PACKAGE, TOKEN, schema_json, version

DIFF_NONE, DIFF_SOME = pb.DiffResponse.DIFF_NONE, pb.DiffResponse.DIFF_SOME
HTTP_THREADS = 64
"""Blocking HTTP runs here, off the event loop; the default executor has only cores + 4."""

_T = TypeVar("_T")
_Handler = TypeVar("_Handler", bound=Callable[..., Awaitable[Any]])


def _in_schema_words(handler: _Handler) -> _Handler:
    """Errors leave the plugin naming fields as the user wrote them: `domainCode`, not the API's."""

    @functools.wraps(handler)
    async def speak(*args: Any) -> Any:
        try:
            return await handler(*args)
        except QboxError as exc:
            raise QboxError(wire.schema_words(str(exc))) from None

    return cast(_Handler, speak)


def _config(values: Mapping[str, Any]) -> dict[str, Any]:
    """Provider config keyed as `config.Option.lookup` reads it (`qboxmail:<key>`)."""
    return {f"qboxmail:{key}": value for key, value in values.items() if value is not None}


class QboxmailProvider(px.Provider):
    """Serves `qboxmail:index:DomainSettings` to any Pulumi language and to `pulumi import`."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._access = ApiAccess(None, self._environ)
        self._pool = ThreadPoolExecutor(HTTP_THREADS, thread_name_prefix="qboxmail-http")

    async def _http(self, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    # ---- provider --------------------------------------------------------------------------------
    async def get_schema(self, request: px.GetSchemaRequest) -> px.GetSchemaResponse:
        return px.GetSchemaResponse(schema=schema_json())

    async def check_config(self, request: px.CheckRequest) -> px.CheckResponse:
        known = {option.key for option in OPTIONS}
        # The engine adds `version` to a default provider's config; it is not ours to refuse.
        given = {k: wire.plain(v) for k, v in request.new_inputs.items() if k in known}
        failures = []
        problem = ApiAccess(_config(given), self._environ).problem
        if problem is not None:
            key = problem.key.removeprefix("qboxmail:")
            failures.append(px.CheckFailure(key, problem.problem))
        return px.CheckResponse(inputs=dict(request.new_inputs), failures=failures)

    async def diff_config(self, request: px.DiffRequest) -> px.DiffResponse:
        # Left unanswered, the engine may replace the provider on a config change, and with it
        # every domain: a timeout or token change is an update of the provider, nothing more.
        olds = {k: wire.plain(v) for k, v in request.old_state.items()}
        news = {k: wire.plain(v) for k, v in request.new_inputs.items()}
        # The SDK's DiffConfig copies `changes` into the enum unmapped (True would read as
        # DIFF_NONE), so it gets the enum's own values.
        changes = DIFF_SOME if olds != news else DIFF_NONE
        return px.DiffResponse(changes=changes, replaces=[])  # type: ignore[arg-type]

    async def configure(self, request: px.ConfigureRequest) -> px.ConfigureResponse:
        # Default providers send config both ways; args keep the secret flags and the types.
        given = {k: wire.plain(v) for k, v in request.args.items()} or {
            k.removeprefix(f"{PACKAGE}:config:"): v for k, v in request.variables.items()
        }
        self._access = ApiAccess(_config(given), self._environ)
        return px.ConfigureResponse(accept_secrets=True, supports_preview=True)

    # ---- DomainSettings ----------------------------------------------------------------------
    async def check(self, request: px.CheckRequest) -> px.CheckResponse:
        _expect_our_type(request.urn)
        self._access.raise_problem()
        news = wire.decode(request.new_inputs)
        checked = core.check(news.values)
        failures = [px.CheckFailure(*wire.stranger(name)) for name in news.strangers]
        failures += [px.CheckFailure(*wire.failure(error)) for error in checked.failures]
        inputs = wire.encode(checked.inputs, news.secret, request.new_inputs)
        return px.CheckResponse(inputs=inputs, failures=failures)

    async def diff(self, request: px.DiffRequest) -> px.DiffResponse:
        olds = wire.decode(request.old_state).values
        news = wire.decode(request.new_inputs).values
        changes = core.diff(olds, news)
        detail = {}
        for name in changes.changed:
            kind = (
                px.PropertyDiffKind.ADD
                if name not in olds
                else px.PropertyDiffKind.DELETE
                if name not in news
                else px.PropertyDiffKind.UPDATE
            )
            if name in changes.replaces:
                kind = px.PropertyDiffKind[f"{kind.name}_REPLACE"]
            detail[PULUMI_NAMES[name]] = px.PropertyDiff(kind, input_diff=False)
        return px.DiffResponse(
            changes=bool(changes.changed),
            replaces=[PULUMI_NAMES[name] for name in changes.replaces],
            delete_before_replace=False,
            detailed_diff=detail,
        )

    @_in_schema_words
    async def create(self, request: px.CreateRequest) -> px.CreateResponse:
        news = wire.decode(request.properties)
        if request.preview:
            code = news.values.get("domain_code")
            return px.CreateResponse(
                resource_id=code if isinstance(code, str) else "",
                properties=wire.encode(news.values, news.secret, request.properties),
            )
        new = core.canonical(news.values)
        code = new["domain_code"]
        body = core.request_body(None, new)
        await self._http(lambda: self._access.client().update_domain(code, body))
        outs = wire.encode(new, news.secret, request.properties)
        return px.CreateResponse(resource_id=code, properties=outs)

    @_in_schema_words
    async def update(self, request: px.UpdateRequest) -> px.UpdateResponse:
        news = wire.decode(request.news)
        if request.preview:
            return px.UpdateResponse(properties=wire.encode(news.values, news.secret, request.news))
        new = core.canonical(news.values)
        body = core.request_body(wire.decode(request.olds).values, new)
        if body:
            code = new["domain_code"]
            await self._http(lambda: self._access.client().update_domain(code, body))
        return px.UpdateResponse(properties=wire.encode(new, news.secret, request.news))

    @_in_schema_words
    async def read(self, request: px.ReadRequest) -> px.ReadResponse:
        code = request.resource_id
        stored = wire.decode(request.properties)
        importing = not request.properties and not request.inputs
        try:
            live = await self._http(lambda: self._access.client().get_domain(code))
        except NotFoundError:
            if importing:
                raise  # an import of nothing must fail, not adopt an empty state
            return px.ReadResponse(resource_id="", properties={}, inputs={})
        if importing:
            adopted = wire.encode(core.adopt(code, live))
            return px.ReadResponse(resource_id=code, properties=adopted, inputs=adopted)
        outs = wire.encode(core.overlay(stored.values, live), stored.secret)
        return px.ReadResponse(resource_id=code, properties=outs, inputs=outs)

    async def delete(self, request: px.DeleteRequest) -> None:
        """Leave the live domain as it is: the stack only stops managing its settings."""


def _expect_our_type(urn: str) -> None:
    kind = urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""
    if kind != TOKEN:
        raise QboxError(f"the qboxmail provider has no resource type {kind!r}; it has {TOKEN}")


_RPCS = ("CheckConfig", "DiffConfig", "Configure", "Check", "Diff", "Create", "Read", "Update",
         "Delete")  # fmt: skip
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024)]


class _Servicer(ProviderServicer):
    """The SDK's servicer, except that a failure reaches the engine as its message alone."""


def _message_only(rpc: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def call(self: _Servicer, request: Any, context: Any) -> Any:
        try:
            return await rpc(self, request, context)
        except Exception as exc:
            # The SDK appends ":\n" and a Python traceback to every message; the engine would
            # print it all. The user needs the message; the traceback goes to the plugin's
            # stderr, which the engine shows with -v.
            text = str(exc)
            print(text, file=sys.stderr, flush=True)
            await context.abort(grpc.StatusCode.UNKNOWN, text.split(':\n  File "', 1)[0])

    return call


for _rpc in _RPCS:
    setattr(_Servicer, _rpc, _message_only(getattr(ProviderServicer, _rpc)))


def main() -> None:
    """Console script: serve the plugin; the first stdout line is the port, as the engine needs."""
    # The engine runs `[--logtostderr] [-v=N] [--tracing URL] <engine address>`.
    parser = argparse.ArgumentParser(prog="pulumi-resource-qboxmail")
    parser.add_argument("engine", nargs="?", default="")
    parser.add_argument("--tracing")
    engine = parser.parse_known_args()[0].engine

    async def serve() -> None:
        server = grpc.aio.server(options=_GRPC_OPTIONS)
        servicer = _Servicer(sys.argv, version(), QboxmailProvider(), engine_address=engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        sys.stdout.write(f"{port}\n")
        sys.stdout.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
