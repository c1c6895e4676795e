"""scripts/pulumi_cli.py: the pin, when the pinned build counts as current, and the lookup order.

The build itself is exercised by `python3 dev.py cli` (and CI); here the logic around it, with
the cache pointed at a temporary directory, plus one YAML program on whatever CLI was found.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pulumi._version import version as sdk_version
from semver import VersionInfo

import pulumi_cli
from e2e_support import CliEnv


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty .pulumi-cli/ and a PATH with neither pulumi nor go on it."""
    root = tmp_path / ".pulumi-cli"
    monkeypatch.setattr(pulumi_cli, "CACHE", root)
    monkeypatch.setattr(pulumi_cli, "DOWNLOADS", root / "download")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return root


def fake_build(pin: str) -> Path:
    """Executables where the pinned build goes, and a stamp recording them at `pin`."""
    bin_dir = pulumi_cli.build_dir()
    bin_dir.mkdir(parents=True)
    stamp = {}
    for name in ("pulumi", *pulumi_cli.SHIMS):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(stat.S_IRWXU)
        stamp[name] = {"status": "built", "pin": pin}
    (bin_dir.parent / "build.json").write_text(json.dumps(stamp))
    return bin_dir / "pulumi"


def test_the_pin_is_the_wrapper_modules_version_and_not_older_than_the_python_sdk() -> None:
    pinned = pulumi_cli.pulumi_version()
    assert pinned == "v3.274.1"
    assert VersionInfo.parse(pinned.lstrip("v")) >= VersionInfo.parse(str(sdk_version))
    assert pulumi_cli.yaml_version() == "v1.25.0"


def test_a_build_at_the_current_pin_is_found_and_one_at_another_pin_is_not(cache: Path) -> None:
    built = fake_build(pulumi_cli._pin_of("pulumi"))
    assert pulumi_cli.cached_build() == built
    found = pulumi_cli.find_cli(build_with_go=False)
    assert found.path == built
    assert found.attempts == ["no pulumi on PATH", f"using the pinned Pulumi CLI: {built}"]

    stamp = json.loads((built.parent.parent / "build.json").read_text())
    stamp["pulumi"]["pin"] = "an older go.sum"
    (built.parent.parent / "build.json").write_text(json.dumps(stamp))
    assert pulumi_cli.cached_build() is None


def test_a_pulumi_on_path_comes_first(cache: Path, tmp_path: Path) -> None:
    fake_build(pulumi_cli._pin_of("pulumi"))
    on_path = tmp_path / "empty-path" / "pulumi"
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(stat.S_IRWXU)
    found = pulumi_cli.find_cli(build_with_go=True)
    assert found.path == on_path
    assert found.attempts == [f"pulumi on PATH: {on_path}"]


def test_without_path_cache_or_go_the_lookup_says_each_attempt_and_finds_nothing(
    cache: Path,
) -> None:
    found = pulumi_cli.find_cli(build_with_go=True)
    assert found.path is None
    version = pulumi_cli.pulumi_version()
    assert found.attempts == [
        "no pulumi on PATH",
        f"no pinned build in .pulumi-cli/{version} (`python3 dev.py cli` makes one)",
        "no go on PATH to build the CLI from its Go modules",
    ]
    assert found.why() == "; ".join(found.attempts)


def test_building_without_go_says_so_and_creates_nothing(cache: Path) -> None:
    with pytest.raises(pulumi_cli.BuildError) as failed:
        pulumi_cli.build(lambda _line: None)
    assert str(failed.value) == "go is not on PATH (https://go.dev/dl/), so the CLI cannot be built"
    assert not cache.exists()


@pytest.mark.cli
def test_the_cli_runs_a_yaml_program_through_its_yaml_language_host(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    project = tmp_path / "yaml-program"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: yaml-smoke\nruntime: yaml\noutputs:\n  greeting: hello\n", encoding="utf-8"
    )
    cli_env.run("stack", "init", "e2e", cwd=project)
    up = cli_env.run("up", "--yes", cwd=project)
    assert 'greeting: "hello"' in up.stdout
    assert json.loads(cli_env.run("stack", "output", "--json", cwd=project).stdout) == {
        "greeting": "hello"
    }
    # The stack lives in the test's own file backend, nowhere else.
    assert (cli_env.home / "backend" / ".pulumi" / "stacks").is_dir()
