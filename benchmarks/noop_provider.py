"""The engine's floor: a provider plugin that serves qboxmail's schema and does nothing else.

`benchmarks/engine.py` runs the same YAML program through it and through
`pulumi-resource-qboxmail`; what the real plugin costs above this one is what the project adds to
what Pulumi costs anyway. Check returns its inputs, Diff compares olds and news as they come,
Create, Update and Read wait the API latency (`QBX_NOOP_LATENCY` seconds, the emulator's) and
return what they were given. The schema is the package's own (`pulumi_qboxmail.schema`), so the
YAML host type-checks the program exactly as it does for the real plugin.

Run by the engine as `pulumi-resource-qboxmail` from a directory `engine.py` makes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2_grpc
from pulumi.runtime.proto import provider_pb2 as pb

from pulumi_qboxmail.schema import schema_json, version

LATENCY = float(os.environ.get("QBX_NOOP_LATENCY", "0"))


class NoopProvider(provider_pb2_grpc.ResourceProviderServicer):
    async def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=version())

    async def GetSchema(self, request: Any, context: Any) -> pb.GetSchemaResponse:
        return pb.GetSchemaResponse(schema=schema_json())

    async def CheckConfig(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        return pb.CheckResponse(inputs=request.news)

    async def DiffConfig(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        return pb.DiffResponse(changes=pb.DiffResponse.DIFF_NONE)

    async def Configure(self, request: Any, context: Any) -> pb.ConfigureResponse:
        return pb.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

    async def Check(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        return pb.CheckResponse(inputs=request.news)

    async def Diff(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        same = request.olds == request.news
        return pb.DiffResponse(
            changes=pb.DiffResponse.DIFF_NONE if same else pb.DiffResponse.DIFF_SOME
        )

    async def Create(self, request: pb.CreateRequest, context: Any) -> pb.CreateResponse:
        code = request.properties.fields["domainCode"].string_value
        if not request.preview:
            await asyncio.sleep(LATENCY)
        return pb.CreateResponse(id=code, properties=request.properties)

    async def Update(self, request: pb.UpdateRequest, context: Any) -> pb.UpdateResponse:
        if not request.preview:
            await asyncio.sleep(LATENCY)
        return pb.UpdateResponse(properties=request.news)

    async def Read(self, request: pb.ReadRequest, context: Any) -> pb.ReadResponse:
        await asyncio.sleep(LATENCY)  # the real plugin's one GET
        return pb.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    async def Delete(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    async def Cancel(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()


async def serve() -> None:
    server = grpc.aio.server()
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(NoopProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(serve())
