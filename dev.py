#!/usr/bin/env python3
"""The project's commands, runnable on a machine with only Python 3 and git.

python3 dev.py test    # set up .venv, then lint, type-check and run the whole test suite
python3 dev.py demo    # the main job: a stack on the local Qboxmail emulator (finds or gets a CLI)
python3 dev.py cli     # build the pinned Pulumi CLI from its Go modules into .pulumi-cli/
python3 dev.py bench   # the benchmarks, printed as a table
python3 dev.py bench-engine [--quick]  # pulumi preview/up/refresh of N domains, vs a no-op floor
python3 dev.py docs    # regenerate the tables (README.md, docs/), typed Args and plugin metadata
python3 dev.py sdk     # regenerate the TypeScript, Go and Python SDKs in sdk/ from the schema
python3 dev.py dist    # dist/: wheel, sdist (twine-checked) and this platform's plugin tarball
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if code:
        sys.exit(code)


def setup(extras: str = "dev,dist") -> None:
    if not PY.exists():
        try:
            venv.create(VENV, with_pip=True)
        except subprocess.CalledProcessError:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit("dev.py: could not create .venv; on Debian/Ubuntu: apt install python3-venv")
    # A regular (not editable) install, rebuilt on every run: the tests and the plugin process
    # then use the package exactly as users get it, and the Pulumi CLI finds its
    # pulumi-plugin.json in site-packages (an editable install hides it, and Pulumi would then
    # try to download a "qboxmail" resource plugin that does not exist).
    run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f".[{extras}]")


def test(args: list[str]) -> None:
    setup()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy", "--strict", "provider/")
    # The end-to-end tests need the real CLI: PATH, the pinned build, or a Go build now. Without
    # any of them they skip, saying why; a failed build does not stop the other tests.
    subprocess.call([sys.executable, "scripts/pulumi_cli.py", "ensure"], cwd=ROOT)
    run(PY, "-m", "pytest", *args)


def demo(args: list[str]) -> None:
    setup()
    run(PY, "scripts/demo.py", *args)


def cli(args: list[str]) -> None:
    run(sys.executable, "scripts/pulumi_cli.py", "build", *args)


def bench(args: list[str]) -> None:
    setup()
    run(PY, "benchmarks/run.py", *args)


def bench_engine(args: list[str]) -> None:
    setup("dev,dist,bench")  # matplotlib draws the engine benchmark's plot
    subprocess.call([sys.executable, "scripts/pulumi_cli.py", "ensure"], cwd=ROOT)
    run(PY, "benchmarks/engine.py", *args)


def sdk(args: list[str]) -> None:
    setup()
    run(sys.executable, "scripts/sdkgen.py", "write", PY)


def dist(args: list[str]) -> None:
    setup()
    run(PY, "scripts/dist.py", *args)


def docs(args: list[str]) -> None:
    setup()
    run(PY, "-c", DOCS_SCRIPT, *args)


DOCS_SCRIPT = """
import pathlib
from pulumi_qboxmail.tools.generate import write
write(pathlib.Path("."))
"""


# Commands whose extra arguments nothing reads: refused, never silently dropped. `test`, `bench`,
# `bench-engine` and `dist` pass theirs to pytest, benchmarks/ and scripts/dist.py, which refuse
# what they do not know.
TAKES_NO_ARGUMENTS = {"demo", "docs", "sdk"}


def usage_error(problem: str) -> NoReturn:
    """Exit with status 2, the problem and the usage: nothing has been set up or run."""
    print(f"dev.py: {problem}\n{__doc__}", file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    commands = {
        "test": test,
        "demo": demo,
        "cli": cli,
        "bench": bench,
        "bench-engine": bench_engine,
        "docs": docs,
        "sdk": sdk,
        "dist": dist,
    }
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__)
        sys.exit(0)
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        usage_error(f"unknown command {sys.argv[1]!r}" if len(sys.argv) > 1 else "no command")
    if sys.argv[1] in TAKES_NO_ARGUMENTS and sys.argv[2:]:
        usage_error(f"{sys.argv[1]} takes no arguments; got {' '.join(sys.argv[2:])}")
    commands[sys.argv[1]](sys.argv[2:])
