#!/usr/bin/env python3
"""The pinned Pulumi engine for this project's own machines: built from its Go modules, and found.

python3 scripts/pulumi_cli.py build   # `dev.py cli`: build the pinned CLI into .pulumi-cli/
python3 scripts/pulumi_cli.py ensure  # `dev.py test`: PATH, the pinned build, else build with go
python3 scripts/pulumi_cli.py find    # print the CLI the tests would use, saying what was tried

The pin is the two wrapper modules under scripts/cli/: `pulumi/` requires
github.com/pulumi/pulumi/pkg/v3 (the CLI; its version is the pin's name), `yaml/` requires
github.com/pulumi/pulumi-yaml (the YAML language host, with its own dependency versions). Their
go.sum files fix every dependency. To move the pin: `go get <module>@<version> && go mod tidy` in
the wrapper. A piece is rebuilt only when its wrapper changes. Runs with python3 and go alone;
only the official download (`find_cli(download_to=...)`, for the demo) needs the pulumi package.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulumi.automation import PulumiCommand

ROOT = Path(__file__).resolve().parents[1]
WRAPPERS = ROOT / "scripts" / "cli"
CACHE = ROOT / ".pulumi-cli"
DOWNLOADS = CACHE / "download"
CLI_MODULE = "github.com/pulumi/pulumi/pkg/v3"
SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3"
YAML_MODULE = "github.com/pulumi/pulumi-yaml"
PYTHON_HOST_MODULE = "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
# Python programs do not need it: the tests and the demo run them as Automation API inline
# programs, whose language runtime is the Python process itself.
PYTHON_HOST_NOTE = "Python programs still run, as Automation API inline programs (tests, demo)"
# The shims the engine and the Python language host run, shipped inside the SDK module.
SHIMS = {
    "pulumi-resource-pulumi-python": "python/dist/pulumi-resource-pulumi-python",
    "pulumi-language-python-exec": "python/cmd/pulumi-language-python-exec",
}
GO_TIMEOUT = 45 * 60
DOWNLOAD_TIMEOUT = 10 * 60
HEARTBEAT = 20.0

Say = Callable[[str], None]


class BuildError(Exception):
    """A required piece of the CLI could not be built; the message says which and why."""


def say_stdout(line: str) -> None:
    """Print one progress line at once."""
    print(line, flush=True)


def _required_version(wrapper: str, module: str) -> str:
    text = (WRAPPERS / wrapper / "go.mod").read_text(encoding="utf-8")
    found = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", text, re.MULTILINE)
    if found is None:
        raise BuildError(f"scripts/cli/{wrapper}/go.mod does not require {module}")
    return found.group(1)


def pulumi_version() -> str:
    """The pinned CLI version, e.g. v3.274.1: what scripts/cli/pulumi/go.mod requires."""
    return _required_version("pulumi", CLI_MODULE)


def yaml_version() -> str:
    """The pinned pulumi-yaml version: what scripts/cli/yaml/go.mod requires."""
    return _required_version("yaml", YAML_MODULE)


def _pin_of(wrapper: str) -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "tools.go"):
        path = WRAPPERS / wrapper / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


def build_dir() -> Path:
    """Where the pinned build lives: .pulumi-cli/<version>/bin."""
    return CACHE / pulumi_version() / "bin"


def _stamp_path() -> Path:
    return build_dir().parent / "build.json"


def _read_stamp() -> dict[str, dict[str, str]]:
    try:
        stamp = json.loads(_stamp_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _write_stamp(stamp: dict[str, dict[str, str]]) -> None:
    _stamp_path().parent.mkdir(parents=True, exist_ok=True)
    _stamp_path().write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _fresh(piece: str, wrapper: str, stamp: dict[str, dict[str, str]]) -> bool:
    entry = stamp.get(piece, {})
    built = entry.get("status") == "built" and (build_dir() / piece).exists()
    return built and entry.get("pin") == _pin_of(wrapper)


def cached_build() -> Path | None:
    """The pinned build's `pulumi`, when it exists and matches the current pin."""
    try:
        stamp = _read_stamp()
        if _fresh("pulumi", "pulumi", stamp) and all(_fresh(s, "pulumi", stamp) for s in SHIMS):
            return build_dir() / "pulumi"
    except BuildError:
        pass
    return None


def cached_download() -> Path | None:
    """The official CLI an earlier demo downloaded for the current pin, if any."""
    path = DOWNLOADS / pulumi_version() / "bin" / "pulumi"
    return path if path.exists() else None


def _go_env() -> dict[str, str]:
    # No cgo: static binaries that need no C toolchain, as Pulumi's own releases are built.
    return {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}


def _run_go(args: list[str], cwd: Path, say: Say, what: str) -> subprocess.CompletedProcess[str]:
    """Run one go command, printing a heartbeat while it works; its output is returned whole."""
    started = time.monotonic()
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT):
            say(f"    ... still {what} ({_elapsed(started)})")

    ticker = threading.Thread(target=heartbeat, daemon=True)
    ticker.start()
    try:
        return subprocess.run(
            ["go", *args],
            cwd=cwd,
            env=_go_env(),
            capture_output=True,
            text=True,
            timeout=GO_TIMEOUT,
            check=False,
        )
    finally:
        done.set()
        ticker.join()


def _elapsed(started: float) -> str:
    seconds = int(time.monotonic() - started)
    return f"{seconds // 60}m{seconds % 60:02d}s"


def _go_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
    return "\n".join(lines[-12:]) or f"go exited with {proc.returncode}"


def _go_build(wrapper: str, package: str, name: str, ldflags: str, say: Say) -> None:
    """Build one binary into the pin's bin/ through a temporary name, so a failure leaves none."""
    target = build_dir() / name
    partial = build_dir() / f".{name}.partial"
    started = time.monotonic()
    say(f"cli: building {name} from {package} (scripts/cli/{wrapper}) ...")
    try:
        proc = _run_go(
            # readonly: go.mod and go.sum are the pin; a build must not rewrite them.
            [
                "build",
                "-mod=readonly",
                "-trimpath",
                "-ldflags",
                ldflags,
                "-o",
                str(partial),
                package,
            ],
            WRAPPERS / wrapper,
            say,
            f"building {name}",
        )
        if proc.returncode != 0:
            raise BuildError(f"{name} could not be built from {package}:\n{_go_error(proc)}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    say(f"cli: built {target.relative_to(ROOT)} in {_elapsed(started)}")


def _sdk_dir(say: Say) -> Path:
    proc = _run_go(
        ["list", "-m", "-f", "{{.Dir}}", SDK_MODULE], WRAPPERS / "pulumi", say, "reading the SDK"
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        raise BuildError(f"the module cache has no {SDK_MODULE}:\n{_go_error(proc)}")
    return Path(proc.stdout.strip())


def _copy_shims(say: Say) -> None:
    sdk = _sdk_dir(say)
    for name, inside in SHIMS.items():
        partial = build_dir() / f".{name}.partial"
        shutil.copyfile(sdk / inside, partial)
        # The module cache is read-only; the copy must be executable by the engine.
        partial.chmod(0o755)
        os.replace(partial, build_dir() / name)
        say(f"cli: copied {name} from {sdk.name}/{inside}")


def _try_python_host(say: Say) -> str:
    """Build pulumi-language-python if the proxy has it; the go command's error if it has not."""
    module = f"{PYTHON_HOST_MODULE}@{pulumi_version()}"
    say(f"cli: trying pulumi-language-python ({module}) ...")
    with tempfile.TemporaryDirectory(prefix="pulumi-language-python-") as tmp:
        work = Path(tmp)
        (work / "go.mod").write_text("module qboxmail.local/cli/python\n\ngo 1.24\n")
        # Its own go.mod replaces the SDK with a relative path, so it is required, not installed.
        get = _run_go(["get", module], work, say, "fetching pulumi-language-python")
        if get.returncode != 0:
            return _go_error(get)
        partial = build_dir() / ".pulumi-language-python.partial"
        build = _run_go(
            ["build", "-mod=mod", "-trimpath", "-o", str(partial), PYTHON_HOST_MODULE],
            work,
            say,
            "building pulumi-language-python",
        )
        if build.returncode != 0:
            partial.unlink(missing_ok=True)
            return _go_error(build)
        os.replace(partial, build_dir() / "pulumi-language-python")
    return ""


def build(say: Say = say_stdout) -> Path:
    """Build whatever of the pinned CLI is missing or stale and return the path of `pulumi`."""
    if shutil.which("go") is None:
        raise BuildError("go is not on PATH (https://go.dev/dl/), so the CLI cannot be built")
    version = pulumi_version()
    build_dir().mkdir(parents=True, exist_ok=True)
    stamp = _read_stamp()
    pin = _pin_of("pulumi")
    if _fresh("pulumi", "pulumi", stamp):
        say(f"cli: pulumi {version} is built and current: {build_dir() / 'pulumi'}")
    else:
        _go_build(
            "pulumi",
            f"{CLI_MODULE}/cmd/pulumi",
            "pulumi",
            f"-X {SDK_MODULE}/go/common/version.Version={version}",
            say,
        )
        stamp["pulumi"] = {"status": "built", "pin": pin}
        _write_stamp(stamp)
    if not all(_fresh(name, "pulumi", stamp) for name in SHIMS):
        _copy_shims(say)
        stamp.update({name: {"status": "built", "pin": pin} for name in SHIMS})
        _write_stamp(stamp)

    yaml_pin = _pin_of("yaml")
    if _fresh("pulumi-language-yaml", "yaml", stamp):
        say("cli: pulumi-language-yaml is built and current")
    else:
        try:
            _go_build(
                "yaml",
                f"{YAML_MODULE}/cmd/pulumi-language-yaml",
                "pulumi-language-yaml",
                f"-X {YAML_MODULE}/pkg/version.Version={yaml_version()}",
                say,
            )
            stamp["pulumi-language-yaml"] = {"status": "built", "pin": yaml_pin}
        except BuildError as exc:
            # The CLI is still useful without it: only YAML programs need this host.
            say(f"cli: MISSING pulumi-language-yaml: {exc}")
            stamp["pulumi-language-yaml"] = {"status": f"failed: {exc}", "pin": yaml_pin}
        _write_stamp(stamp)

    if _fresh("pulumi-language-python", "pulumi", stamp):
        say("cli: pulumi-language-python is built and current")
    elif stamp.get("pulumi-language-python", {}).get("pin") == pin:
        say(f"cli: pulumi-language-python is unavailable for this pin (see {_stamp_path()})")
    else:
        error = _try_python_host(say)
        if error:
            say(f"cli: MISSING pulumi-language-python, the Go module proxy says:\n{error}")
            say(f"cli: {PYTHON_HOST_NOTE}")
        status = f"unavailable: {error}" if error else "built"
        stamp["pulumi-language-python"] = {"status": status, "pin": pin}
        _write_stamp(stamp)
    say(f"cli: ready: {build_dir() / 'pulumi'}")
    return build_dir() / "pulumi"


def go_tool(wrapper: str, package: str, say: Say = say_stdout) -> Path:
    """A Go tool pinned by its own wrapper module under scripts/cli/ (e.g. `actionlint/`), built
    once per pin into .pulumi-cli/<wrapper>/<pin>/."""
    if shutil.which("go") is None:
        raise BuildError(f"go is not on PATH (https://go.dev/dl/), so {wrapper} cannot be built")
    name = package.rsplit("/", 1)[-1] + (".exe" if os.name == "nt" else "")
    target = CACHE / wrapper / _pin_of(wrapper)[:16] / name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.parent / f".{name}.partial"
    say(f"cli: building {name} from {package} (scripts/cli/{wrapper}) ...")
    try:
        args = ["build", "-mod=readonly", "-trimpath", "-o", str(partial), package]
        proc = _run_go(args, WRAPPERS / wrapper, say, f"building {name}")
        if proc.returncode != 0:
            raise BuildError(f"{name} could not be built from {package}:\n{_go_error(proc)}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def download(root: Path, say: Say) -> Path:
    """Install the official CLI at the pinned version into `root`, printing progress while it runs.

    Any failure removes `root`, so no half-installed CLI is left to be found next time.
    """
    from pulumi.automation import PulumiCommand
    from semver import VersionInfo

    version = VersionInfo.parse(pulumi_version().lstrip("v"))
    outcome: dict[str, object] = {}

    def install() -> None:
        try:
            outcome["cli"] = PulumiCommand.install(root=str(root), version=version)
        except BaseException as exc:  # reported by the caller, one line
            outcome["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=install, daemon=True)
    worker.start()
    while worker.is_alive() and time.monotonic() - started < DOWNLOAD_TIMEOUT:
        worker.join(2.0)
        if worker.is_alive():
            say(f"    ... downloading the Pulumi CLI {version} ({_elapsed(started)})")
    if worker.is_alive():
        outcome["error"] = TimeoutError(f"no answer within {DOWNLOAD_TIMEOUT // 60} minutes")
    if "error" in outcome:
        shutil.rmtree(root, ignore_errors=True)
        error = outcome["error"]
        reason = " ".join(str(error).split()) or type(error).__name__
        raise BuildError(f"the Pulumi CLI could not be downloaded ({reason[:200]})")
    return root / "bin" / "pulumi"


def engine_env(
    cli: Path, backend: Path, passphrase: str, base: Mapping[str, str]
) -> dict[str, str]:
    """`base` made ready for the CLI: a file backend, a passphrase, this interpreter for plugins.

    Drops QBOXMAIL_* so only the stack config configures the provider.
    """
    env = {k: v for k, v in base.items() if not k.startswith("QBOXMAIL_")}
    env.update(
        {
            # The CLI's own directory first: the engine finds its plugins and shims there.
            "PATH": os.pathsep.join([str(cli.parent), env.get("PATH", "")]),
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            # The dynamic provider's plugin runs this interpreter, which has pulumi_qboxmail.
            "PULUMI_PYTHON_CMD": sys.executable,
        }
    )
    return env


def automation_command(cli: Path) -> PulumiCommand:
    """`cli` for the Automation API (which expects it as <root>/bin/pulumi, or on PATH)."""
    from pulumi.automation import PulumiCommand

    if cli.parent.name == "bin":
        return PulumiCommand(root=str(cli.parent.parent))
    return PulumiCommand()


@dataclass
class Found:
    """The outcome of `find_cli`: the CLI's path (None when none could be had) and every attempt."""

    path: Path | None
    attempts: list[str]

    def why(self) -> str:
        """The attempts in one line, for a skip reason or an error."""
        return "; ".join(self.attempts)


def find_cli(
    *, build_with_go: bool, download_to: Path | None = None, say: Say | None = None
) -> Found:
    """A `pulumi` on PATH, else the pinned build, else the official download, else the Go build.

    Each attempt is said in one line. The download is tried only when `download_to` is given
    (the demo); the Go build only when `build_with_go` and `go` is on PATH.
    """
    attempts: list[str] = []

    def attempt(line: str) -> None:
        attempts.append(line)
        if say is not None:
            say(line)

    on_path = shutil.which("pulumi")
    if on_path:
        attempt(f"pulumi on PATH: {on_path}")
        return Found(Path(on_path), attempts)
    attempt("no pulumi on PATH")
    for found in (cached_build(), cached_download()):
        if found is not None:
            attempt(f"using the pinned Pulumi CLI: {found}")
            return Found(found, attempts)
    attempt(f"no pinned build in {CACHE.name}/{pulumi_version()} (`python3 dev.py cli` makes one)")
    if download_to is not None:
        target = download_to / pulumi_version()
        attempt(f"downloading the official Pulumi CLI {pulumi_version()} into {target} ...")
        try:
            path = download(target, say or (lambda _line: None))
        except BuildError as exc:
            attempt(str(exc))
        else:
            attempt(f"downloaded: {path}")
            return Found(path, attempts)
    if not build_with_go:
        return Found(None, attempts)
    if shutil.which("go") is None:
        attempt("no go on PATH to build the CLI from its Go modules")
        return Found(None, attempts)
    attempt(f"building the Pulumi CLI {pulumi_version()} from its Go modules ...")
    try:
        return Found(build(say or (lambda _line: None)), attempts)
    except BuildError as exc:
        attempt(f"the Go build failed: {exc}")
        return Found(None, attempts)


def main(argv: list[str]) -> int:
    """`build` or `find`; see the module docstring."""
    if argv == ["build"]:
        try:
            build()
        except BuildError as exc:
            print(f"cli: {exc}", file=sys.stderr)
            return 1
        return 0
    if argv in (["find"], ["ensure"]):
        found = find_cli(build_with_go=argv == ["ensure"], say=say_stdout)
        if found.path is None:
            print("cli: no Pulumi CLI; the end-to-end tests will skip, saying why", flush=True)
        return 0 if found.path else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
