"""Stable public path of the package schema (`python -m pulumi_qboxmail.schema`): native/."""

from .native.schema import (
    GO_IMPORT_PATH,
    NPM_PACKAGE,
    PACKAGE,
    PYTHON_PACKAGE,
    TOKEN,
    package_schema,
    schema_json,
    version,
)

__all__ = [
    "GO_IMPORT_PATH",
    "NPM_PACKAGE",
    "PACKAGE",
    "PYTHON_PACKAGE",
    "TOKEN",
    "package_schema",
    "schema_json",
    "version",
]

if __name__ == "__main__":
    print(schema_json())
