#!/usr/bin/env python3
"""The release's artefacts, as `python3 dev.py dist` and the release workflow build them.

python scripts/dist.py          # dist/: wheel, sdist (both `twine check`ed), this platform's plugin
python scripts/dist.py plugin   # dist/: only this platform's plugin tarball (the workflow's matrix)

The plugin is `pulumi-resource-qboxmail` frozen by PyInstaller into one executable that needs
no Python, packed with LICENSE as `pulumi-resource-qboxmail-v<version>-<os>-<arch>.tar.gz`, the
name and layout `pulumi plugin install resource qboxmail v<version> --file` and the engine's
github:// download expect. Run it with the interpreter that has the package and the `dist` extra
installed (dev.py's .venv). The executable is cached under .dist-cache/, keyed on everything
that goes into it, so a rebuild happens only when the package, its dependencies or the recipe
change.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
CACHE = ROOT / ".dist-cache"
PACKAGE = ROOT / "provider" / "pulumi_qboxmail"
PLUGIN = "pulumi-resource-qboxmail"
ENTRY = "from pulumi_qboxmail.native import main\n\nmain()\n"
PYINSTALLER = [
    "--onefile",
    "--noconfirm",
    "--clean",
    "--log-level=WARN",
    # Symbols stripped and an unused optional import left out: half the size, so half the
    # unpacking at every start (measured: 48.5 MB and about 5 s before; see tests/README.md).
    "--strip",
    "--exclude-module=cryptography",
    # Time zone names are validated against tzdata's own list, read as package data.
    "--collect-data=tzdata",
]
OS_NAMES = {"Linux": "linux", "Darwin": "darwin", "Windows": "windows"}
ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class DistError(Exception):
    """An artefact could not be built; the message says which and why."""


def version() -> str:
    """The release's version, read from its one declaration without importing the package."""
    scope: dict[str, object] = {}
    exec((PACKAGE / "version.py").read_text(encoding="utf-8"), scope)
    return str(scope["VERSION"])


def target() -> tuple[str, str]:
    """This machine as Pulumi names a plugin's platform: (linux|darwin|windows, amd64|arm64)."""
    system, machine = platform.system(), platform.machine()
    if system not in OS_NAMES or machine.lower() not in ARCH_NAMES:
        raise DistError(f"no Pulumi plugin platform for {system}/{machine}")
    return OS_NAMES[system], ARCH_NAMES[machine.lower()]


def tarball_name(os_name: str, arch: str) -> str:
    """The release asset the engine downloads for one platform."""
    return f"{PLUGIN}-v{version()}-{os_name}-{arch}.tar.gz"


def executable_name() -> str:
    """The plugin's file name inside the tarball on this platform."""
    return PLUGIN + (".exe" if os.name == "nt" else "")


def _tree_digest(package: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def binary_key() -> str:
    """What the frozen plugin is made of: the package's files, every installed distribution,
    this interpreter and platform, and the recipe above.

    PyInstaller freezes the installed package, so it must be this checkout's, file for file.
    """
    spec = importlib.util.find_spec("pulumi_qboxmail")
    if spec is None or spec.origin is None:
        raise DistError(f"pulumi_qboxmail is not installed in {sys.executable}")
    installed = _tree_digest(Path(spec.origin).parent)
    if installed != _tree_digest(PACKAGE):
        raise DistError(
            f"the pulumi_qboxmail installed in {sys.executable} is not this checkout's; "
            "reinstall it (pip install --no-deps --force-reinstall .)"
        )
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    recipe = [installed, sys.version, platform.platform(), ENTRY, *PYINSTALLER, *dists]
    return hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]


def plugin_binary() -> Path:
    """The frozen plugin for the current sources, built with PyInstaller unless cached."""
    cached = CACHE / f"plugin-{binary_key()}" / executable_name()
    if cached.exists():
        print(f"dist: {PLUGIN} is current: {cached.relative_to(ROOT)}", flush=True)
        return cached
    try:
        metadata.version("pyinstaller")
    except metadata.PackageNotFoundError:
        raise DistError(f"PyInstaller is not installed in {sys.executable}") from None
    CACHE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="plugin-", dir=CACHE) as tmp:
        work = Path(tmp)
        entry = work / "entry.py"
        entry.write_text(ENTRY, encoding="utf-8")
        print(f"dist: freezing {PLUGIN} with PyInstaller ...", flush=True)
        cmd = [sys.executable, "-m", "PyInstaller", *PYINSTALLER, f"--name={PLUGIN}"]
        cmd += [f"--distpath={work / 'out'}", f"--workpath={work / 'build'}"]
        proc = subprocess.run(
            [*cmd, f"--specpath={work}", str(entry)],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-15:])
            raise DistError(f"PyInstaller failed:\n{tail}")
        # Published whole or not at all: a second build racing this one finds a complete file.
        cached.parent.mkdir(exist_ok=True)
        os.replace(work / "out" / executable_name(), cached)
    print(f"dist: built {cached.relative_to(ROOT)} ({cached.stat().st_size} bytes)", flush=True)
    return cached


def _member(name: str, data: bytes, mode: int) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    return info, io.BytesIO(data)


def plugin_tarball(outdir: Path) -> Path:
    """This platform's plugin tarball in `outdir`: the executable and LICENSE, nothing else.

    Member order, owners and times are fixed, so the same executable gives the same bytes.
    """
    binary = plugin_binary()
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / tarball_name(*target())
    partial = outdir / f".{path.name}.partial"
    members = [
        _member(executable_name(), binary.read_bytes(), 0o755),
        _member("LICENSE", (ROOT / "LICENSE").read_bytes(), 0o644),
    ]
    with (
        open(partial, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for info, data in members:
            tar.addfile(info, data)
    os.replace(partial, path)
    print(f"dist: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return path


def python_packages(outdir: Path) -> list[Path]:
    """The wheel and the sdist in `outdir`, built from this checkout and `twine check`ed."""
    outdir.mkdir(parents=True, exist_ok=True)
    # No isolation: the build backend and setuptools come from the dev environment, pinned by it.
    build = [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel"]
    subprocess.run([*build, f"--outdir={outdir}", str(ROOT)], check=True)
    built = sorted(outdir.glob(f"pulumi_qboxmail-{version()}[-.]*"))
    subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, built)], check=True
    )
    return built


def main(argv: list[str]) -> int:
    """Build what the arguments ask for into dist/; see the module docstring."""
    if argv not in ([], ["plugin"]):
        print(__doc__, file=sys.stderr)
        return 2
    shutil.rmtree(DIST, ignore_errors=True)
    try:
        if not argv:
            python_packages(DIST)
        plugin_tarball(DIST)
    except (DistError, subprocess.CalledProcessError) as exc:
        print(f"dist: {exc}", file=sys.stderr)
        return 1
    for path in sorted(DIST.iterdir()):
        print(f"dist: {path.name} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
