"""The package as a distribution: what it imports, it declares."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "provider" / "pulumi_qboxmail"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_module_the_package_imports_is_a_declared_dependency() -> None:
    imported: set[str] = set()
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names} - {"__future__"}
    providers = metadata.packages_distributions()
    needed = {_canonical(providers[module][0]) for module in third_party}
    declared = {
        _canonical(re.split(r"[<>=!~;\s\[]", requirement, maxsplit=1)[0])
        for requirement in metadata.requires("pulumi-qboxmail") or []
        if "extra ==" not in requirement
    }

    assert "typing-extensions" in needed  # resource.py's TypedDict, Required, Unpack
    assert needed - declared == set()
