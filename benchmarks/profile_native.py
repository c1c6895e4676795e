#!/usr/bin/env python3
"""Where the native plugin's CPU goes: cProfile inside the real plugin process, on thread CPU time.

    python benchmarks/profile_native.py [--domains N] [--pass preview|apply] [--top T]
                                        [--apply-domains K] [--latency L] [--concurrency C]

Starts `pulumi-resource-qboxmail`'s own `main()` under cProfile (this file, run with `--serve`),
drives it over gRPC with run.py's requests (preview: Check + Diff of an unchanged stack from 4
client threads; apply: K Updates from C client threads at emulator latency L), then prints the
top functions of the event-loop thread (gRPC, the SDK's marshalling, the provider's handlers) and
of the HTTP pool threads (requests), by cumulative thread CPU time. cProfile's own overhead
inflates every figure about 2x: read the shares, not the seconds. Uses only the standard library.
Two artefacts: the idle pool workers' `SimpleQueue.get` is closed out at dump time on another
thread's clock (ignore it), and the apply pass runs on a cold email-rule cache, which run.py's
preview pass warms first.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PROFILE_ENV = "QBOXMAIL_BENCH_PROFILE"
"""Where the served plugin writes its profiles: `<path>.loop` and `<path>.http`."""


def serve(argv: Sequence[str]) -> None:
    """The plugin's `main()` under cProfile; the profiles are written on SIGTERM."""
    from concurrent.futures import ThreadPoolExecutor

    import pulumi_qboxmail.native.server as native

    out = os.environ[PROFILE_ENV]
    loop = cProfile.Profile(time.thread_time)
    http: list[cProfile.Profile] = []
    lock = threading.Lock()

    class ProfiledPool(ThreadPoolExecutor):
        """The plugin's HTTP pool, each worker thread under its own profile."""

        def __init__(self, workers: int, **options: Any) -> None:
            def start() -> None:
                profile = cProfile.Profile(time.thread_time)
                with lock:
                    http.append(profile)
                profile.enable()

            super().__init__(workers, initializer=start, **options)

    def stop(*_: object) -> None:
        loop.disable()
        loop.dump_stats(f"{out}.loop")
        with lock:
            profiles = list(http)
        if profiles:
            stats = pstats.Stats(profiles[0])
            for profile in profiles[1:]:
                stats.add(profile)
            stats.dump_stats(f"{out}.http")
        os._exit(0)

    native.ThreadPoolExecutor = ProfiledPool  # type: ignore[misc]
    signal.signal(signal.SIGTERM, stop)
    sys.argv = ["pulumi-resource-qboxmail", *argv]
    loop.enable()
    native.main()


def profile(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile the native plugin process.")
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--pass", dest="which", choices=("preview", "apply"), default="apply")
    parser.add_argument("--apply-domains", type=int, default=320)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--top", type=int, default=30, help="functions shown per thread group")
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
        prepare_native,
        timed_apply,
        timed_preview,
    )

    class ProfiledNative(BenchNative):
        def __init__(self, *, cwd: str | Path, env: dict[str, str] | None = None) -> None:
            command = [sys.executable, str(Path(__file__).resolve()), "--serve", "127.0.0.1:0"]
            PluginProcess.__init__(self, command, cwd=cwd, env=env)

    n = args.domains
    emulator = Emulator(token=TOKEN, domains=[domain_code(i) for i in range(n)])
    url = emulator.start()
    with tempfile.TemporaryDirectory(prefix="qboxmail-profile-") as tmp:
        out = str(Path(tmp) / "native")
        env = {k: v for k, v in os.environ.items() if not k.startswith("QBOXMAIL_")}
        native = NativeSubject({"apiToken": Secret(TOKEN), "endpoint": url}, env)
        try:
            prepare_native(native, emulator, n, args.apply_domains)
            plugin = ProfiledNative(cwd=tmp, env={**env, PROFILE_ENV: out})
            plugin.start()
            try:
                plugin.configure(native.config)
                if args.which == "preview":
                    timed_preview(plugin, "native", native.preview_requests)
                else:
                    requests = native.update_requests
                    timed_apply(
                        plugin, "native", requests, emulator, args.latency, args.concurrency
                    )
            finally:
                plugin.stop()
        finally:
            emulator.stop()
        for part, title in (("loop", "event-loop thread"), ("http", "HTTP pool threads")):
            path = Path(f"{out}.{part}")
            if path.exists():
                print(f"## {title} ({args.which} pass)", flush=True)
                pstats.Stats(str(path)).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2:])
    else:
        sys.exit(profile())
