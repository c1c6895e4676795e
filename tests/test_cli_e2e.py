"""End to end through the real `pulumi` CLI: the quickstart against the in-process emulator.

preview, up, a no-change preview, drift picked up by refresh, and a destroy that leaves the live
domain alone; the exact PUT bodies in the emulator's log; no token or password in the state.
Needs the real CLI on PATH and is skipped without it: it is never faked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_qboxmail.emulator import Emulator

PULUMI = shutil.which("pulumi")
pytestmark = [
    pytest.mark.cli,
    pytest.mark.skipif(
        PULUMI is None,
        reason="pulumi CLI not on PATH; this test needs the real CLI and is never faked",
    ),
]

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"
FLEET = ROOT / "examples" / "fleet"
FLEET_CODES = ["D100000001", "D100000002", "D100000003", "D100000004"]
TYPE = "pulumi-python:dynamic/qboxmail:DomainSettings"
CODE = "D123456789"
STACK = "e2e"
# Distinctive values, so finding either in the state means a leak and nothing else.
TOKEN = "qbx-e2e-token-4c9f2a71"
PASSWORD = "Postmaster2024e2e"
CREATE_BODY: dict[str, Any] = {
    "antispam_level": 3,
    "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
    "password_expiration": 6,
    "force_otp": True,
    "webmail_language": "en",
    "webmail_timezone": "Europe/Rome",
    "postmaster_password": PASSWORD,
    "postmaster_password_confirmation": PASSWORD,
}


class Cli:
    """Runs `pulumi` in one project directory with an isolated home, backend and passphrase."""

    def __init__(self, project: Path, home: Path) -> None:
        self.project = project
        self.env = {
            **os.environ,
            "PULUMI_HOME": str(home / "pulumi-home"),
            "PULUMI_BACKEND_URL": (home / "backend").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": "e2e-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }
        # Only the stack config may configure the provider in this test.
        for name in ("QBOXMAIL_API_TOKEN", "QBOXMAIL_ENDPOINT", "PULUMI_CONFIG"):
            self.env.pop(name, None)
        (home / "backend").mkdir()
        if sys.prefix == sys.base_prefix:
            # Not in a virtualenv: Pulumi honours PULUMI_PYTHON_CMD only without `virtualenv`.
            self.env["PULUMI_PYTHON_CMD"] = sys.executable

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        assert PULUMI is not None
        proc = subprocess.run(
            [PULUMI, *args, "--non-interactive", "--color=never"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if ok and proc.returncode != 0:
            pytest.fail(
                f"pulumi {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return proc

    def export(self) -> tuple[str, dict[str, Any]]:
        """The raw `pulumi stack export` text and the one QboxDomainSettings resource in it."""
        text = self("stack", "export").stdout
        resources = json.loads(text)["deployment"].get("resources") or []
        [resource] = [r for r in resources if r["type"] == TYPE] or [{}]
        return text, resource


def copy_example(example: Path, target: Path) -> Path:
    """An example in `target`, its Pulumi.yaml pointed at this interpreter's environment."""
    shutil.copytree(
        example, target, ignore=shutil.ignore_patterns("venv", "__pycache__", "Pulumi.*.yaml")
    )
    project = yaml.safe_load((target / "Pulumi.yaml").read_text(encoding="utf-8"))
    options = project["runtime"]["options"]
    if sys.prefix != sys.base_prefix:
        # The venv running pytest already has pulumi and pulumi_qboxmail: reuse it as is.
        options["virtualenv"] = sys.prefix
    else:
        options.pop("virtualenv", None)
    (target / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    return target


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    server = Emulator(token=TOKEN, domains=[CODE])
    with server:
        yield server


def puts(emulator: Emulator) -> list[tuple[str, Any]]:
    return [(r.path, r.body) for r in emulator.requests if r.method == "PUT"]


def test_quickstart_lifecycle_through_the_real_cli(emulator: Emulator, tmp_path: Path) -> None:
    cli = Cli(copy_example(QUICKSTART, tmp_path / "project"), tmp_path)
    cli("stack", "init", STACK)
    cli("config", "set", "qboxmail:endpoint", emulator.url)
    cli("config", "set", "--secret", "qboxmail:apiToken", TOKEN)
    cli("config", "set", "domainCode", CODE)
    cli("config", "set", "--secret", "postmasterPassword", PASSWORD)

    # Preview runs Check only: the API is not called at all.
    cli("preview")
    assert emulator.requests == []

    cli("up", "--yes")
    assert puts(emulator) == [(f"/api/domains/{CODE}", CREATE_BODY)]
    assert {r.token for r in emulator.requests} == {"***"}  # the emulator masks a right token
    live = {k: emulator.domains[CODE][k] for k in ("antispam_level", "allow_nets", "force_otp")}
    assert live == {
        "antispam_level": 3,
        "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
        "force_otp": True,
    }
    outputs = json.loads(cli("stack", "output", "--json").stdout)
    assert outputs == {
        "domain_code": CODE,
        "antispam_level": 3,
        "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
    }
    state, resource = cli.export()
    assert resource["id"] == CODE
    assert TOKEN not in state and PASSWORD not in state
    provider = resource["inputs"]["__provider"]
    assert isinstance(provider, str) and len(provider) < 200  # plain and pickled by reference

    # Nothing changed: Diff only, no API call.
    before = len(emulator.requests)
    cli("preview", "--expect-no-changes")
    assert len(emulator.requests) == before

    # Someone changes the domain behind the stack's back; refresh records it.
    with emulator.lock:
        emulator.domains[CODE]["antispam_level"] = 1
    cli("refresh", "--yes")
    state, resource = cli.export()
    assert resource["outputs"]["antispam_level"] == 1
    assert resource["inputs"]["antispam_level"] == 1
    assert TOKEN not in state and PASSWORD not in state
    # The program still says 3, so the drift now shows up as a pending change.
    assert cli("preview", "--expect-no-changes", ok=False).returncode != 0

    # Destroy only forgets the domain: no request changes it.
    with emulator.lock:
        settings_before = json.loads(json.dumps(emulator.domains[CODE]))
    cli("destroy", "--yes")
    with emulator.lock:
        assert emulator.domains[CODE] == settings_before
    assert cli.export()[1] == {}

    # The whole run made exactly one change to the domain: the create.
    assert puts(emulator) == [(f"/api/domains/{CODE}", CREATE_BODY)]
    assert {r.method for r in emulator.requests} <= {"GET", "PUT"}


def test_fleet_applies_one_policy_to_every_domain_and_rejects_a_typo_at_preview(
    tmp_path: Path,
) -> None:
    server = Emulator(token=TOKEN, domains=FLEET_CODES)
    with server as url:
        project = copy_example(FLEET, tmp_path / "fleet")
        cli = Cli(project, tmp_path)
        cli("stack", "init", STACK)
        cli("config", "set", "qboxmail:endpoint", url)
        cli("config", "set", "--secret", "qboxmail:apiToken", TOKEN)

        cli("preview")
        assert server.requests == []
        cli("up", "--yes")
        bodies = dict(puts(server))
        assert sorted(bodies) == [f"/api/domains/{code}" for code in FLEET_CODES]
        assert bodies["/api/domains/D100000003"]["antispam_level"] == 3
        assert bodies["/api/domains/D100000001"]["antispam_level"] == 2
        cli("preview", "--expect-no-changes")

        fleet = yaml.safe_load((project / "fleet.yaml").read_text(encoding="utf-8"))
        fleet["domains"][1]["overrides"]["antispam_level"] = 7
        (project / "bad.yaml").write_text(yaml.safe_dump(fleet), encoding="utf-8")
        cli("config", "set", "fleetFile", "bad.yaml")
        before = len(server.requests)
        failed = cli("preview", ok=False)
        assert failed.returncode != 0
        assert "example.it (D100000002): antispam_level: must be one of" in (
            failed.stdout + failed.stderr
        )
        assert len(server.requests) == before
