"""The Pulumi package schema of the native provider: one more view of `model` and `config`.

`python -m pulumi_qboxmail.schema` prints it.
"""

from __future__ import annotations

import json
from typing import Any

from .config import OPTIONS
from .model import PULUMI_NAMES, RULES, SECRET_FIELDS, DomainSettings
from .version import PLUGIN_DOWNLOAD_URL, REPOSITORY, VERSION

PACKAGE = "qboxmail"
TOKEN = f"{PACKAGE}:index:DomainSettings"
PYTHON_PACKAGE = "pulumi_qboxmail_sdk"
"""The generated SDK's module (distribution `pulumi-qboxmail-sdk`); `pulumi_qboxmail` is ours."""
NPM_PACKAGE = "@pulumi-qboxmail/qboxmail"
GO_IMPORT_PATH = f"{REPOSITORY.removeprefix('https://')}/sdk/go/qboxmail"
"""Where sdk/go lives in the repository, whose go.mod is sdk/go.mod."""
PLUGIN_SOURCE = (
    "The SDK drives the provider plugin `pulumi-resource-qboxmail`, released as a self-contained "
    f"executable at {REPOSITORY}/releases: the Pulumi engine downloads the version this SDK names "
    "from there by itself (or `pulumi plugin install resource qboxmail <version> --file "
    "<tarball>`); it also ships in the Python package `pulumi-qboxmail`."
)

_TYPES = {"integer": "integer", "boolean": "boolean", "string": "string", "number": "number"}


def version() -> str:
    """The release's version, also inside a frozen plugin that carries no package metadata."""
    return VERSION


def _property(name: str) -> dict[str, Any]:
    rule = RULES[name]
    info = DomainSettings.model_fields[name]
    spec: dict[str, Any] = (
        {"type": "array", "items": {"type": "string"}}
        if rule.type_name == "list of strings"
        else {"type": _TYPES[rule.type_name]}
    )
    spec["description"] = f"{info.description} Rule: {rule.text}."
    if name in SECRET_FIELDS:
        spec["secret"] = True
    return spec


def _options() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for option in OPTIONS:
        default = f" Default: `{option.default}`." if option.default else ""
        spec: dict[str, Any] = {
            "type": option.type_name,
            "description": f"{option.description} Falls back to `{option.env}`.{default}",
        }
        if option.secret:
            spec["secret"] = True
        found[option.key] = spec
    return found


def package_schema() -> dict[str, Any]:
    """The whole package schema, as the engine's GetSchema returns it."""
    properties = {PULUMI_NAMES[name]: _property(name) for name in DomainSettings.model_fields}
    required = [PULUMI_NAMES["domain_code"]]
    return {
        "name": PACKAGE,
        "displayName": "Qboxmail",
        "version": version(),
        "description": "Manage the settings of Qboxmail mail domains as code.",
        "keywords": ["pulumi", "qboxmail", "email", "category/utility", "kind/native"],
        "license": "Apache-2.0",
        "publisher": "pulumi-qboxmail",
        "repository": REPOSITORY,
        # Every generated SDK names it, so the engine fetches a missing plugin from our release.
        "pluginDownloadURL": PLUGIN_DOWNLOAD_URL,
        "config": {"variables": _options()},
        "provider": {
            "description": "The Qboxmail provider: an API token and where to reach the API.",
            "inputProperties": _options(),
        },
        "resources": {
            TOKEN: {
                "description": (
                    "The settings of one existing Qboxmail domain. Creating the resource adopts "
                    "the domain with one PUT of the settings given; deleting it leaves the live "
                    "domain untouched. Only the settings given are managed."
                ),
                "inputProperties": properties,
                "requiredInputs": required,
                "properties": properties,
                "required": required,
            }
        },
        "language": {
            "python": {
                "packageName": PYTHON_PACKAGE,
                "requires": {"pulumi": ">=3.0.0,<4.0.0"},
                "readme": PLUGIN_SOURCE,
                "pyproject": {"enabled": True},
                "respectSchemaVersion": True,
            },
            # respectSchemaVersion: each SDK asks the engine for the plugin of its own version.
            "nodejs": {
                "packageName": NPM_PACKAGE,
                "readme": PLUGIN_SOURCE,
                "respectSchemaVersion": True,
            },
            "go": {"importBasePath": GO_IMPORT_PATH, "respectSchemaVersion": True},
            "csharp": {"rootNamespace": "PulumiQboxmail"},
        },
    }


def schema_json() -> str:
    """The package schema as the JSON text GetSchema sends."""
    return json.dumps(package_schema(), indent=2, sort_keys=False)


if __name__ == "__main__":
    print(schema_json())
