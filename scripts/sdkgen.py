#!/usr/bin/env python3
"""The generated SDKs in sdk/: built with the pinned generator in scripts/sdkgen/, and compared.

python3 scripts/sdkgen.py write   # `dev.py sdk`: regenerate sdk/nodejs, sdk/go and sdk/python
python3 scripts/sdkgen.py check   # exit 1, naming the files, when sdk/ differs from the schema
python3 scripts/sdkgen.py node    # npm ci in examples/typescript, then build sdk/nodejs into it

The generator is a small Go program calling pkg/v3's own code generators, pinned by its go.mod
and go.sum at the CLI's version (so the module cache the CLI build warmed serves it). It is
built once per pin into .pulumi-cli/sdkgen/<pin>/. The schema is `python -m pulumi_qboxmail.schema`
run by the interpreter given (the one with this checkout installed).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pulumi_cli import CACHE, BuildError, Say, _go_error, _run_go, say_stdout

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "scripts" / "sdkgen"
SDK = ROOT / "sdk"
LANGUAGES = ("nodejs", "go", "python")
# What building or installing an SDK leaves beside the generated files; never compared.
BUILD_LEFTOVERS = {"node_modules", "bin", "build", "dist", "__pycache__"}


def _pin() -> str:
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update(name.encode() + b"\0" + (SOURCE / name).read_bytes())
    return digest.hexdigest()[:16]


def cached_generator() -> Path | None:
    """The generator binary for the current pin, if it is built."""
    target = CACHE / "sdkgen" / _pin() / "sdkgen"
    return target if target.exists() else None


def generator(say: Say = say_stdout) -> Path:
    """The generator binary for the current pin, built now if missing."""
    target = CACHE / "sdkgen" / _pin() / "sdkgen"
    if target.exists():
        return target
    if shutil.which("go") is None:
        raise BuildError("go is not on PATH (https://go.dev/dl/), so sdkgen cannot be built")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(".sdkgen.partial")
    say(f"sdkgen: building {target.relative_to(ROOT)} ...")
    proc = _run_go(
        ["build", "-mod=readonly", "-trimpath", "-o", str(partial), "."],
        SOURCE,
        say,
        "building sdkgen",
    )
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BuildError(f"sdkgen could not be built:\n{_go_error(proc)}")
    partial.replace(target)
    return target


def generate(python: str, out: Path, say: Say = say_stdout) -> None:
    """Write the three SDKs of the schema that `python` prints into out/<language>."""
    schema = subprocess.run(
        [python, "-m", "pulumi_qboxmail.schema"], capture_output=True, text=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix="sdkgen-") as tmp:
        spec = Path(tmp) / "schema.json"
        spec.write_text(schema, encoding="utf-8")
        proc = subprocess.run(
            [str(generator(say)), str(spec), str(out)], capture_output=True, text=True, check=False
        )
    if proc.returncode != 0:
        raise BuildError(proc.stderr.strip() or f"sdkgen exited {proc.returncode}")


def _files(root: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        leftover = any(
            part in BUILD_LEFTOVERS or part.endswith(".egg-info") for part in relative.parts
        )
        if path.is_file() and not path.is_symlink() and not leftover:
            found[relative.as_posix()] = path.read_bytes()
    return found


def differences(python: str, say: Say = say_stdout) -> list[str]:
    """Every file of sdk/<language> that differs from a fresh generation, or is missing or extra."""
    with tempfile.TemporaryDirectory(prefix="sdk-") as tmp:
        fresh = Path(tmp)
        generate(python, fresh, say)
        found: list[str] = []
        for language in LANGUAGES:
            want, have = _files(fresh / language), _files(SDK / language)
            for name in sorted(want.keys() | have.keys()):
                if name not in have:
                    found.append(f"sdk/{language}/{name}: missing")
                elif name not in want:
                    found.append(f"sdk/{language}/{name}: not generated")
                elif want[name] != have[name]:
                    found.append(f"sdk/{language}/{name}: differs")
        return found


def write(python: str, say: Say = say_stdout) -> None:
    """Replace sdk/<language> with a fresh generation (sdk/go.mod and go.sum stay)."""
    with tempfile.TemporaryDirectory(prefix="sdk-", dir=ROOT) as tmp:
        generate(python, Path(tmp), say)
        for language in LANGUAGES:
            shutil.rmtree(SDK / language, ignore_errors=True)
            shutil.move(Path(tmp) / language, SDK / language)
            say(f"sdkgen: wrote sdk/{language}")


NODE_PROJECT = ROOT / "examples" / "typescript"
NODE_PACKAGE = NODE_PROJECT / "node_modules" / "@pulumi-qboxmail" / "qboxmail"


def _npm_stamp() -> Path:
    return NODE_PROJECT / "node_modules" / ".qboxmail-lock.sha256"


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise BuildError(f"{what} failed ({' '.join(cmd)}):\n{tail}")


def node(say: Say = say_stdout) -> Path:
    """examples/typescript installed from its lockfile, with sdk/nodejs built into its modules.

    The SDK is built as it would be published (tsc against the project's pinned @pulumi/pulumi,
    package.json beside the JavaScript) and placed where `npm install @pulumi-qboxmail/qboxmail`
    would put it, so the program and the SDK share one @pulumi/pulumi. Returns the project.
    """
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} is not on PATH (https://nodejs.org/), so no TypeScript")
    lock = hashlib.sha256((NODE_PROJECT / "package-lock.json").read_bytes()).hexdigest()
    stamp = _npm_stamp()
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != lock:
        say("sdkgen: npm ci in examples/typescript ...")
        _run(["npm", "ci", "--no-audit", "--no-fund"], NODE_PROJECT, "npm ci")
        stamp.write_text(lock, encoding="utf-8")
    tsc = str(NODE_PROJECT / "node_modules" / ".bin" / "tsc")
    # Sources inside node_modules, so tsc resolves @pulumi/pulumi and @types/node from there.
    sources = NODE_PROJECT / "node_modules" / ".qboxmail-sdk-src"
    shutil.rmtree(sources, ignore_errors=True)
    shutil.rmtree(NODE_PACKAGE, ignore_errors=True)
    shutil.copytree(SDK / "nodejs", sources)
    say("sdkgen: tsc sdk/nodejs ...")
    _run([tsc, "-p", str(sources), "--outDir", str(NODE_PACKAGE)], NODE_PROJECT, "tsc sdk/nodejs")
    shutil.copyfile(sources / "package.json", NODE_PACKAGE / "package.json")
    say("sdkgen: tsc examples/typescript ...")
    _run([tsc, "-p", str(NODE_PROJECT)], NODE_PROJECT, "tsc examples/typescript")
    return NODE_PROJECT


def main(argv: list[str]) -> int:
    """`write` or `check`, with the interpreter that has the package (default: this one)."""
    python = argv[1] if len(argv) > 1 else sys.executable
    try:
        if argv[:1] == ["write"]:
            write(python)
            return 0
        if argv[:1] == ["node"]:
            node()
            return 0
        if argv[:1] == ["check"]:
            found = differences(python)
            print("\n".join(found) or "sdkgen: sdk/ matches the schema")
            return 1 if found else 0
    except BuildError as exc:
        print(f"sdkgen: {exc}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
