"""Files written from the declarations: the README tables, the typed Python classes and the
plugin's metadata.

`python3 dev.py docs` runs `write`; tests compare each file with what this module makes now, so a
declaration and what is written from it never drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..config import config_table
from ..model import DECLARED, FIELDS, PYTHON_TYPES, REQUIRED, Kind
from ..naming import PYTHON, PYTHON_CLASS
from ..version import plugin_json

TYPED_MODULE = Path("provider/pulumi_qboxmail/dynamic/_generated.py")
"""Where the typed Args and outputs of the dynamic resource live, from the repository's root."""


def _output_type(kind: Kind) -> str:
    python = PYTHON_TYPES[kind]
    return python.__name__ if isinstance(python, type) else str(python)


def _input_type(kind: Kind) -> str:
    # A list's items may each be an Output of their own, as in Pulumi's own SDKs.
    if kind is Kind.STRINGS:
        return "pulumi.Input[Sequence[pulumi.Input[str]]]"
    return f"pulumi.Input[{_output_type(kind)}]"


def field_table(names: Iterable[str] = FIELDS) -> str:
    """The Markdown reference table of every input, generated from the declarations."""
    rows = ["| name | type | rule | description |", "| --- | --- | --- | --- |"]
    for name in names:
        setting = DECLARED[name]
        rule = setting.rule
        cells = (f"`{name}`", rule.type_name, PYTHON.say(rule.text), setting.description)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def typed_module() -> str:
    """The source of `_generated.py`: the dynamic resource's typed Args and outputs."""
    args: list[str] = []
    outputs: list[str] = []
    for name, setting in DECLARED.items():
        doc = f'    """{setting.description}"""'
        kind = setting.rule.kind
        given = _input_type(kind)
        args.append(
            f"    {name}: Required[{given}]" if name in REQUIRED else f"    {name}: {given} | None"
        )
        args.append(doc)
        kept = _output_type(kind) if name in REQUIRED else f"{_output_type(kind)} | None"
        outputs += [f"    {name}: pulumi.Output[{kept}]", doc]
    required = ", ".join(f"`{name}`" for name in REQUIRED)
    return "\n".join(
        [
            f'"""The typed inputs and outputs of {PYTHON_CLASS}: GENERATED from `model.py` by',
            "`python3 dev.py docs`. Do not edit; a test fails when this file and the model differ.",
            '"""',
            "",
            "from collections.abc import Sequence",
            "",
            "import pulumi",
            "from typing_extensions import Required, TypedDict",
            "",
            "",
            f"class {PYTHON_CLASS}Args(TypedDict, total=False):",
            f'    """Inputs of {PYTHON_CLASS}: {required} plus any settings to manage."""',
            "",
            *args,
            "",
            "",
            f"class {PYTHON_CLASS}Outputs:",
            f'    """The outputs of {PYTHON_CLASS}: every input, as stored."""',
            "",
            *outputs,
            "",
        ]
    )


def _fill(path: Path, name: str, table: str) -> None:
    start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
    head, rest = path.read_text().split(start, 1)
    path.write_text(head + start + table + rest[rest.index(end) :])


def write(root: Path) -> None:
    """Rewrite every generated file under the repository's `root`."""
    _fill(root / "README.md", "fields", field_table())
    _fill(root / "README.md", "config", config_table())
    _fill(root / "docs/installation-configuration.md", "config", config_table())
    (root / TYPED_MODULE).write_text(typed_module())
    (root / "provider/pulumi_qboxmail/pulumi-plugin.json").write_text(plugin_json())
