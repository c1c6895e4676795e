"""The release's one version and its download URL reach every place that names them.

The license and the changelog are checked here too: they are what a release carries beside it.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import metadata
from pathlib import Path

import tomllib

from pulumi_qboxmail import client, schema
from pulumi_qboxmail.version import PLUGIN_DOWNLOAD_URL, VERSION, plugin_json

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_JSON = ROOT / "provider" / "pulumi_qboxmail" / "pulumi-plugin.json"
OUR_SERVER = "github://api.github.com/pulumi-qboxmail"
# sha256 of https://www.apache.org/licenses/LICENSE-2.0.txt, as PyPI packages ship it verbatim.
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_the_schema_carries_the_version_and_our_download_url() -> None:
    package = schema.package_schema()
    assert package["version"] == VERSION
    assert package["pluginDownloadURL"] == OUR_SERVER
    assert package["repository"] == "https://github.com/pulumi-qboxmail/pulumi-qboxmail"


def test_pulumi_plugin_json_names_the_version_and_our_server() -> None:
    shipped = json.loads(PLUGIN_JSON.read_text(encoding="utf-8"))
    assert shipped == {
        "resource": False,
        "name": "qboxmail",
        "version": VERSION,
        "server": OUR_SERVER,
    }
    assert PLUGIN_JSON.read_text(encoding="utf-8") == plugin_json(), "run `python3 dev.py docs`"


def test_the_installed_package_the_user_agent_and_the_plugin_report_one_version() -> None:
    assert metadata.version("pulumi-qboxmail") == VERSION
    assert client.USER_AGENT.startswith(f"pulumi-qboxmail/{VERSION} ")
    assert schema.version() == VERSION
    installed = json.loads(
        (Path(schema.__file__).parent / "pulumi-plugin.json").read_text(encoding="utf-8")
    )
    assert installed["version"] == VERSION


def test_the_version_is_declared_once_and_pyproject_reads_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "pulumi_qboxmail.version.VERSION"
    sources = [*(ROOT / "provider").rglob("*.py"), ROOT / "pyproject.toml"]
    declaring = [p.name for p in sources if re.search(rf'"{re.escape(VERSION)}"', p.read_text())]
    assert declaring == ["version.py"]


def test_the_owner_the_engine_downloads_from_is_ours_not_pulumis() -> None:
    assert PLUGIN_DOWNLOAD_URL == OUR_SERVER
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "github.com/pulumi-qboxmail/pulumi-qboxmail" in readme
    assert "pulumi/pulumi-qboxmail" not in readme


def test_the_license_is_the_full_apache_2_text_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_SHA256
    assert b"END OF TERMS AND CONDITIONS" in text


def test_the_changelog_is_keep_a_changelog_from_0_1_0_with_the_current_version_on_top() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert releases[0] == "Unreleased"
    assert releases[1] == VERSION
    assert releases[-1] == "0.1.0"
    for name in releases:
        assert re.search(
            rf"^\[{re.escape(name)}\]: https://github\.com/pulumi-qboxmail/", text, re.M
        )
