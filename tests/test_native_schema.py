"""The native plugin's package schema: generated from the model, served by GetSchema.

The schema is checked against Pulumi's own metaschema (`pkg/codegen/schema/pulumi.json` of the
pulumi/pkg Go module, found in the Go module cache that `python3 dev.py cli` fills); without it,
that one test skips and says so.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import clean_env
from native_plugin import NativePlugin
from pulumi_qboxmail.config import OPTIONS
from pulumi_qboxmail.model import FIELDS, PULUMI_NAMES, SECRET_FIELDS
from pulumi_qboxmail.schema import package_schema

TOKEN_TYPE = "qboxmail:index:DomainSettings"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with NativePlugin(cwd=tmp_path_factory.mktemp("schema"), env=clean_env()) as plugin:
        yield plugin.schema()


def test_get_schema_serves_what_the_schema_command_prints(served: dict[str, Any]) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "pulumi_qboxmail.schema"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert json.loads(printed) == served == package_schema()


def test_every_field_appears_exactly_once_under_its_camel_case_name(
    served: dict[str, Any],
) -> None:
    resource = served["resources"][TOKEN_TYPE]
    for section in ("inputProperties", "properties"):
        names = list(resource[section])
        assert Counter(names) == Counter(PULUMI_NAMES[f] for f in FIELDS)
        assert len(names) == len(FIELDS) == 55
    assert resource["requiredInputs"] == resource["required"] == ["domainCode"]
    picked = {api: PULUMI_NAMES[api] for api in (
        "antispam_level", "allow_nets", "max_email_accounts_25gb", "limit_tracemail_21_days",
        "domain_code", "postmaster_password_confirmation", "webmail_timezone",
    )}  # fmt: skip
    assert picked == {
        "antispam_level": "antispamLevel",
        "allow_nets": "allowNets",
        "max_email_accounts_25gb": "maxEmailAccounts25gb",
        "limit_tracemail_21_days": "limitTracemail21Days",
        "domain_code": "domainCode",
        "postmaster_password_confirmation": "postmasterPasswordConfirmation",
        "webmail_timezone": "webmailTimezone",
    }


def test_properties_carry_type_description_and_secrecy(served: dict[str, Any]) -> None:
    props = served["resources"][TOKEN_TYPE]["inputProperties"]
    assert props["antispamLevel"] == {
        "type": "integer",
        "description": "Antispam level. Rule: must be one of 0 (disabled), 1 (permissive), "
        "2 (standard), 3 (aggressive).",
    }
    assert props["allowNets"]["type"] == "array"
    assert props["allowNets"]["items"] == {"type": "string"}
    assert props["forceOtp"]["type"] == "boolean"
    assert props["plan"]["type"] == "string"
    secret = sorted(name for name, spec in props.items() if spec.get("secret"))
    assert secret == sorted(PULUMI_NAMES[f] for f in SECRET_FIELDS)
    assert all(spec["description"] for spec in props.values())


def test_provider_config_is_the_options_with_the_token_secret(served: dict[str, Any]) -> None:
    keys = [option.key for option in OPTIONS]
    assert list(served["config"]["variables"]) == keys
    assert list(served["provider"]["inputProperties"]) == keys
    assert served["config"]["variables"]["apiToken"]["secret"] is True
    assert "QBOXMAIL_READ_TIMEOUT" in served["config"]["variables"]["readTimeout"]["description"]
    assert "version" not in served["provider"]["inputProperties"]  # reserved by the engine


def test_the_python_sdk_name_does_not_collide_with_this_package(served: dict[str, Any]) -> None:
    assert served["name"] == "qboxmail"
    assert served["language"]["python"]["packageName"] == "pulumi_qboxmail_sdk"
    assert served["version"] == _installed_version()


def _installed_version() -> str:
    from importlib import metadata

    return metadata.version("pulumi-qboxmail")


def _metaschema() -> Path | None:
    cache = os.environ.get("GOMODCACHE") or str(Path.home() / "go" / "pkg" / "mod")
    found = sorted(
        glob.glob(f"{cache}/github.com/pulumi/pulumi/pkg/v3@*/codegen/schema/pulumi.json")
    )
    return Path(found[-1]) if found else None


def test_the_schema_has_the_structure_of_pulumis_metaschema(served: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    path = _metaschema()
    if path is None:
        pytest.skip(
            "Pulumi's metaschema (pkg/v3/codegen/schema/pulumi.json) is not in the Go module "
            "cache; `python3 dev.py cli` downloads it"
        )
    # Python's re has no (?<name>...) groups; the metaschema's version pattern uses them.
    meta = json.loads(path.read_text(encoding="utf-8").replace("(?<", "(?P<"))
    validator = jsonschema.Draft202012Validator(meta)
    errors = sorted(validator.iter_errors(served), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []
    bad = json.loads(json.dumps(served))
    bad["resources"]["qboxmail:DomainSettings"] = bad["resources"].pop(TOKEN_TYPE)
    assert list(validator.iter_errors(bad)), "the metaschema must reject a two-part token"


def test_the_yaml_example_uses_only_schema_properties_and_passes_check(
    served: dict[str, Any], tmp_path: Path
) -> None:
    import yaml

    program = yaml.safe_load((ROOT / "examples" / "yaml" / "Pulumi.yaml").read_text())
    config = {name: f"D10000000{i}" for i, name in enumerate(program["config"], start=1)}
    ours = {n: r for n, r in program["resources"].items() if r["type"] == TOKEN_TYPE}
    assert sorted(ours) == ["main", "shop"]
    schema_inputs = served["resources"][TOKEN_TYPE]["inputProperties"]
    with NativePlugin(cwd=tmp_path, env=clean_env()) as plugin:
        for name, resource in ours.items():
            props = {k: _resolve(v, config) for k, v in resource["properties"].items()}
            assert set(props) <= set(schema_inputs), name
            assert plugin.check({}, props)[1] == [], name


def _resolve(value: Any, config: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return config[value[2:-1]]
    return value


def test_the_config_tables_in_the_readme_and_docs_are_generated_from_the_options() -> None:
    from pulumi_qboxmail.config import config_table

    for path in ("README.md", "docs/installation-configuration.md"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert config_table() in text, f"{path}: config table is stale: run python3 dev.py docs"
