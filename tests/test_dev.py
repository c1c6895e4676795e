"""dev.py's command line: every argument is used or refused, before anything is set up."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
USAGE = subprocess.run(
    [sys.executable, "-c", "import dev; print(dev.__doc__, end='')"],
    cwd=ROOT,
    capture_output=True,
    text=True,
    check=True,
    timeout=60,
).stdout


def dev(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """dev.py run from a copy in an empty folder, so a setup it should not start would show."""
    shutil.copy(ROOT / "dev.py", tmp_path / "dev.py")
    return subprocess.run(
        [sys.executable, "dev.py", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["docs", "--check"], "docs takes no arguments; got --check"),
        (["demo", "--yes", "now"], "demo takes no arguments; got --yes now"),
        (["tests"], "unknown command 'tests'"),
        (["--verbose", "test"], "unknown command '--verbose'"),
        ([], "no command"),
    ],
)
def test_an_argument_nothing_reads_is_refused_with_the_usage_before_any_setup(
    tmp_path: Path, args: list[str], problem: str
) -> None:
    done = dev(tmp_path, *args)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"dev.py: {problem}\n{USAGE}\n"
    assert not (tmp_path / ".venv").exists()


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_prints_the_usage_and_succeeds(tmp_path: Path, flag: str) -> None:
    done = dev(tmp_path, flag)

    assert (done.returncode, done.stdout, done.stderr) == (0, USAGE + "\n", "")
