"""The real Pulumi CLI for end-to-end tests: where it is, and an isolated environment to run it in.

Tests take the `cli_env` fixture (conftest.py), which skips, saying why, when no CLI can be had:
`python3 dev.py test` puts one in place first (PATH, the pinned build, or a Go build).
Python programs run as Automation API inline programs (`inline_stack`), because the pinned
build has no Python language host; the engine still starts the dynamic provider as a real
plugin process through `pulumi-resource-pulumi-python`.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from pulumi_cli import Found, automation_command, engine_env, find_cli

PASSPHRASE = "e2e-passphrase"
QUICKSTART_BODY: dict[str, Any] = {
    "antispam_level": 3,
    "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
    "password_expiration": 6,
    "force_otp": True,
    "webmail_language": "en",
    "webmail_timezone": "Europe/Rome",
}
"""What examples/quickstart's create sends, the password aside."""
_found: Found | None = None


def found_cli() -> Found:
    """The CLI the tests use: on PATH or already built (never downloaded or built here)."""
    global _found
    if _found is None:
        _found = find_cli(build_with_go=False)
    return _found


def isolated_env(cli: Path, home: Path) -> dict[str, str]:
    """The environment for one test's CLI: own home, file backend and passphrase, no QBOXMAIL_*."""
    # The developer's own PULUMI_* settings (a cloud backend, a config, a home) stay out.
    base = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    (home / "backend").mkdir(parents=True, exist_ok=True)
    env = engine_env(cli, home / "backend", PASSPHRASE, base)
    # Then this interpreter's scripts, so plugins installed as console scripts are found too.
    cli_dir, rest = env["PATH"].split(os.pathsep, 1)
    env["PATH"] = os.pathsep.join([cli_dir, str(Path(sys.executable).parent), rest])
    env["PULUMI_HOME"] = str(home / "pulumi-home")
    # A missing plugin must fail at once, not send the engine to the internet for it.
    env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
    return env


@dataclass
class CliEnv:
    """One test's Pulumi CLI with an isolated home, file backend and passphrase under `home`."""

    cli: Path
    home: Path
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.env = isolated_env(self.cli, self.home)

    def run(
        self, *args: str, cwd: Path, ok: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """Run `pulumi <args>` in `cwd`; unless `ok=False`, a failure fails with all its output."""
        proc = subprocess.run(
            [str(self.cli), *args, "--non-interactive", "--color=never"],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if ok and proc.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return proc

    def command(self) -> auto.PulumiCommand:
        """This CLI for the Automation API."""
        return automation_command(self.cli)


def run_example(main: Path) -> Callable[[], None]:
    """An inline program that runs an example's `__main__.py` as `pulumi up` would."""
    return lambda: runpy.run_path(str(main), run_name="__main__")


def inline_stack(
    cli_env: CliEnv,
    project: str,
    program: Callable[[], None],
    *,
    stack: str = "e2e",
    config: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
) -> auto.Stack:
    """A fresh stack of an inline Python program on `cli_env`'s backend, configured as given."""
    work = cli_env.home / "work" / project
    work.mkdir(parents=True, exist_ok=True)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(work),
        pulumi_home=cli_env.env["PULUMI_HOME"],
        pulumi_command=cli_env.command(),
        env_vars=cli_env.env,
        project_settings=auto.ProjectSettings(name=project, runtime="python"),
    )
    created = auto.create_stack(stack, project_name=project, program=program, opts=options)
    for key, value in (config or {}).items():
        created.set_config(key, auto.ConfigValue(value))
    for key, value in (secrets or {}).items():
        created.set_config(key, auto.ConfigValue(value, secret=True))
    return created


class Printed:
    """Collects what the CLI prints, for `on_output=`."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    @property
    def text(self) -> str:
        """Everything printed so far."""
        return "\n".join(self.lines)


def stack_export(cli_env: CliEnv, stack: auto.Stack) -> tuple[str, dict[str, Any]]:
    """The raw text of `pulumi stack export` for an inline stack, and its parsed deployment."""
    work = Path(stack.workspace.work_dir)
    text = cli_env.run("stack", "export", "--stack", stack.name, cwd=work).stdout
    return text, json.loads(text)["deployment"]
