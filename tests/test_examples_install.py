"""The examples install from a checkout, as the README says: `pip install -r requirements.txt`.

Each test runs that very command from the example's directory, with a fresh virtualenv's pip,
and checks what Pulumi looks for: the package in that environment's own site-packages, not
editable, with its pulumi-plugin.json beside it (an editable install hides it, and Pulumi would
then try to download a "qboxmail" plugin that does not exist). Offline: the fresh environment
sees the test environment's packages through a .pth file, pip may not use an index, and the
package is built with the setuptools already there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "provider" / "pulumi_qboxmail"
COMMAND = "pip install -r requirements.txt"


def fresh_environment(where: Path) -> Path:
    """A new virtualenv that sees this one's packages (and pip) behind its own; its python."""
    venv.create(where, with_pip=False)
    python = where / "bin" / "python"
    own_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    Path(own_site, "test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def inspect(python: Path) -> dict[str, object]:
    """What the fresh environment's python sees of pulumi-qboxmail, as Pulumi looks for it."""
    script = """
import importlib.metadata, json, subprocess, sys, sysconfig
import pulumi_qboxmail
dist = importlib.metadata.distribution("pulumi-qboxmail")
listed = json.loads(subprocess.run([sys.executable, "-m", "pip", "list", "-v", "--format", "json"],
                                   capture_output=True, text=True, check=True).stdout)
[entry] = [p for p in listed if p["name"] == "pulumi-qboxmail"]
print(json.dumps({
    "module": pulumi_qboxmail.__file__,
    "site": sysconfig.get_paths()["purelib"],
    "files": sorted(str(f) for f in dist.files if str(f).startswith("pulumi_qboxmail/")),
    "plugin": str(dist.locate_file("pulumi_qboxmail/pulumi-plugin.json")),
    "direct_url": json.loads(dist.read_text("direct_url.json") or "{}"),
    "pip_list": entry,
}))
"""
    done = subprocess.run(
        [python, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_the_readme_documents_the_command_and_the_examples_path() -> None:
    quickstart = (ROOT / "README.md").read_text().split("## Quickstart", 1)[1].split("---", 1)[0]
    assert f"`{COMMAND}`" in quickstart
    assert "beside the quickstart" in quickstart and "`../..`" in quickstart


@pytest.mark.parametrize("example", ["quickstart", "fleet"])
def test_pip_install_r_requirements_in_an_example_installs_this_checkout_with_its_plugin_json(
    tmp_path: Path, example: str
) -> None:
    python = fresh_environment(tmp_path / "venv")
    # A module an earlier in-tree build left behind: it must not ship (tools/build_backend.py).
    stale = ROOT / "build" / "lib" / "pulumi_qboxmail" / "stale_module.py"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("STALE = True\n")
    env = {
        **os.environ,
        "PIP_NO_INDEX": "1",  # offline: every dependency is already in the test environment
        "PIP_NO_BUILD_ISOLATION": "0",  # pip's spelling of "no build isolation": build offline
        "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }

    done = subprocess.run(
        [python, "-m", *COMMAND.split()],
        cwd=ROOT / "examples" / example,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen = inspect(python)
    site = Path(str(seen["site"]))
    assert Path(str(seen["module"])) == site / "pulumi_qboxmail" / "__init__.py"
    assert seen["direct_url"] == {"url": ROOT.as_uri(), "dir_info": {}}  # not editable
    pip_list = seen["pip_list"]
    assert isinstance(pip_list, dict)
    assert Path(pip_list["location"]) == site and "editable_project_location" not in pip_list
    plugin = Path(str(seen["plugin"]))
    assert plugin == site / "pulumi_qboxmail" / "pulumi-plugin.json"
    assert json.loads(plugin.read_text()) == json.loads(
        (PACKAGE / "pulumi-plugin.json").read_text()
    )
    shipped = {name.removeprefix("pulumi_qboxmail/") for name in seen["files"]}  # type: ignore[attr-defined]
    # Every file of the core and of its subpackages (dynamic/, native/, tools/), and nothing else.
    expected = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {name for name in shipped if not name.endswith(".pyc")} == expected
