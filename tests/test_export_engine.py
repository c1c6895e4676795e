"""The export inside a Pulumi project, through the real CLI: the README's adoption, as written.

The export reads the stack's `qboxmail:*` config (the token a secret) through the Automation API,
over decoy QBOXMAIL_* variables, and writes a Pulumi YAML program that the YAML language host and
the native plugin adopt with no change: `up` sends each domain the values it has, and the next
preview and refresh show nothing to do.
"""

from __future__ import annotations

import copy
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e_support import CliEnv
from pulumi_qboxmail.tools.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "qbx-export-e2e-51c2aa"
DOMAINS: dict[str, dict[str, Any]] = {
    "D500000001": {"name": "one.example", "antispam_level": 3, "allow_nets": ["192.0.2.0/24"]},
    "D500000002": {"name": "two.example", "antispam_level": 3, "chat": True},
    "D500000003": {"name": "three.example", "antispam_level": 1, "max_email_accounts": 40},
    "D500000004": {"name": "four.example", "antispam_level": 7},  # refused: left unmanaged
}


def readme_commands() -> list[str]:
    """The shell lines of the README's adoption block, comments dropped."""
    section = (
        (ROOT / "README.md").read_text(encoding="utf-8").split("### Adopt existing domains")[1]
    )
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def unchanged(domains: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {code: {k: v for k, v in d.items() if k != "updated_at"} for code, d in domains.items()}


def test_the_readme_adoption_commands_adopt_every_domain_with_no_change(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    if shutil.which("pulumi-language-yaml", path=cli_env.env["PATH"]) is None:
        pytest.skip("no pulumi-language-yaml (`python3 dev.py cli` builds it); never faked")
    emulator = Emulator(token=TOKEN)
    emulator.seed(DOMAINS)
    del emulator.domains["D500000003"]["dav"]  # not returned for one domain: stays unmanaged
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "examples" / "yaml-fleet", checkout / "examples" / "yaml-fleet")
    # Decoys: the stack's config must win over them, as it does for the provider.
    export_env = {**cli_env.env, "QBOXMAIL_ENDPOINT": "http://127.0.0.1:9", "QBOXMAIL_API_TOKEN": "decoy"}  # fmt: skip
    commands = readme_commands()
    assert commands[2] == "pulumi config set --secret qboxmail:apiToken <token>"
    cwd = checkout
    with emulator:
        before = copy.deepcopy(emulator.domains)
        for line in commands:
            for part in line.split(" && "):
                argv = shlex.split(part.replace("<token>", TOKEN))
                if argv[0] == "cd":
                    cwd = cwd / argv[1]
                elif argv[0] == "cp":
                    subprocess.run(argv, cwd=cwd, check=True)
                elif argv[0] == "pulumi":
                    # Non-interactive, `up` needs the --yes a terminal would ask for.
                    done = cli_env.run(*argv[1:], *(["--yes"] if argv[1] == "up" else []), cwd=cwd)
                    if argv[1] == "preview":
                        assert f"+ {len(DOMAINS) + 1} to create" in done.stdout
                    if "qboxmail:apiToken" in argv:  # "for the emulator, also qboxmail:endpoint"
                        cli_env.run("config", "set", "qboxmail:endpoint", emulator.url, cwd=cwd)
                else:
                    assert argv[0] == "qboxmail-export"
                    done = subprocess.run(argv, cwd=cwd, env=export_env, capture_output=True, text=True, timeout=120)  # fmt: skip
                    assert (done.returncode, done.stderr) == (
                        0,
                        f"qboxmail export: wrote 4 domains (yaml) to Pulumi.yaml, read from "
                        f"{emulator.url} as set by qboxmail:endpoint (stack dev)\n",
                    )
                    assert [r.method for r in emulator.requests] == ["GET"]
                    emulator.clear_log()
        program = yaml.safe_load((cwd / "Pulumi.yaml").read_text(encoding="utf-8"))
        assert program["name"] == "qboxmail-yaml-fleet"  # the project's own: its stack still fits
        assert program["variables"]["antispamLevel"] == 3
        assert "antispamLevel" not in program["resources"]["four-example"]["properties"]
        assert "dav" not in program["resources"]["three-example"]["properties"]
        puts = {r.path.rsplit("/", 1)[1]: r.body for r in emulator.requests if r.method == "PUT"}
        assert sorted(puts) == sorted(DOMAINS)
        assert puts["D500000002"]["chat"] is True and puts["D500000003"]["antispam_level"] == 1
        assert unchanged(emulator.domains) == unchanged(before)

        emulator.clear_log()
        cli_env.run("preview", "--expect-no-changes", cwd=cwd)
        cli_env.run("refresh", "--yes", "--expect-no-changes", cwd=cwd)
        assert {r.method for r in emulator.requests} == {"GET"}


def test_in_a_project_without_a_selected_stack_the_environment_is_used(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    project = tmp_path / "fresh"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: fresh\nruntime: yaml\n", encoding="utf-8")
    emulator = Emulator(token=TOKEN)
    emulator.seed({"D500000001": {"name": "one.example"}})
    with emulator:
        env = {**cli_env.env, "QBOXMAIL_ENDPOINT": emulator.url, "QBOXMAIL_API_TOKEN": TOKEN}
        command = ["qboxmail-export", "--format", "import"]
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert (done.returncode, done.stderr) == (
            0,
            f"qboxmail export: wrote 1 domain (import) to stdout, read from {emulator.url} as set "
            "by QBOXMAIL_ENDPOINT\n",
        )
        done = subprocess.run([*command, "--stack", "nope"], cwd=project, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"qboxmail export: qboxmail configuration the stack config of {project}/Pulumi.yaml: "
        "`pulumi` could not read it: error: no stack named 'nope' found\n"
    )
