#!/usr/bin/env python3
"""Engine benchmark: one program of N domains through the real Pulumi CLI, for each face.

    python benchmarks/engine.py [--sizes 100,500,1000,2000] [--faces dynamic,native]

For each face and each N, a fresh stack on a file backend goes through the steps below against
the emulator on 127.0.0.1, every domain with the same eight settings:

- `registration`: the program's own time to declare its N resources (the dynamic face times it
  inside the inline program; the YAML host does not say, so the native face shows "-");
- `preview`: preview of the new stack (N to create, nothing sent);
- `up`: N creates, exactly N PUTs (checked);
- `no-change preview`: preview of the stack just applied, which must show no change (checked).

Each step is timed by wall clock around the Automation API call, so it includes the CLI's own
start, the program and the plugin. The per-resource cost is (wall(N) - wall(0)) / N, where
wall(0) is the same step for an empty program, measured first for each face: the engine's fixed
cost, which would otherwise make small N look dear. The last table row per step and face is the
flatness: the largest per-resource cost over the smallest, for the --sizes given.

The CLI is the pinned one (`scripts/pulumi_cli.py`: on PATH, else the build in .pulumi-cli/;
`python3 dev.py cli` makes it); the native face also needs `pulumi-language-yaml` beside it and
`pulumi-resource-qboxmail` beside this interpreter (`pip install .`).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from pulumi_qboxmail import QboxDomainSettings
from pulumi_qboxmail.emulator import Emulator
from pulumi_qboxmail.model import PULUMI_NAMES

ROOT = Path(__file__).resolve().parent.parent
# The project's CLI finder, shared with dev.py, the demo and the tests; it is no test internal.
sys.path.insert(0, str(ROOT / "scripts"))
from pulumi_cli import automation_command, engine_env, find_cli  # noqa: E402

TOKEN = "bench-engine-token"
PASSPHRASE = "bench-engine"
SIZES = (100, 500, 1000, 2000)
SETTINGS: dict[str, Any] = {
    "antispam_level": 2,
    "allow_nets": ["192.0.2.0/24", "198.51.100.7"],
    "force_otp": True,
    "password_expiration": 6,
    "block_old_password": True,
    "webmail_language": "en",
    "webmail_time_format": "24h",
    "webmail_timezone": "Europe/Rome",
}
"""Every domain's settings: the fleet example's policy."""
FLAT = 1.3
"""The target: the largest per-resource cost at most this times the smallest, across N."""


def codes(n: int) -> list[str]:
    return [f"D{700_000_000 + i}" for i in range(n)]


# ---- the engine ---------------------------------------------------------------------------------
@dataclass
class Engine:
    """The CLI with its own home and file backend under `home`, and the emulator it talks to."""

    cli: Path
    home: Path
    emulator: Emulator
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        self.env = engine_env(self.cli, self.home / "backend", PASSPHRASE, base)
        (self.home / "backend").mkdir(parents=True, exist_ok=True)
        # pulumi-resource-qboxmail is a console script beside this interpreter.
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env["PATH"]])
        self.env["PULUMI_HOME"] = str(self.home / "pulumi-home")
        self.env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"

    def options(self, work: Path, **settings: Any) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            work_dir=str(work),
            pulumi_home=self.env["PULUMI_HOME"],
            pulumi_command=automation_command(self.cli),
            env_vars=self.env,
            **settings,
        )

    def configure(self, stack: auto.Stack) -> auto.Stack:
        stack.set_config("qboxmail:endpoint", auto.ConfigValue(self.emulator.url))
        stack.set_config("qboxmail:apiToken", auto.ConfigValue(TOKEN, secret=True))
        return stack


@dataclass
class Run:
    """One fresh stack of N domains, and the program's registration times (when it reports them)."""

    stack: auto.Stack
    n: int
    registrations: list[float]


# ---- the faces ----------------------------------------------------------------------------------
def dynamic_stack(engine: Engine, n: int) -> Run:
    """QboxDomainSettings from a Python program, run inline by the Automation API."""
    timings: list[float] = []

    def program() -> None:
        started = time.perf_counter()
        for code in codes(n):
            QboxDomainSettings(code.lower(), domain_code=code, **SETTINGS)
        timings.append(time.perf_counter() - started)

    project = f"bench-dynamic-{n}"
    work = engine.home / project
    work.mkdir()
    options = engine.options(work, project_settings=auto.ProjectSettings(project, "python"))
    stack = auto.create_stack("bench", project_name=project, program=program, opts=options)
    return Run(engine.configure(stack), n, timings)


def native_stack(engine: Engine, n: int) -> Run:
    """qboxmail:index:DomainSettings from a Pulumi YAML program, through the native plugin."""
    properties = {PULUMI_NAMES[name]: value for name, value in SETTINGS.items()}
    resources = {
        code.lower(): {
            "type": "qboxmail:index:DomainSettings",
            "properties": {"domainCode": code, **properties},
        }
        for code in codes(n)
    }
    project = {
        "name": f"bench-native-{n}",
        "runtime": "yaml",
        "plugins": {"providers": [{"name": "qboxmail", "path": str(Path(sys.executable).parent)}]},
        "resources": resources,
    }
    work = engine.home / f"bench-native-{n}"
    work.mkdir()
    (work / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    stack = auto.create_stack("bench", work_dir=str(work), opts=engine.options(work))
    return Run(engine.configure(stack), n, [])


@dataclass(frozen=True)
class Face:
    name: str
    what: str
    stack: Callable[[Engine, int], Run]


FACES = {
    face.name: face
    for face in (
        Face("dynamic", "QboxDomainSettings, Python inline program", dynamic_stack),
        Face("native", "qboxmail:index:DomainSettings, YAML program", native_stack),
    )
}


# ---- the steps ----------------------------------------------------------------------------------
def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def preview(engine: Engine, run: Run) -> float:
    return timed(run.stack.preview)


def up(engine: Engine, run: Run) -> float:
    engine.emulator.clear_log()
    seconds = timed(run.stack.up)
    sent = [r for r in engine.emulator.requests if r.method == "PUT"]
    if len(sent) != run.n or len(engine.emulator.requests) != run.n:
        raise SystemExit(f"up of {run.n} domains sent {len(engine.emulator.requests)} requests")
    return seconds


def unchanged_preview(engine: Engine, run: Run) -> float:
    return timed(lambda: run.stack.preview(expect_no_changes=True))


def registration(engine: Engine, run: Run) -> float | None:
    """The program's first registration pass (in the preview), when the face reports it."""
    return run.registrations[0] if run.registrations else None


STEPS: dict[str, Callable[[Engine, Run], float | None]] = {
    "preview": preview,
    "up": up,
    "no-change preview": unchanged_preview,
    "registration": registration,
}
"""Run in this order on one fresh stack; `registration` reads what the preview recorded."""


def measure(engine: Engine, face: Face, n: int) -> dict[str, float | None]:
    """Every step's wall seconds for a fresh stack of `n` domains of `face`."""
    run = face.stack(engine, n)
    try:
        return {step: call(engine, run) for step, call in STEPS.items()}
    finally:
        run.stack.workspace.remove_stack(run.stack.name, force=True)


# ---- the table ----------------------------------------------------------------------------------
Results = dict[str, dict[int, dict[str, float | None]]]
"""face -> N -> step -> wall seconds (None where the face does not report the step)."""


def per_resource(results: Results, face: str, n: int, step: str) -> float | None:
    """Milliseconds per resource above the empty program's wall time."""
    wall, floor = results[face][n][step], results[face][0][step]
    if wall is None or floor is None:
        return None
    return (wall - floor) / n * 1000


def table(results: Results, sizes: Sequence[int]) -> list[str]:
    lines = [
        "| face | step | " + " | ".join(f"N={n}" for n in sizes) + " | flatness |",
        "| --- | --- | " + " | ".join("---:" for _ in sizes) + " | ---: |",
    ]
    for face in results:
        for step in STEPS:
            costs = [per_resource(results, face, n, step) for n in sizes]
            cells = []
            for n, cost in zip(sizes, costs, strict=True):
                wall = results[face][n][step]
                cells.append(
                    "-" if cost is None or wall is None else f"{wall:.1f} s, {cost:.1f} ms"
                )
            known = [c for c in costs if c is not None and c > 0]
            flat = max(known) / min(known) if len(known) > 1 else None
            verdict = "-" if flat is None else f"{flat:.2f}x {'ok' if flat <= FLAT else 'NOT flat'}"
            lines.append(f"| {face} | {step} | " + " | ".join(cells) + f" | {verdict} |")
    return lines


def header(cli: Path, sizes: Sequence[int], faces: Sequence[str]) -> list[str]:
    return [
        f"# engine benchmark, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"Python {platform.python_version()}, pulumi SDK {metadata.version('pulumi')}, "
        f"CLI {subprocess.check_output([cli, 'version'], text=True).strip()} ({cli})",
        f"sizes: {', '.join(map(str, sizes))}; faces: {', '.join(faces)}; "
        "cells: wall time, then (wall - wall at N=0) / N per resource; "
        f"flatness: largest per-resource cost / smallest, target <= {FLAT}x",
    ]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated N")
    parser.add_argument("--faces", default=",".join(FACES), help="comma-separated faces")
    args = parser.parse_args(argv)
    sizes = sorted({int(n) for n in args.sizes.split(",")})
    faces = args.faces.split(",")
    if unknown := [f for f in faces if f not in FACES] or [n for n in sizes if n <= 0]:
        parser.error(f"unknown faces or sizes: {unknown}; faces are {', '.join(FACES)}")
    found = find_cli(build_with_go=False)
    if found.path is None:
        parser.error(f"no Pulumi CLI: {found.why()}")
    if (
        "native" in faces
        and shutil.which("pulumi-language-yaml", path=str(found.path.parent)) is None
    ):
        parser.error("no pulumi-language-yaml beside the CLI (`python3 dev.py cli` builds it)")
    print("\n".join(header(found.path, sizes, faces)), flush=True)

    results: Results = {}
    emulator = Emulator(token=TOKEN, domains=codes(max(sizes)))
    with emulator, tempfile.TemporaryDirectory(prefix="qbx-bench-") as home:
        engine = Engine(found.path, Path(home), emulator)
        for name in faces:
            results[name] = {}
            for n in (0, *sizes):
                results[name][n] = measure(engine, FACES[name], n)
                walls = results[name][n].items()
                done = ", ".join(f"{step} {wall:.1f} s" for step, wall in walls if wall is not None)
                print(f"  {name} N={n}: {done}", flush=True)
    print("\n".join(table(results, sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
