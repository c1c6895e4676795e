#!/usr/bin/env python3
"""How near its floor can a native apply get here? The plugin beside stand-ins that do less.

    python benchmarks/apply_floor.py [--domains K] [--latency L] [--concurrency C] [--runs R]

run.py's native apply row (K Updates from C client threads at emulator latency L) for the plugin
and for three stand-in plugins, each a `ResourceProvider` on `grpc.aio` as the plugin is, started
from this file with `--serve`, whose Update answers with the news it got after:

- `wait`: sleeping L on the event loop, no HTTP: the harness, gRPC and the event loop alone;
- `urllib3`: one fixed PUT through urllib3 on a pool of 64 threads;
- `requests`: one fixed PUT through the product's client (requests) on a pool of 64 threads.

Runs interleave the four, so that a machine whose speed drifts weighs on all alike. Prints the
machine and a Markdown table: wall / floor (K x L / C) and plugin CPU per Update.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BODY = {"max_email_accounts": 60}
STAND_INS = {
    "wait": "nothing but wait the latency (harness, gRPC, event loop)",
    "urllib3": "one fixed PUT through urllib3 on 64 threads",
    "requests": "one fixed PUT through the product's client (requests) on 64 threads",
}
PLUGIN = "`pulumi-resource-qboxmail`: decode, validate, body, PUT, encode"


def serve(kind: str, latency: float) -> None:
    """A stand-in plugin: Configure and Update only; the first stdout line is its port."""
    import grpc
    import urllib3
    from pulumi.runtime.proto import provider_pb2 as pb
    from pulumi.runtime.proto import provider_pb2_grpc

    from pulumi_qboxmail.client import QboxClient
    from pulumi_qboxmail.native import wire

    pool = ThreadPoolExecutor(64)

    class StandIn(provider_pb2_grpc.ResourceProviderServicer):
        async def Configure(self, request: Any, context: Any) -> Any:
            config = wire.plain_map(request.args)
            self.client = QboxClient(config["apiToken"], config["endpoint"])
            self.urllib3 = urllib3.PoolManager(maxsize=64).connection_from_url(config["endpoint"])
            self.headers = {"X-Api-Token": config["apiToken"], "Content-Type": "application/json"}
            return pb.ConfigureResponse(acceptSecrets=True, supportsPreview=True)

        def put(self, code: str) -> None:
            if kind == "requests":
                self.client.update_domain(code, BODY)
            else:
                path, body = f"/api/domains/{code}", b'{"max_email_accounts": 60}'
                self.urllib3.request("PUT", path, body=body, headers=self.headers)

        async def Update(self, request: Any, context: Any) -> Any:
            if kind == "wait":
                await asyncio.sleep(latency)
            else:
                await asyncio.get_running_loop().run_in_executor(pool, self.put, request.id)
            return pb.UpdateResponse(properties=request.news)

    async def run() -> None:
        server = grpc.aio.server()
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandIn(), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        print(port, flush=True)
        await server.wait_for_termination()

    asyncio.run(run())


def measure(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--domains", type=int, default=320, help="Updates per run (320)")
    parser.add_argument("--latency", type=float, default=0.1, help="emulator latency (0.1 s)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent Updates (32)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each (5)")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import (
        TOKEN,
        BenchNative,
        Emulator,
        NativeSubject,
        PluginProcess,
        Secret,
        domain_code,
        machine,
        prepare_native,
        spread,
        started,
        timed_apply,
        timed_preview,
    )

    class StandIn(BenchNative):
        def __init__(self, kind: str, *, cwd: str | Path, env: dict[str, str]) -> None:
            command = [sys.executable, str(Path(__file__).resolve()), "--serve", kind]
            PluginProcess.__init__(self, [*command, str(args.latency)], cwd=cwd, env=env)

    k = args.domains
    load = os.getloadavg()[0]
    emulator = Emulator(token=TOKEN, domains=[domain_code(i) for i in range(k)])
    url = emulator.start()
    env = {key: v for key, v in os.environ.items() if not key.startswith("QBOXMAIL_")}
    native = NativeSubject({"apiToken": Secret(TOKEN), "endpoint": url}, env)
    results: dict[str, list[tuple[float, float]]] = {kind: [] for kind in [*STAND_INS, "plugin"]}
    try:
        prepare_native(native, emulator, k, k)
        with tempfile.TemporaryDirectory(prefix="qboxmail-floor-") as tmp:
            for run in range(args.runs):
                for kind in results:
                    print(f"run {run + 1}/{args.runs}: {kind}", file=sys.stderr, flush=True)
                    plugin = (
                        native.start()
                        if kind == "plugin"
                        else started(StandIn(kind, cwd=tmp, env=env), native.config)
                    )
                    try:
                        if kind == "plugin":  # as in run.py: the preview pass warms its caches
                            timed_preview(plugin, kind, native.preview_requests)
                        wall, cpu = timed_apply(
                            plugin,
                            kind,
                            native.update_requests,
                            emulator,
                            args.latency,
                            args.concurrency,
                            puts=kind != "wait",
                        )
                    finally:
                        plugin.stop()
                    results[kind].append((wall / (k * args.latency / args.concurrency), cpu))
    finally:
        emulator.stop()

    print("\n".join(machine(load)))
    print(f"- parameters: --domains {k} --latency {args.latency} --concurrency "
          f"{args.concurrency} --runs {args.runs}; floor K x L / C = "
          f"{k * args.latency / args.concurrency:.2f} s\n")  # fmt: skip
    print("| Update does | wall / floor | plugin CPU per Update |")
    print("|---|---|---|")
    for kind, runs in results.items():
        cpu_ms = statistics.median(cpu for _, cpu in runs) / k * 1e3
        ratio = spread([r for r, _ in runs])
        print(f"| {STAND_INS.get(kind, PLUGIN)} | {ratio} | {cpu_ms:.2f} ms |")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit(measure())
