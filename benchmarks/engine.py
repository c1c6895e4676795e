#!/usr/bin/env python3
"""Engine benchmark: N domains through the real Pulumi CLI, per face, against the engine's floor.

    python3 dev.py bench-engine [--quick] [--sizes 100,250] [--faces floor,native,dynamic]
    python benchmarks/engine.py [same options]                # in a ready venv, CLI on PATH

For each N, one fresh stack per face goes through four steps, interleaved across the faces step
by step (so a change in the machine's load weighs on every face alike), against the emulator on
127.0.0.1 at `--latency` seconds per request, every domain with the same eight settings:

- `preview`: preview of the new stack (N to create, nothing sent);
- `up`: `pulumi up --yes --skip-preview` (the Automation API's up): N creates, exactly N PUTs;
- `no-change preview`: preview of the stack just applied, which must show no change;
- `refresh`: `pulumi refresh --yes --skip-preview`: exactly N GETs, no drift.

The faces: `floor`, the same YAML program through `benchmarks/noop_provider.py` (the package's
schema, and nothing else but waiting the latency); `native`, qboxmail:index:DomainSettings from
YAML through `pulumi-resource-qboxmail`; `dynamic`, QboxDomainSettings from a Python inline
program. Every face is reported as a ratio to the floor of the same N and step.

The knobs, at `--knob-sizes` (500 and 1,000): `up` of a fresh stack with `--parallel` 8, 32 and
64 (the CLI's default is 8 on 2 cores), and with `PULUMI_SKIP_CHECKPOINTS=true` at every N.

Each cell: wall time; CPU of every process (this one, where the dynamic face's program runs,
the CLI, the language host and the plugins, from /proc: our own utime+stime and that of the
children the CLI reaped; the emulator runs in a process of its own and is not counted); the
plugin's CPU (sampled from /proc/<pid>/stat every 50 ms while it runs); and the 1-minute load
average when the step began. A full run keeps the figures in benchmarks/engine.json (written
after every stack) and draws `up` wall time against N in benchmarks/engine.png (matplotlib: the
`bench` extra); `--from-json FILE --plot PNG` prints the table and draws the plot from kept
figures without running anything.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from multiprocessing.connection import Connection
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
SIZES = (100, 250, 500, 1000, 2000)
KNOB_SIZES = (500, 1000)
PARALLEL = (8, 32, 64)
QUICK = {"sizes": "5", "knob_sizes": "", "parallel": ""}
"""`--quick`: every face, step and skipped checkpoints on a tiny stack, for CI (no figure means
much; `--parallel` is the same code path with one more flag)."""
LATENCY = 0.02
TARGET = 1.1
"""Native `up` and no-change preview at most this times the floor's."""
SETTINGS: dict[str, Any] = {
    "antispam_level": 2,
    "allow_nets": ["192.0.2.0/24", "198.51.100.7"],
    "force_otp": True,
    "password_expiration": 6,
    "block_old_password": True,
    "webmail_language": "en",
    "webmail_timezone": "Europe/Rome",
    "webmail_time_format": "24h",
}
"""Every domain's settings: the fleet example's policy."""
NOOP = Path(__file__).resolve().parent / "noop_provider.py"
FIGURES = NOOP.parent / "engine.json"
PLOT = NOOP.parent / "engine.png"
"""Where a full run keeps its figures and its plot (`--quick` keeps neither unless told)."""
PLUGINS = ("pulumi-resource-qboxmail", "pulumi.dynamic", "pulumi-resource-pulumi-python")
"""What a plugin's command line holds (the floor runs as `pulumi-resource-qboxmail` too)."""


def codes(n: int) -> list[str]:
    return [f"D{700_000_000 + i}" for i in range(n)]


# ---- the emulator, in a process of its own so that its CPU is not counted --------------------
def _serve_emulator(conn: Connection, domains: int, latency: float) -> None:
    emulator = Emulator(token=TOKEN, domains=codes(domains))
    emulator.latency = latency
    with emulator:
        conn.send(emulator.url)
        while (command := conn.recv()) != "stop":
            if command == "clear":
                emulator.clear_log()
                conn.send(None)
            else:
                methods = [r.method for r in emulator.requests]
                conn.send({m: methods.count(m) for m in set(methods)})


class RemoteEmulator:
    def __init__(self, domains: int, latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve_emulator, args=(child, domains, latency), daemon=True
        )
        self._process.start()
        self.url: str = self._conn.recv()

    def clear(self) -> None:
        self._conn.send("clear")
        self._conn.recv()

    def counts(self) -> dict[str, int]:
        self._conn.send("counts")
        return dict(self._conn.recv())

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(10)


# ---- CPU from /proc ---------------------------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def own_cpu() -> float:
    """This process's CPU seconds plus those of every child it reaped (and theirs, reaped)."""
    fields = _stat("self")
    return sum(int(x) for x in fields[11:15]) / TICK


class PluginCpu:
    """Samples the CPU of every plugin process below this one while a step runs."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.overhead = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _descendants(self) -> Iterator[int]:
        todo = [os.getpid()]
        while todo:
            pid = todo.pop()
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    found = [int(c) for c in children.read_text().split()]
                except OSError:
                    continue
                todo.extend(found)
                yield from found

    def _sample(self) -> None:
        for pid in self._descendants():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                if any(p in command for p in PLUGINS):
                    fields = _stat(pid)
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / TICK
            except OSError:
                continue

    def _run(self) -> None:
        started = time.thread_time()
        while not self._stop.wait(0.05):
            self._sample()
        self.overhead = time.thread_time() - started

    def __enter__(self) -> PluginCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def total(self) -> float:
        return sum(self.seen.values())


# ---- the engine ---------------------------------------------------------------------------------
@dataclass
class Engine:
    """The CLI with its own home and file backend under `home`, and the emulator it talks to."""

    cli: Path
    home: Path
    emulator: RemoteEmulator
    latency: float
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
        self.env = engine_env(self.cli, self.home / "backend", PASSPHRASE, base)
        (self.home / "backend").mkdir(parents=True, exist_ok=True)
        # pulumi-resource-qboxmail is a console script beside this interpreter.
        self.env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), self.env["PATH"]])
        self.env["PULUMI_HOME"] = str(self.home / "pulumi-home")
        self.env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
        self.env["QBX_NOOP_LATENCY"] = str(self.latency)
        self.noop = self.home / "noop-plugin"
        self.noop.mkdir()
        launcher = self.noop / "pulumi-resource-qboxmail"
        run = f"runpy.run_path({str(NOOP)!r}, run_name='__main__')"
        launcher.write_text(f"#!{sys.executable}\nimport runpy\n{run}\n")
        launcher.chmod(0o755)

    def options(
        self, work: Path, env: Mapping[str, str], **settings: Any
    ) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(
            work_dir=str(work),
            pulumi_home=self.env["PULUMI_HOME"],
            pulumi_command=automation_command(self.cli),
            env_vars={**self.env, **env},
            **settings,
        )

    def configure(self, stack: auto.Stack, work: Path) -> auto.Stack:
        # Written beside the salt `stack init` wrote, not with `pulumi config set`: one CLI run
        # less per stack. The native plugin makes the token secret in state (CheckConfig).
        config = {"qboxmail:endpoint": self.emulator.url, "qboxmail:apiToken": TOKEN}
        with (work / f"Pulumi.{stack.name}.yaml").open("a", encoding="utf-8") as file:
            file.write(yaml.safe_dump({"config": config}))
        return stack


@dataclass
class Run:
    """One fresh stack of N domains."""

    stack: auto.Stack
    n: int


# ---- the faces ----------------------------------------------------------------------------------
def dynamic_stack(engine: Engine, n: int, name: str, env: Mapping[str, str]) -> Run:
    """QboxDomainSettings from a Python program, run inline by the Automation API."""

    def program() -> None:
        for code in codes(n):
            QboxDomainSettings(code.lower(), domain_code=code, **SETTINGS)

    work = engine.home / name
    work.mkdir()
    options = engine.options(work, env, project_settings=auto.ProjectSettings(name, "python"))
    stack = auto.create_stack("bench", project_name=name, program=program, opts=options)
    return Run(engine.configure(stack, work), n)


class _NoAliases(yaml.SafeDumper):
    """Every resource written out in full: Pulumi YAML refuses YAML's anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def yaml_stack(
    plugin_dir: Callable[[Engine], Path],
) -> Callable[[Engine, int, str, Mapping[str, str]], Run]:
    """qboxmail:index:DomainSettings from a YAML program, through the plugin in `plugin_dir`."""

    def make(engine: Engine, n: int, name: str, env: Mapping[str, str]) -> Run:
        properties = {PULUMI_NAMES[key]: value for key, value in SETTINGS.items()}
        resources = {
            code.lower(): {
                "type": "qboxmail:index:DomainSettings",
                "properties": {"domainCode": code, **properties},
            }
            for code in codes(n)
        }
        project = {
            "name": name,
            "runtime": "yaml",
            "plugins": {"providers": [{"name": "qboxmail", "path": str(plugin_dir(engine))}]},
            "resources": resources,
        }
        work = engine.home / name
        work.mkdir()
        text = yaml.dump(project, Dumper=_NoAliases, sort_keys=False)
        (work / "Pulumi.yaml").write_text(text, "utf-8")
        stack = auto.create_stack("bench", work_dir=str(work), opts=engine.options(work, env))
        return Run(engine.configure(stack, work), n)

    return make


@dataclass(frozen=True)
class Face:
    name: str
    what: str
    stack: Callable[[Engine, int, str, Mapping[str, str]], Run]
    calls_api: bool = True


FACES = {
    face.name: face
    for face in (
        Face("floor", "no-op plugin, same schema, YAML", yaml_stack(lambda e: e.noop), False),
        Face("native", "DomainSettings, YAML", yaml_stack(lambda e: Path(sys.executable).parent)),
        Face("dynamic", "QboxDomainSettings, Python inline program", dynamic_stack),
        # A TypeScript face goes here: an inline Node program through the generated SDK.
    )
}


# ---- the steps ----------------------------------------------------------------------------------
def expect(engine: Engine, face: Face, method: str, n: int) -> None:
    counts = engine.emulator.counts()
    wanted = {method: n} if face.calls_api and n else {}
    if counts != wanted:
        raise SystemExit(f"{face.name}: expected {wanted} requests for N={n}, got {counts}")


STEPS: dict[str, tuple[Callable[[Run, int | None], object], str | None]] = {
    "preview": (lambda run, p: run.stack.preview(parallel=p), None),
    "up": (lambda run, p: run.stack.up(parallel=p), "PUT"),
    "no-change preview": (
        lambda run, p: run.stack.preview(parallel=p, expect_no_changes=True),
        None,
    ),
    "refresh": (lambda run, p: run.stack.refresh(parallel=p, expect_no_changes=True), "GET"),
}
"""Run in this order on one fresh stack, and the one API method each must send N times."""


@dataclass(frozen=True)
class Variant:
    """How a stack is run: the CLI's default, or one knob turned."""

    name: str
    steps: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    parallel: int | None = None


DEFAULT = Variant("default", tuple(STEPS))
SKIP = Variant("skip checkpoints", ("up",), {"PULUMI_SKIP_CHECKPOINTS": "true"})


def measure(engine: Engine, faces: Sequence[Face], n: int, variant: Variant) -> dict[str, Any]:
    """face -> step -> figures, for fresh stacks of `n` domains, the faces interleaved per step."""
    slug = variant.name.replace(" ", "-")
    runs = {
        face.name: face.stack(engine, n, f"{face.name}-{n}-{slug}", variant.env) for face in faces
    }
    figures: dict[str, Any] = {face.name: {} for face in faces}
    for step in variant.steps:
        call, method = STEPS[step]
        for face in faces:
            engine.emulator.clear()
            load = os.getloadavg()[0]
            cpu = own_cpu()
            with PluginCpu() as plugin:
                started = time.perf_counter()
                call(runs[face.name], variant.parallel)
                wall = time.perf_counter() - started
            figures[face.name][step] = {
                "wall": wall,
                "cpu": own_cpu() - cpu - plugin.overhead,
                "plugin": plugin.total,
                "load": load,
            }
            if method:
                expect(engine, face, method, n)
            print(
                f"  N={n} {variant.name} {step} {face.name}: {wall:.2f} s, load {load:.1f}",
                flush=True,
            )
    return figures


# ---- the tables and the plot ------------------------------------------------------------------
Results = dict[str, Any]
"""{"header": [...], "runs": [{"n", "variant", "figures": face -> step -> figures}]}"""


def cell(figures: Mapping[str, Any], floor: Mapping[str, Any] | None) -> str:
    """Wall time and CPU of every process, each with its ratio to the floor's; the plugin's CPU."""
    wall, cpu = f"{figures['wall']:.2f} s", f"CPU {figures['cpu']:.1f} s"
    if floor:
        wall += f" = **{figures['wall'] / floor['wall']:.2f}x**"
        cpu += f" = {figures['cpu'] / floor['cpu']:.2f}x"
    return f"{wall}; {cpu}, plugin {figures['plugin']:.1f} s"


def table(results: Results) -> list[str]:
    faces = [f for f in FACES if any(f in r["figures"] for r in results["runs"])]
    lines = [
        "| N | run | step | " + " | ".join(faces) + " | load |",
        "| ---: | --- | --- | " + " | ".join("---" for _ in faces) + " | ---: |",
    ]
    verdicts: list[str] = []
    for run in results["runs"]:
        figures = run["figures"]
        for step in next(iter(figures.values())):
            floor = figures.get("floor", {}).get(step)
            cells = [
                cell(figures[f][step], None if f == "floor" else floor) if f in figures else "-"
                for f in faces
            ]
            loads = sorted(figures[f][step]["load"] for f in figures)
            lines.append(
                f"| {run['n']} | {run['variant']} | {step} | "
                + " | ".join(cells)
                + f" | {loads[0]:.1f}-{loads[-1]:.1f} |"
            )
            if floor and "native" in figures and (step, run["variant"]) in TARGETS:
                ratio = figures["native"][step]["wall"] / floor["wall"]
                cpu = figures["native"][step]["cpu"] / floor["cpu"]
                verdict = "PASS" if ratio <= TARGET else "**MISS**"
                verdicts.append(
                    f"- native {step}, {run['variant']}, N={run['n']}: {ratio:.2f}x the floor's "
                    f"wall time (target <= {TARGET}x): {verdict}; CPU {cpu:.2f}x"
                )
    return [*lines, "", *verdicts]


TARGETS = {("up", "default"), ("up", "skip checkpoints"), ("no-change preview", "default")}


def plot(results: Results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    styles = {"floor": "black", "native": "tab:blue", "dynamic": "tab:orange"}
    for variant, dash in (("default", "-"), ("skip checkpoints", "--")):
        runs = [r for r in results["runs"] if r["variant"] == variant]
        for face, colour in styles.items():
            points = [
                (r["n"], r["figures"][face]["up"]["wall"]) for r in runs if face in r["figures"]
            ]
            if points:
                label = f"{face}{'' if variant == 'default' else ', checkpoints skipped'}"
                ax.plot(*zip(*points, strict=True), dash, marker="o", color=colour, label=label)
    sizes = sorted({r["n"] for r in results["runs"]})
    loads = [f["up"]["load"] for r in results["runs"] for f in r["figures"].values() if "up" in f]
    ax.set_xticks(sizes)
    ax.set_xlabel("domains in the stack (N)")
    ax.set_ylabel("pulumi up, wall time (s)")
    ax.set_title(
        f"pulumi up of N domains, API latency {results['latency'] * 1000:.0f} ms; "
        f"{results['when']}; load {min(loads):.0f}-{max(loads):.0f} on 2 cores",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def header(cli: Path, args: argparse.Namespace) -> list[str]:
    return [
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} "
        f"at the start; Python {platform.python_version()}, "
        f"pulumi SDK {metadata.version('pulumi')}, "
        f"CLI {subprocess.check_output([cli, 'version'], text=True).strip()}",
        f"- `python benchmarks/engine.py --sizes {args.sizes} --runs '{args.runs}' "
        f"--knob-sizes '{args.knob_sizes}' "
        f"--parallel {args.parallel} --latency {args.latency} --faces {args.faces}`",
        "- cells: wall time = its ratio to the floor's; CPU of every process but the emulator = "
        "its ratio to the floor's; the plugin's CPU. load: the 1-minute load average when the "
        "faces' steps began (2 cores).",
    ]


def ints(text: str) -> list[int]:
    return sorted({int(n) for n in text.split(",") if n})


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny N, one --parallel: for CI")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated N")
    parser.add_argument("--knob-sizes", default=",".join(map(str, KNOB_SIZES)))
    parser.add_argument("--parallel", default=",".join(map(str, PARALLEL)))
    parser.add_argument("--latency", type=float, default=LATENCY, help="API latency, seconds")
    parser.add_argument(
        "--runs",
        default=f"{DEFAULT.name},{SKIP.name}",
        help=f"which runs at --sizes (default: both, '{DEFAULT.name},{SKIP.name}')",
    )
    parser.add_argument("--faces", default=",".join(FACES), help="comma-separated faces")
    parser.add_argument("--json", type=Path, help=f"keep the figures here (default: {FIGURES})")
    parser.add_argument("--from-json", type=Path, help="only print and plot these figures")
    parser.add_argument("--plot", type=Path, help=f"draw the PNG here (default: {PLOT})")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    elif not args.from_json:
        args.json, args.plot = args.json or FIGURES, args.plot or PLOT
    if args.from_json:
        kept = json.loads(args.from_json.read_text())
        print("\n".join([*kept["header"], "", *table(kept)]))
        if args.plot:
            plot(kept, args.plot)
        return 0
    sizes, knob_sizes, parallel = ints(args.sizes), ints(args.knob_sizes), ints(args.parallel)
    faces = args.faces.split(",")
    runs = [r for r in args.runs.split(",") if r not in (DEFAULT.name, SKIP.name)]
    if unknown := [f for f in faces if f not in FACES] or [n for n in sizes if n <= 0] or runs:
        parser.error(
            f"unknown faces, sizes or runs: {unknown}; faces are {', '.join(FACES)}; "
            f"runs are {DEFAULT.name}, {SKIP.name}"
        )
    found = find_cli(build_with_go=False)
    if found.path is None:
        parser.error(f"no Pulumi CLI: {found.why()}")
    if shutil.which("pulumi-language-yaml", path=str(found.path.parent)) is None:
        parser.error("no pulumi-language-yaml beside the CLI (`python3 dev.py cli` builds it)")
    results: Results = {
        "header": header(found.path, args),
        "latency": args.latency,
        "when": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "runs": [],
    }
    print("\n".join(results["header"]), flush=True)
    chosen = [FACES[f] for f in faces]
    emulator = RemoteEmulator(max(sizes + knob_sizes), args.latency)
    try:
        with tempfile.TemporaryDirectory(prefix="qbx-eng-") as home:
            engine = Engine(found.path, Path(home), emulator, args.latency)
            for n in sorted(set(sizes + knob_sizes)):
                variants = [v for v in (DEFAULT, SKIP) if n in sizes and v.name in args.runs]
                if n in knob_sizes:
                    variants += [Variant(f"--parallel {p}", ("up",), parallel=p) for p in parallel]
                for variant in variants:
                    figures = measure(engine, chosen, n, variant)
                    results["runs"].append({"n": n, "variant": variant.name, "figures": figures})
                    if args.json:  # after each run: a long run stopped early keeps its figures
                        args.json.write_text(json.dumps(results, indent=1))
    finally:
        emulator.stop()
    print("\n".join(["", *table(results)]))
    if args.plot:
        plot(results, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
