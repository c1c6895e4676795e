"""The native plugin's engine watch, idle: CPU with and without an engine to watch.

Three `pulumi-resource-qboxmail` processes sit idle side by side for the same seconds: one given
no engine address (no watch), one given the address the test harnesses and the other benchmarks
give, where no engine ever answers, and one watching a fake engine that answers gRPC's health
checks, as the CLI does. CPU is the kernel's count of each process's user and system time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from native_plugin import EXECUTABLE, FakeEngine
from pulumi_qboxmail.native.server import ENGINE_CHECK_SECONDS


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=120.0, help="idle time measured (120)")
    pace_help = f"seconds between checks (the plugin's default, {ENGINE_CHECK_SECONDS})"
    parser.add_argument("--pace", type=float, default=ENGINE_CHECK_SECONDS, help=pace_help)
    args = parser.parse_args(argv)
    engine = FakeEngine()
    pace = ["--engine-check-seconds", str(args.pace)]
    modes = {
        "no engine address (no watch)": [],
        "127.0.0.1:0, where no engine answers (harnesses, benchmarks)": ["127.0.0.1:0", *pace],
        "an engine that answers (the CLI)": [engine.address, *pace],
    }
    out, err = subprocess.PIPE, subprocess.DEVNULL
    plugins = {
        mode: subprocess.Popen([str(EXECUTABLE), *extra], stdout=out, stderr=err)
        for mode, extra in modes.items()
    }
    try:
        for plugin in plugins.values():
            assert plugin.stdout is not None
            plugin.stdout.readline()  # its port: it serves
        time.sleep(min(3.0, args.seconds))  # past start-up and the first checks
        before = {mode: cpu_seconds(plugin.pid) for mode, plugin in plugins.items()}
        checks = engine.checks
        time.sleep(args.seconds)
        used = {mode: cpu_seconds(plugin.pid) - before[mode] for mode, plugin in plugins.items()}
        checks = engine.checks - checks
    finally:
        for plugin in plugins.values():
            plugin.kill()
            plugin.wait()
        engine.stop()
    print(f"Idle for {args.seconds:.0f} s, checks every {args.pace:g} s; "
          f"{checks} health checks answered.\n")  # fmt: skip
    print("| plugin started with | CPU | CPU per second | share of one core |")
    print("|---|---|---|---|")
    for mode, seconds in used.items():
        share = seconds / args.seconds
        print(f"| {mode} | {seconds * 1000:.0f} ms | {share * 1000:.2f} ms | {share:.3%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
