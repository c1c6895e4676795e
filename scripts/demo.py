"""The main job, run by `python3 dev.py demo`: the quickstart stack on a local Qboxmail emulator.

First finds the Pulumi CLI (PATH, the pinned build in .pulumi-cli/, the official download into
.pulumi-cli/download/, then a Go build where `go` exists), saying each attempt in one line;
without one it says how to get it and exits 1 before anything else starts. Then it starts the
emulator with one demo domain and drives examples/quickstart through the Automation API (an
inline program, a file backend in .pulumi-demo/, a demo passphrase): preview, up and a no-change
preview, streaming the CLI's output as it prints, then shows the domain as a refresh sees it (its
GET), and apart, labelled, the settings it was sent that GET does not return.
"""

from __future__ import annotations

import json
import os
import queue
import runpy
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from pulumi_cli import DOWNLOADS, automation_command, engine_env, find_cli, say_stdout
from pulumi_qboxmail.client import QboxClient
from pulumi_qboxmail.errors import QboxError

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".pulumi-demo"
QUICKSTART = ROOT / "examples" / "quickstart" / "__main__.py"
PROJECT = "qboxmail-demo"
STACK = "demo"
DOMAIN = "D123456789"
TOKEN = "demo-token"
PASSPHRASE = "demo"
NO_CLI = (
    "demo: no Pulumi CLI: it could not be downloaded and {go}; install it"
    " with `curl -fsSL https://get.pulumi.com | sh` (https://www.pulumi.com/docs/install/),"
    " or install Go and run `python3 dev.py cli`, then run `python3 dev.py demo` again."
)
NO_GO = "there is no go to build it"
GO_FAILED = "the Go build failed (above)"
UNSEEN = (
    "Sent by `pulumi up` but not returned by the API's GET, so no refresh can see a change made "
    "to them elsewhere (shown as the emulator stored them):"
)


class StepFailed(Exception):
    """A step of the demo failed; the message says which."""


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


def run_demo(
    cli: Path,
    url: str,
    work: Path,
    on_output: Callable[[str], None],
    base_env: Mapping[str, str] = os.environ,
) -> None:
    """Preview, up and a no-change preview of the quickstart stack against the API at `url`."""
    from pulumi import automation as auto

    backend = work / "backend"
    project_dir = work / "project"
    backend.mkdir(parents=True, exist_ok=True)
    project_dir.mkdir(parents=True, exist_ok=True)
    options = auto.LocalWorkspaceOptions(
        work_dir=str(project_dir),
        pulumi_command=automation_command(cli),
        env_vars=engine_env(cli, backend, PASSPHRASE, base_env),
        project_settings=auto.ProjectSettings(name=PROJECT, runtime="python"),
    )
    program = lambda: runpy.run_path(str(QUICKSTART), run_name="__main__")  # noqa: E731
    stack = auto.create_or_select_stack(STACK, project_name=PROJECT, program=program, opts=options)
    # The emulator starts fresh every time, so the stack does too: a leftover state would
    # believe the settings are already applied and change nothing.
    stack.workspace.remove_stack(STACK, force=True)
    stack = auto.create_stack(STACK, project_name=PROJECT, program=program, opts=options)
    stack.set_config("qboxmail:endpoint", auto.ConfigValue(url))
    stack.set_config("qboxmail:apiToken", auto.ConfigValue(TOKEN, secret=True))
    stack.set_config("domainCode", auto.ConfigValue(DOMAIN))
    try:
        on_output("+ pulumi preview")
        stack.preview(on_output=on_output)
        on_output("+ pulumi up --yes")
        stack.up(on_output=on_output)
        on_output("+ pulumi preview --expect-no-changes")
        stack.preview(on_output=on_output, expect_no_changes=True)
    except auto.CommandError as exc:
        raise StepFailed(str(exc).strip().splitlines()[-1]) from None


def main() -> int:
    """Find the CLI, then run the demo; 1 with one line on failure."""
    found = find_cli(build_with_go=True, download_to=DOWNLOADS, say=say_stdout)
    if found.path is None:
        go = GO_FAILED if shutil.which("go") else NO_GO
        print(NO_CLI.format(go=go), file=sys.stderr)
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
                run_demo(found.path, url, WORK, say_stdout)
                live = QboxClient(TOKEN, url).get_domain(DOMAIN)
            except (StepFailed, QboxError) as exc:
                print(f"demo: {exc}", file=sys.stderr)
                return 1
            finally:
                stop(emulator)
        if not state.exists():
            print(
                "demo: `pulumi up` succeeded but the emulator recorded no change", file=sys.stderr
            )
            return 1
        stored = json.loads(state.read_text(encoding="utf-8"))[DOMAIN]
    unseen = {name: value for name, value in stored.items() if name not in live}
    print(f"\nDomain {DOMAIN} as a refresh sees it (GET /api/domains/{DOMAIN}):")
    print(json.dumps(live, indent=2, sort_keys=True))
    print(f"\n{UNSEEN}")
    print(json.dumps(unseen, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
