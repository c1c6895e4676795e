"""The main job, run by `python3 dev.py demo`: the quickstart stack on a local Qboxmail emulator.

Starts the emulator with one demo domain, points the repository's root Pulumi project (whose
program is examples/quickstart) at it through a local file backend in .pulumi-demo/, runs
`pulumi preview`, `pulumi up` and a no-change preview, then prints the domain's settings as the
emulator holds them. Needs the real `pulumi` CLI; without it, says how to install it and fails.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / ".pulumi-demo"
VENV = ROOT / ".venv"
STACK = "demo"
DOMAIN = "D123456789"
TOKEN = "demo-token"
INSTALL_HINT = """\
demo: the `pulumi` CLI is not on PATH, and this demo needs the real one.
Install it with:
    curl -fsSL https://get.pulumi.com | sh
or see https://www.pulumi.com/docs/install/ , then run `python3 dev.py demo` again."""


class StepFailed(Exception):
    """A command of the demo failed; its output has already been shown."""


def start_emulator(state: Path, log: IO[str]) -> tuple[subprocess.Popen[str], str]:
    """Start the emulator subprocess and return it with the base URL it prints first."""
    command = [sys.executable, "-m", "pulumi_qboxmail.emulator", "--port", "0"]
    command += ["--domain", DOMAIN, "--token", TOKEN, "--state", str(state)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    stdout = process.stdout
    assert stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # A thread, so a silent or hung emulator cannot block the demo past the timeout.
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        url = lines.get(timeout=15).strip()
    except queue.Empty:
        url = ""
    if not url.startswith("http"):
        stop(process)
        log.seek(0)
        raise StepFailed(f"the emulator did not print its URL:\n{log.read()}")
    return process, url


def stop(process: subprocess.Popen[str]) -> None:
    """Stop a subprocess by its pid: politely, then for good."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pulumi(cli: str, *args: str, env: dict[str, str], show: bool = True) -> str:
    """Run one pulumi command in the root project; show it and its output unless told not to."""
    if show:
        print("+ pulumi", " ".join(args), flush=True)
    proc = subprocess.run(
        [cli, *args, "--non-interactive"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    if show or proc.returncode != 0:
        print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        raise StepFailed(f"`pulumi {' '.join(args)}` exited with {proc.returncode}")
    return proc.stdout


def run_demo(cli: str, state: Path, url: str) -> None:
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": BACKEND.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "demo",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    BACKEND.mkdir(exist_ok=True)
    # The emulator starts empty every time, so the stack does too: a leftover stack would
    # believe the settings are already applied and change nothing.
    stacks = json.loads(pulumi(cli, "stack", "ls", "--json", env=env, show=False))
    if any(s["name"] == STACK for s in stacks):
        pulumi(cli, "stack", "rm", STACK, "--yes", "--force", env=env)
    pulumi(cli, "stack", "init", STACK, env=env)
    pulumi(cli, "config", "set", "qboxmail:endpoint", url, "--stack", STACK, env=env)
    pulumi(cli, "config", "set", "--secret", "qboxmail:apiToken", TOKEN, "--stack", STACK, env=env)
    pulumi(cli, "config", "set", "domainCode", DOMAIN, "--stack", STACK, env=env)
    pulumi(cli, "preview", "--stack", STACK, env=env)
    pulumi(cli, "up", "--yes", "--stack", STACK, env=env)
    pulumi(cli, "preview", "--expect-no-changes", "--stack", STACK, env=env)
    if not state.exists():
        raise StepFailed("`pulumi up` succeeded but the emulator recorded no change to the domain")
    settings = json.loads(state.read_text(encoding="utf-8"))[DOMAIN]
    print(f"\nDomain {DOMAIN} as the emulator now holds it:")
    print(json.dumps(settings, indent=2, sort_keys=True))


def main() -> int:
    cli = shutil.which("pulumi")
    if cli is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    if Path(sys.prefix).resolve() != VENV.resolve():
        # The root Pulumi.yaml runs the program in .venv; another interpreter would mean the
        # stack runs code this interpreter never checked.
        print(
            f"demo: run me with {VENV}/bin/python (`python3 dev.py demo` sets it up); "
            f"this is {sys.executable}",
            file=sys.stderr,
        )
        return 1
    with tempfile.TemporaryDirectory(prefix="qboxmail-demo-") as tmp:
        state = Path(tmp) / "state.json"
        with open(Path(tmp) / "emulator.log", "w+", encoding="utf-8") as log:
            try:
                emulator, url = start_emulator(state, log)
            except StepFailed as exc:
                print(f"demo: {exc}", file=sys.stderr)
                return 1
            print(f"Qboxmail emulator at {url} with domain {DOMAIN}", flush=True)
            try:
                run_demo(cli, state, url)
            except StepFailed as exc:
                print(f"demo: {exc}", file=sys.stderr)
                return 1
            finally:
                stop(emulator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
