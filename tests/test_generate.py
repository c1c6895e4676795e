"""What `python3 dev.py docs` writes (`tools/generate.py`): the typed Args and outputs of
`QboxDomainSettings` and the README's field table, each as the declarations make it now."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pulumi
from typing_extensions import Required

from pulumi_qboxmail import QboxDomainSettings, QboxDomainSettingsArgs
from pulumi_qboxmail.model import FIELDS, RULES
from pulumi_qboxmail.tools.generate import TYPED_MODULE, field_table, typed_module

ROOT = Path(__file__).resolve().parents[1]


# A `number` here is a whole number too wide for a 32-bit int; Python's int holds it.
PYTHON_TYPES = {"integer": int, "number": int, "boolean": bool, "string": str}


def test_typed_args_list_exactly_the_schema_fields_with_input_types() -> None:
    annotations = QboxDomainSettingsArgs.__annotations__
    assert list(annotations) == list(FIELDS)
    assert QboxDomainSettingsArgs.__required_keys__ == frozenset({"domain_code"})
    for name in FIELDS:
        kind = RULES[name].type_name
        expected = (
            pulumi.Input[Sequence[pulumi.Input[str]]]
            if kind == "list of strings"
            else pulumi.Input[PYTHON_TYPES[kind]]
        )
        wanted = Required[expected] if name == "domain_code" else expected | None
        assert annotations[name] == wanted, name


def test_resource_declares_an_output_for_every_input() -> None:
    hints = QboxDomainSettings.__annotations__
    assert [name for name in hints if name in FIELDS] == list(FIELDS)
    assert hints["domain_code"] == pulumi.Output[str]
    assert hints["antispam_level"] == pulumi.Output[int | None]
    assert hints["allow_nets"] == pulumi.Output[list[str] | None]
    assert all(getattr(hints[name], "__origin__", None) is pulumi.Output for name in FIELDS)


def test_readme_field_table_is_generated_from_the_schema() -> None:
    readme = (ROOT / "README.md").read_text()
    assert field_table() in readme, "README field table is stale: run python3 dev.py docs"


def test_the_typed_args_and_outputs_file_is_generated_from_the_model() -> None:
    written = (ROOT / TYPED_MODULE).read_text()
    assert written == typed_module(), f"{TYPED_MODULE} is stale: run python3 dev.py docs"
