"""The generated SDKs made ready as their users get them, once per test session; skips say why.

TypeScript: examples/typescript installed from its lockfile with sdk/nodejs built into it
(scripts/sdkgen.py node). Go: the driver in tests/sdk_e2e/go built against sdk/ and examples/go.
Python: sdk/python installed with pip into a directory put on sys.path.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import pytest
import sdkgen

from pulumi_cli import BuildError

ROOT = Path(__file__).resolve().parents[1]
GO_DRIVER = ROOT / "tests" / "sdk_e2e" / "go"
_built: dict[str, Path | str] = {}


def _need(tool: str, why: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"no {tool} on PATH, so {why} cannot run here")


def _once(key: str, make: functools.partial[Path]) -> Path:
    if key not in _built:
        try:
            _built[key] = make()
        except BuildError as exc:
            _built[key] = str(exc)
    found = _built[key]
    if isinstance(found, str):
        raise AssertionError(found)
    return found


def node_project() -> Path:
    """examples/typescript, installed, with the SDK and the program compiled by tsc."""
    _need("node", "the TypeScript SDK")
    _need("npm", "the TypeScript SDK")
    return _once("node", functools.partial(sdkgen.node, lambda _line: None))


def _build_go(target: Path) -> Path:
    proc = subprocess.run(
        ["go", "build", "-mod=readonly", "-o", str(target), "."],
        cwd=GO_DRIVER,
        env={**os.environ, "CGO_ENABLED": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(f"go build tests/sdk_e2e/go failed:\n{proc.stderr[-2000:]}")
    return target


def go_driver() -> Path:
    """The Go driver binary, built against sdk/go and examples/go."""
    _need("go", "the Go SDK")
    out = Path(tempfile.mkdtemp(prefix="qbx-go-")) / "e2e"
    return _once("go", functools.partial(_build_go, out))


def _install_python() -> Path:
    target = Path(tempfile.mkdtemp(prefix="qbx-py-"))
    source = target / "src"
    # A copy, so pip's build leaves nothing in sdk/python.
    shutil.copytree(ROOT / "sdk" / "python", source)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target / "site"),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BuildError(f"pip install sdk/python failed:\n{proc.stderr[-2000:]}")
    return target / "site"


def python_sdk() -> ModuleType:
    """The generated Python SDK, `pulumi_qboxmail_sdk`, installed with pip."""
    site = _once("python", functools.partial(_install_python))
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))
    return importlib.import_module("pulumi_qboxmail_sdk")
