#!/usr/bin/env python3
"""The frozen plugin against the console script: size on disk, and time from start to its port.

    python benchmarks/plugin_startup.py [--runs R]

The engine starts `pulumi-resource-qboxmail` at least once per command and waits for the port it
prints on its first line: that wait is the start-up measured here, for the PyInstaller binary
(`dev.py dist`'s, frozen if not cached) and for the console script in this interpreter's
environment, interleaved so a machine whose load drifts weighs on both alike.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import dist


def time_to_port(command: Path) -> float:
    """Seconds from exec to the port line on stdout."""
    started = time.monotonic()
    proc = subprocess.Popen([str(command)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.monotonic() - started
    proc.terminate()
    proc.wait()
    if not line.strip().isdigit():
        raise SystemExit(f"{command} printed {line!r}, not a port")
    return elapsed


def installed_footprint(root: str = "pulumi-qboxmail") -> tuple[int, int]:
    """What the console script needs besides Python: its distributions and their bytes."""
    seen: set[str] = set()
    todo, total = [root], 0
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            found = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        todo += [re.split(r"[<>=!~;\s\[(]", r, maxsplit=1)[0] for r in found.requires or []
                 if "extra ==" not in r]  # fmt: skip
        for file in found.files or []:
            path = Path(str(found.locate_file(file)))
            total += path.stat().st_size if path.is_file() else 0
    return len(seen), total


def main() -> None:
    """Print the machine's load and one Markdown row per plugin."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    commands = {
        "PyInstaller binary": dist.plugin_binary(),
        "console script": Path(sys.executable).parent / dist.PLUGIN,
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(time_to_port(command))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {runs} runs each")
    count, size = installed_footprint()
    frozen = commands["PyInstaller binary"].stat().st_size
    sizes = {
        "PyInstaller binary": f"{frozen / 1e6:.1f} MB, no Python",
        "console script": f"Python + {count} distributions, {size / 1e6:.1f} MB",
    }
    print("| plugin | needs | start to port, median | min |")
    print("| --- | --- | --- | --- |")
    for name in commands:
        median = statistics.median(times[name])
        print(f"| {name} | {sizes[name]} | {median:.2f} s | {min(times[name]):.2f} s |")


if __name__ == "__main__":
    main()
