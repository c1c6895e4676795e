"""`python3 dev.py demo` (scripts/demo.py): the main job through the real engine, and offline.

The happy path needs the real CLI (`cli_env`) and skips, saying why, without one. The offline
path always runs: no pulumi on PATH, no pinned build, no go, and a download that cannot connect.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import demo
from e2e_support import QUICKSTART_BODY, CliEnv, Printed
from pulumi_cli import pulumi_version
from pulumi_qboxmail.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


def checkout_copy(target: Path) -> Path:
    """The demo's files in a fresh root: its own .pulumi-cli/ and .pulumi-demo/, both empty."""
    for part in ("scripts", "examples/quickstart"):
        shutil.copytree(
            ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__", "venv")
        )
    return target


def refused_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.cli
def test_demo_previews_applies_and_previews_clean_against_the_emulator(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    printed = Printed()
    server = Emulator(token=demo.TOKEN, domains=[demo.DOMAIN])
    with server as url:
        demo.run_demo(cli_env.cli, url, tmp_path / "work", printed, base_env=cli_env.env)

    text = printed.text
    steps = [line for line in printed.lines if line.startswith("+ pulumi")]
    assert steps == [
        "+ pulumi preview",
        "+ pulumi up --yes",
        "+ pulumi preview --expect-no-changes",
    ]
    assert "+ 2 to create" in text
    assert "2 created" in text
    assert "2 unchanged" in text
    assert [(r.method, r.path, r.body) for r in server.requests] == [
        ("PUT", f"/api/domains/{demo.DOMAIN}", QUICKSTART_BODY)
    ]


@pytest.mark.cli
def test_the_demo_command_finds_the_cli_runs_the_stack_and_shows_the_domain(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    root = checkout_copy(tmp_path / "checkout")
    proc = subprocess.run(
        [sys.executable, str(root / "scripts" / "demo.py")],
        env=cli_env.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"pulumi on PATH: {cli_env.cli}"
    assert lines[1].startswith("Qboxmail emulator at http://127.0.0.1:")
    assert "+ pulumi up --yes" in lines
    decoder = json.JSONDecoder()
    first = proc.stdout.index("{")
    live, end = decoder.raw_decode(proc.stdout, first)
    label = proc.stdout[end:].strip().splitlines()[0]
    unseen, _ = decoder.raw_decode(proc.stdout, proc.stdout.index("{", end))
    assert proc.stdout[:first].splitlines()[-1] == (
        f"Domain {demo.DOMAIN} as a refresh sees it (GET /api/domains/{demo.DOMAIN}):"
    )
    assert label == demo.UNSEEN
    # What GET returns, and apart, labelled, what only the emulator's own file holds.
    assert {k: live[k] for k in ("antispam_level", "allow_nets")} == {
        k: QUICKSTART_BODY[k] for k in ("antispam_level", "allow_nets")
    }
    assert unseen == {k: v for k, v in QUICKSTART_BODY.items() if k not in live}
    assert set(unseen) == {
        "password_expiration",
        "force_otp",
        "webmail_language",
        "webmail_timezone",
    }
    assert (root / ".pulumi-demo" / "backend").is_dir()


def test_demo_offline_without_go_says_how_to_install_in_one_line_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    root = checkout_copy(tmp_path / "checkout")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(("PULUMI_", "QBOXMAIL_"))
    }
    proxy = refused_url()
    env.update({"PATH": str(empty), "HOME": str(tmp_path / "home")})
    env.update({"https_proxy": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy})
    proc = subprocess.run(
        [sys.executable, str(root / "scripts" / "demo.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [demo.NO_CLI.format(go=demo.NO_GO)]
    assert "Traceback" not in proc.stdout + proc.stderr
    version = pulumi_version()
    target = root / ".pulumi-cli" / "download" / version
    attempts = [line for line in proc.stdout.splitlines() if not line.startswith("    ...")]
    assert attempts[:3] == [
        "no pulumi on PATH",
        f"no pinned build in .pulumi-cli/{version} (`python3 dev.py cli` makes one)",
        f"downloading the official Pulumi CLI {version} into {target} ...",
    ]
    assert attempts[3].startswith("the Pulumi CLI could not be downloaded (")
    assert attempts[4:] == ["no go on PATH to build the CLI from its Go modules"]
    # Nothing half-built: no partial download, no backend, no stack.
    assert not target.exists()
    assert not (root / ".pulumi-demo").exists()
