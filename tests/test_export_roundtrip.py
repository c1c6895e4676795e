"""Adopting an exported fleet changes nothing: 250 live domains, exported, then taken over.

The fleet file goes through examples/fleet under the Pulumi runtime's mocks (as `pulumi up` would
run it), then each registered resource through the real dynamic plugin over gRPC: check and
create, refresh, and the next diff. The python output runs under the same mocks; the import file
is checked against what `pulumi import --file` requires.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TOKEN, clean_env, start_plugin
from plugin import Diff, Plugin
from pulumi_qboxmail.model import MAX_EMAIL_QUOTAS, PULUMI_NAMES
from pulumi_qboxmail.tools.emulator import DEFAULTS, Emulator
from pulumi_qboxmail.tools.export import run

# Imported for its autouse fixture too: every test here starts with a clean Pulumi runtime.
from test_programs import FLEET, ProgramRun, clean_runtime  # noqa: F401

COUNT = 250
NO_CHANGE = Diff("none", [], False)
QUOTAS = sorted(MAX_EMAIL_QUOTAS)


def code_of(i: int) -> str:
    return f"D4{i:08d}"


def name_of(i: int) -> str:
    if i % 40 == 3:
        return "shared.example"  # seven domains share it: their resource names need suffixes
    if i % 50 == 1:
        return f"bücher{i}.de"
    return f"client{i}.example"


def live(i: int) -> dict[str, Any]:
    """Varied settings, as the API returns them (canonical), and the domain's name."""
    return {
        "name": name_of(i),
        "antispam_level": 2 if i % 5 else (i // 5) % 4,
        "allow_nets": [] if i % 3 else [f"10.{i % 11}.0.0/16", f"192.0.2.{i % 200}"],
        "imap_disabled": i % 7 == 0,
        "pop_disabled": i % 2 == 0,  # 125 against 125: the tie goes to false
        "smtp_disabled": i % 13 == 0,
        "webmail_disabled": False,
        "calendar": i % 4 != 0,
        "meeting": i % 9 == 0,
        "activesync": i % 3 == 1,
        "chat": i % 6 != 0,
        "dav": i % 5 == 2,
        "default_quota": (1073741824, 2147483648, 5368709120)[i % 3],
        "max_email_accounts": -1 if i % 4 else 10 + i,
        "max_email_accounts_25gb": i % 3 - 1,
        "max_email_accounts_50gb": -1,
        "max_email_accounts_100gb": 0 if i % 10 == 0 else -1,
        "max_email_accounts_archive": i % 5,
        "max_email_quota": QUOTAS[i % len(QUOTAS)],
    }


def settings_of(domain: dict[str, Any]) -> dict[str, Any]:
    """What a GET returns of a stored domain's settings."""
    return {name: domain[name] for name in DEFAULTS}


def doubles(value: Any) -> Any:
    """A value as the engine carries it: every number a double."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.fixture(scope="module")
def fleet_emulator() -> Iterator[Emulator]:
    emulator = Emulator(token=TOKEN)
    emulator.seed({code_of(i): live(i) for i in range(COUNT)})
    with emulator:
        yield emulator


@pytest.fixture(scope="module")
def fleet_plugin(
    fleet_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Plugin]:
    config = {"qboxmail:apiToken": TOKEN, "qboxmail:endpoint": fleet_emulator.url}
    with start_plugin(tmp_path_factory.mktemp("fleet-plugin"), config) as plugin:
        yield plugin


def export(emulator: Emulator, path: Path, fmt: str) -> Path:
    environ = clean_env(QBOXMAIL_API_TOKEN=TOKEN, QBOXMAIL_ENDPOINT=emulator.url)
    args = ["--format", fmt, "--output", str(path)]
    err = io.StringIO()
    assert run(args, environ=environ, stdout=io.StringIO(), stderr=err, cwd=path.parent) == 0, err
    return path


def test_adopting_the_exported_fleet_sends_the_live_values_and_changes_nothing(
    fleet_emulator: Emulator, fleet_plugin: Plugin, tmp_path: Path
) -> None:
    before = copy.deepcopy(fleet_emulator.domains)
    fleet_emulator.clear_log()
    fleet_file = export(fleet_emulator, tmp_path / "fleet.yaml", "fleet")
    assert [(r.method, r.path) for r in fleet_emulator.requests] == [
        ("GET", f"/api/domains?page={page}&per=100") for page in (1, 2, 3)
    ]
    fleet = yaml.safe_load(fleet_file.read_text())
    assert fleet["policy"]["pop_disabled"] is False and fleet["policy"]["antispam_level"] == 2
    assert sum(1 for d in fleet["domains"] if d["overrides"]) == COUNT  # every domain differs

    # `pulumi up` of examples/fleet with this file: what the program registers.
    program = ProgramRun(
        FLEET, project="qboxmail-fleet", config={"qboxmail-fleet:fleetFile": str(fleet_file)}
    )
    registered = program.execute().inputs()
    assert list(registered) == [d["name"] for d in fleet["domains"]]
    for inputs in registered.values():
        code = inputs["domain_code"]
        assert inputs == {
            "domain_code": code,
            **{k: doubles(v) for k, v in settings_of(before[code]).items()},
        }

    fleet_emulator.clear_log()
    adopted: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
    for name, inputs in registered.items():
        checked, failures = fleet_plugin.check({}, inputs)
        assert failures == [], name
        id_, outs = fleet_plugin.create(checked)
        adopted[id_] = (inputs, checked, outs)
    puts = fleet_emulator.requests
    assert len(puts) == COUNT and {r.path for r in puts} == {f"/api/domains/{c}" for c in before}
    for request in puts:
        code = request.path.rsplit("/", 1)[1]
        assert (request.method, request.body) == ("PUT", settings_of(before[code])), code
    unchanged = {
        code: {k: v for k, v in d.items() if k != "updated_at"} for code, d in before.items()
    }
    assert {
        code: {k: v for k, v in d.items() if k != "updated_at"}
        for code, d in fleet_emulator.domains.items()
    } == unchanged

    fleet_emulator.clear_log()
    for id_, (inputs, checked, outs) in adopted.items():
        read_id, refreshed, _ = fleet_plugin.read(id_, outs, inputs=checked)
        assert (read_id, refreshed) == (id_, outs), id_
        rechecked, _ = fleet_plugin.check(checked, inputs)
        assert fleet_plugin.diff(id_, refreshed, rechecked, old_inputs=checked) == NO_CHANGE, id_
    assert [r.method for r in fleet_emulator.requests] == ["GET"] * COUNT


def test_the_exported_program_registers_every_domain_with_its_live_settings(
    fleet_emulator: Emulator, tmp_path: Path
) -> None:
    program = export(fleet_emulator, tmp_path / "__main__.py", "python")
    fleet = yaml.safe_load(export(fleet_emulator, tmp_path / "fleet.yaml", "fleet").read_text())
    registered = ProgramRun(tmp_path, project="adopted").execute().inputs()
    assert program.read_text().count("QboxDomainSettings(\n") == COUNT
    assert [(name, inputs["domain_code"]) for name, inputs in registered.items()] == [
        (d["name"], d["code"]) for d in fleet["domains"]
    ]
    for name, inputs in registered.items():
        stored = fleet_emulator.domains[inputs["domain_code"]]
        expected = {k: doubles(v) for k, v in settings_of(stored).items()}
        assert inputs == {"domain_code": inputs["domain_code"], **expected}, name


def test_the_import_file_has_what_pulumi_import_file_requires(
    fleet_emulator: Emulator, tmp_path: Path
) -> None:
    document = json.loads(export(fleet_emulator, tmp_path / "import.json", "import").read_text())
    fleet = yaml.safe_load(export(fleet_emulator, tmp_path / "fleet.yaml", "fleet").read_text())
    assert list(document) == ["resources"]
    resources = document["resources"]
    # `pulumi import --file` needs a type, a name and an id on each, and names that are unique.
    assert [(r["name"], r["id"]) for r in resources] == [
        (d["name"], d["code"]) for d in fleet["domains"]
    ]
    properties = ["domainCode", *(PULUMI_NAMES[name] for name in DEFAULTS if name in PULUMI_NAMES)]
    for resource in resources:
        assert list(resource) == ["type", "name", "id", "properties"]
        assert resource["type"] == "qboxmail:index:DomainSettings"
        assert sorted(resource["properties"]) == sorted(properties)
    names = [r["name"] for r in resources]
    assert len(set(names)) == COUNT
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)
    shared = [r["name"] for r in resources if r["name"].startswith("shared-example")]
    assert shared == ["shared-example", *(f"shared-example-{n}" for n in range(2, 8))]
    assert {"client7-example", "xn-bcher51-n2a-de"} <= set(names)


def test_the_import_file_imports_through_the_native_plugin_with_no_change(
    fleet_emulator: Emulator, tmp_path: Path
) -> None:
    from native_plugin import NativeDiff, Secret, start_native

    document = json.loads(export(fleet_emulator, tmp_path / "import.json", "import").read_text())
    config = {"apiToken": Secret(TOKEN), "endpoint": fleet_emulator.url}
    with start_native(tmp_path, config, clean_env()) as plugin:
        for resource in document["resources"][::25]:
            fleet_emulator.clear_log()
            # What `pulumi import --file` does per resource: Read by id alone, then Check of
            # the listed properties of what Read returned, then (next up) Diff.
            code, props, inputs = plugin.read(resource["id"])
            assert [(r.method, r.path) for r in fleet_emulator.requests] == [
                ("GET", f"/api/domains/{resource['id']}")
            ]
            listed = {k: v for k, v in inputs.items() if k in resource["properties"]}
            assert listed == inputs, "the import file lists every property Read returns"
            checked, failures = plugin.check(listed, listed)
            assert (code, failures) == (resource["id"], [])
            assert plugin.diff(code, props, checked) == NativeDiff("none", [], {})
