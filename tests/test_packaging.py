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


def _distribution(module: str, providers: dict[str, list[str]]) -> str:
    """The distribution that ships `module`, also inside a namespace package (`google`)."""
    candidates = providers[module.split(".")[0]]
    if len(candidates) == 1:
        return candidates[0]
    subpackage = "/".join(module.split(".")[:2]) + "/"
    return next(
        name
        for name in candidates
        if any(str(path).startswith(subpackage) for path in metadata.files(name) or [])
    )


def test_every_third_party_module_the_package_imports_is_a_declared_dependency() -> None:
    imported: set[str] = set()
    for source in PACKAGE.rglob("*.py"):  # the core and every subpackage
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module)
    third_party = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names} - {
        "__future__"
    }
    providers = metadata.packages_distributions()
    needed = {_canonical(_distribution(module, providers)) for module in third_party}
    declared = {
        _canonical(re.split(r"[<>=!~;\s\[]", requirement, maxsplit=1)[0])
        for requirement in metadata.requires("pulumi-qboxmail") or []
        if "extra ==" not in requirement
    }

    assert "typing-extensions" in needed  # resource.py's TypedDict, Required, Unpack
    assert "protobuf" in needed  # wire.py's Structs, in the namespace package `google`
    assert needed - declared == set()
