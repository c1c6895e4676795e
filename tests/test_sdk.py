"""The generated SDKs in sdk/: they match the schema, and each builds as its users build it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import sdkgen
from sdk_support import ROOT, node_project

from pulumi_qboxmail.model import PULUMI_NAMES, RULES
from pulumi_qboxmail.schema import GO_IMPORT_PATH, NPM_PACKAGE, PYTHON_PACKAGE, package_schema

WIDE = {"maxEmailQuota", "defaultQuota"}


def test_sdk_matches_what_the_schema_generates() -> None:
    if shutil.which("go") is None and not sdkgen.cached_generator():
        pytest.skip("no go on PATH to build the SDK generator (scripts/sdkgen)")
    assert sdkgen.differences(sys.executable, lambda _line: None) == [], (
        "sdk/ is stale: run `python3 dev.py sdk`"
    )


def test_quotas_past_32_bits_are_numbers_and_every_other_integer_fits_32_bits() -> None:
    properties = package_schema()["resources"]["qboxmail:index:DomainSettings"]["inputProperties"]
    assert {name for name, spec in properties.items() if spec["type"] == "number"} == WIDE
    # The rule still demands a whole number: 1.5 is refused however the schema types it.
    by_pulumi_name = {pulumi: name for name, pulumi in PULUMI_NAMES.items()}
    with pytest.raises(ValueError, match="must be a whole number"):
        RULES[by_pulumi_name["defaultQuota"]].normalize(1.5)


def test_the_package_coordinates_are_the_ones_the_readme_gives() -> None:
    language = package_schema()["language"]
    assert language["nodejs"]["packageName"] == NPM_PACKAGE == "@pulumi-qboxmail/qboxmail"
    assert language["go"]["importBasePath"] == GO_IMPORT_PATH
    assert GO_IMPORT_PATH == "github.com/pulumi-qboxmail/pulumi-qboxmail/sdk/go/qboxmail"
    assert language["python"]["packageName"] == PYTHON_PACKAGE == "pulumi_qboxmail_sdk"
    assert language["csharp"]["rootNamespace"] == "PulumiQboxmail"
    module = (ROOT / "sdk" / "go.mod").read_text(encoding="utf-8").splitlines()[0]
    assert GO_IMPORT_PATH.startswith(module.removeprefix("module ") + "/")
    readme = ROOT / "README.md"
    for name in (NPM_PACKAGE, GO_IMPORT_PATH, "pulumi-qboxmail-sdk", "PulumiQboxmail.Qboxmail"):
        assert name in readme.read_text(encoding="utf-8"), name


def test_the_typescript_sdk_and_example_compile_with_tsc() -> None:
    project = node_project()  # npm ci from the committed lockfile, then tsc on both
    package = project / "node_modules" / "@pulumi-qboxmail" / "qboxmail"
    assert (package / "domainSettings.d.ts").exists()
    assert json.loads((package / "package.json").read_text())["name"] == NPM_PACKAGE
    assert (project / "bin" / "index.js").exists()


def test_the_go_sdk_and_example_pass_go_vet_and_build() -> None:
    if shutil.which("go") is None:
        pytest.skip("no go on PATH, so the Go SDK cannot be built here")
    for module in (ROOT / "sdk", ROOT / "examples" / "go"):
        for command in (["vet", "./..."], ["build", "./..."]):
            proc = subprocess.run(
                ["go", *command], cwd=module, capture_output=True, text=True, check=False
            )
            assert proc.returncode == 0, f"go {' '.join(command)} in {module}:\n{proc.stderr}"


def test_the_python_sdk_installs_into_a_fresh_venv_and_imports(tmp_path: Path) -> None:
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    source = shutil.copytree(ROOT / "sdk" / "python", tmp_path / "src")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", source],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    probe = (
        "import importlib.metadata as m, pulumi_qboxmail_sdk as q; "
        "print(m.version('pulumi-qboxmail-sdk'), q.DomainSettings.__name__, q.Provider.__name__)"
    )
    shown = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown == [package_schema()["version"], "DomainSettings", "Provider"]
