"""Print tests/README.md's counts table: the tests pytest collects, per file.

    .venv/bin/python scripts/count_tests.py

The counts come from `pytest --collect-only -q` (one line per test, parametrized cases each
counted), so the table says what the tool says, never what someone remembered.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def counts() -> Counter[str]:
    """Collected tests per test file, from pytest itself."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"pytest --collect-only failed:\n{done.stdout}{done.stderr}")
    return Counter(line.split("::", 1)[0] for line in done.stdout.splitlines() if "::" in line)


def table(found: Counter[str]) -> str:
    rows = ["| file | tests |", "| --- | ---: |"]
    rows += [f"| `{Path(name).name}` | {found[name]} |" for name in sorted(found)]
    rows.append(f"| total | {sum(found.values())} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(table(counts()), end="")
