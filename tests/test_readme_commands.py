"""The README's emulator commands run as written, through the real engine and the native plugin.

The commands are read from the README's emulator section, not copied here: start the emulator,
point a stack at it, `pulumi up`, change a setting behind the stack's back with `set`, and
`pulumi refresh` sees it. One liberty: port 8080 becomes a free port (the machine is shared), and
`set` finds the emulator through `QBOXMAIL_ENDPOINT`, as its `--url` default says.
"""

from __future__ import annotations

import json
import re
import select
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_support import CliEnv

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIR = Path(sys.executable).parent  # holds pulumi-resource-qboxmail


def emulator_section_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The emulator, for your own stack tests", 1)[1].split("\n### ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_readme_emulator_commands_apply_a_stack_and_a_refresh_sees_a_set(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    if shutil.which("pulumi-language-yaml", path=cli_env.env["PATH"]) is None:
        pytest.skip("no pulumi-language-yaml beside the CLI or on PATH; never faked")
    start, endpoint, token, change, refresh = emulator_section_commands()
    assert refresh == "pulumi refresh"
    port = str(free_port())
    project = tmp_path / "project"
    project.mkdir()
    program = (
        "name: readme-emulator\nruntime: yaml\n"
        f"plugins:\n  providers:\n    - name: qboxmail\n      path: {PLUGIN_DIR}\n"
        "resources:\n  main:\n    type: qboxmail:index:DomainSettings\n"
        "    properties:\n      domainCode: D123456789\n      antispamLevel: 3\n"
    )
    (project / "Pulumi.yaml").write_text(program, encoding="utf-8")
    env = {**cli_env.env, "QBOXMAIL_ENDPOINT": f"http://127.0.0.1:{port}"}

    def argv(command: str) -> list[str]:
        words = shlex.split(command.replace("8080", port))
        return [str(cli_env.cli) if words[0] == "pulumi" else sys.executable, *words[1:]]

    emulator = subprocess.Popen(argv(start), cwd=project, stdout=subprocess.PIPE, text=True)
    try:
        assert emulator.stdout is not None
        assert select.select([emulator.stdout], [], [], 10)[0], "the emulator printed no URL"
        assert emulator.stdout.readline().strip() == f"http://127.0.0.1:{port}"
        cli_env.run("stack", "init", "readme", cwd=project)
        for command in (endpoint, token):
            subprocess.run(argv(command), cwd=project, env=env, check=True, timeout=60)
        cli_env.run("up", "--yes", cwd=project)
        stored = json.loads((project / "state.json").read_text(encoding="utf-8"))
        assert stored["D123456789"]["antispam_level"] == 3

        done = subprocess.run(argv(change), env=env, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stdout) == (0, "D123456789: antispam_level=0\n")
        assert "antispamLevel" in cli_env.run("refresh", "--yes", cwd=project).stdout
        drift = cli_env.run("preview", "--diff", cwd=project).stdout
        assert "~ antispamLevel: 0 => 3" in drift
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
