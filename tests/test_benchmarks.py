"""The benchmarks end to end on tiny stacks: every row printed, HTTP requests at the floor.

benchmarks/run.py at the plugins' gRPC door; benchmarks/engine.py --quick through the real CLI.
No timing assertions: timings on a shared CI machine prove nothing. The full-size numbers live in
benchmarks/README.md.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_support import found_cli

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"
ROWS = (
    "`__provider` state bytes per resource",
    "preview cost per resource (Check + Diff, unchanged stack)",
    "HTTP requests per resource: preview / unchanged up / one-field change / refresh",
    "apply time (Update of changed domains, 4 concurrent calls)",
    "plugin peak RSS (VmHWM) after the preview pass",
    "export of every domain (`python -m pulumi_qboxmail export`)",
    "native plugin: preview cost per resource (Check + Diff, unchanged stack)",
    "native plugin: apply time (Update of changed domains)",
)
NATIVE_PREVIEW, NATIVE_APPLY = ROWS[-2:]
FLOOR = "0 / 0 / 1 PUT / 1 GET"


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table_of(script: Path, args: list[str], timeout: float = 300) -> list[list[str]]:
    """Run a benchmarks script as a user runs it: the rows of the table it prints, header first."""
    result = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    rows = [cells(line) for line in result.stdout.splitlines() if line.startswith("| ")]
    assert rows, result.stdout
    return rows


@pytest.fixture(scope="module")
def table() -> list[list[str]]:
    args = ["--domains", "20", "--apply-domains", "8", "--runs", "1", "--latency", "0.005",
            "--native-apply-domains", "24", "--native-latency", "0.005",
            "--native-concurrency", "8", "--export-per", "7"]  # fmt: skip
    rows = table_of(RUN, args)
    assert rows[0] == ["figure", "ours", "baseline", "ratio / target", "result"]
    return rows[1:]


def test_every_figure_has_a_complete_row(table: list[list[str]]) -> None:
    for figure in ROWS:
        found = [row for row in table if row[0].startswith(figure)]
        assert len(found) == 1, f"no single row for {figure!r} in {table}"
        assert len(found[0]) == 5 and all(found[0]), found[0]
    assert len(table) == len(ROWS)


def test_http_requests_are_exactly_the_floor(table: list[list[str]]) -> None:
    (row,) = [row for row in table if row[0].startswith(ROWS[2])]
    assert row[1] == FLOOR
    assert row[4] == "PASS"


def test_state_row_shows_a_small_plain_provider(table: list[list[str]]) -> None:
    (row,) = [row for row in table if row[0].startswith(ROWS[0])]
    assert row[1].endswith("B, plain")
    assert row[2].endswith("B, encrypted")


def test_export_makes_ceil_n_over_per_requests_and_no_write(table: list[list[str]]) -> None:
    (row,) = [row for row in table if row[0].startswith(ROWS[5])]
    assert row[0].endswith("20 domains at 5 ms, --per 7")
    assert row[1].startswith("3 GET, 0 other; 20 domains in ")
    assert row[3] == "floor ceil(N / per) = 3 GET, no write"
    assert row[4] == "PASS"


def test_native_rows_stand_beside_the_dynamic_plugin(table: list[list[str]]) -> None:
    """Native figures in the first column, the dynamic plugin's of the same run in the second,
    and the native apply measured with its own concurrency, on more domains than the stack has
    (they are taken in turn)."""
    (preview,) = [row for row in table if row[0].startswith(NATIVE_PREVIEW)]
    (apply,) = [row for row in table if row[0].startswith(NATIVE_APPLY)]
    for row in (preview, apply):
        assert row[1].startswith("native: ") and row[2].startswith("dynamic (ours): "), row
    assert "24 domains at 5 ms, native 8 / dynamic 4 concurrent calls" in apply[0]
    assert "N x latency / 8" in apply[3] and "N x latency / 4" in apply[2]


@pytest.mark.cli
def test_the_engine_benchmark_runs_every_face_and_step_against_its_floor(
    tmp_path: Path,
) -> None:
    """benchmarks/engine.py --quick: each step of each face, and an up with checkpoints skipped,
    through the real CLI, with
    the API calls each must make (the script refuses otherwise), a ratio to the floor in every
    face's cell, and the plugins' CPU found in /proc; no timing assertions."""
    found = found_cli()
    if found.path is None or not shutil.which("pulumi-language-yaml", path=found.path.parent):
        pytest.skip(
            f"no Pulumi CLI with its YAML host; end-to-end tests are never faked: {found.why()}"
        )
    figures = tmp_path / "engine.json"
    rows = table_of(ROOT / "benchmarks" / "engine.py", ["--quick", "--json", str(figures)], 170)
    assert rows[0] == ["N", "run", "step", "floor", "native", "dynamic", "load"]
    runs = [row[1:3] for row in rows[2:]]
    assert runs == [
        ["default", "preview"], ["default", "up"], ["default", "no-change preview"],
        ["default", "refresh"], ["skip checkpoints", "up"],
    ]  # fmt: skip
    for row in rows[2:]:
        assert "x**;" not in row[3] and all("x**; CPU " in c for c in row[4:6]), row
    for run in json.loads(figures.read_text())["runs"]:
        for face, steps in run["figures"].items():
            assert all(step["plugin"] > 0 for step in steps.values()), (face, steps)
