"""`python -m pulumi_qboxmail`: the package's command line lists its commands and dispatches."""

from __future__ import annotations

import subprocess
import sys

from pulumi_qboxmail.__main__ import HELP


def module(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pulumi_qboxmail", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_help_exits_0_and_lists_every_subcommand_and_the_installed_command() -> None:
    done = module("--help")
    assert (done.returncode, done.stdout, done.stderr) == (0, HELP, "")
    assert "\n  export      write existing domains" in done.stdout
    assert "`qboxmail-export`" in done.stdout
    assert "python -m pulumi_qboxmail.emulator" in done.stdout


def test_without_a_subcommand_it_prints_the_commands_and_exits_2() -> None:
    done = module()
    assert (done.returncode, done.stdout, done.stderr) == (2, "", HELP)


def test_export_help_is_the_export_commands_own() -> None:
    done = module("export", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python -m pulumi_qboxmail export ")
