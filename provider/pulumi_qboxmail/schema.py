"""Stable public path of the package schema (`python -m pulumi_qboxmail.schema`): native/."""

from .native.schema import *  # noqa: F403  # every public name, importable here as before
from .native.schema import schema_json

if __name__ == "__main__":
    print(schema_json())
