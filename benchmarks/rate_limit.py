#!/usr/bin/env python3
"""A rate-limited apply through the real engine, on both faces, as benchmark rows.

    python benchmarks/rate_limit.py [--domains N] [--rate R] [--parallel P] [--faces native,dynamic]

`up` of N new domains at `--parallel P` against the emulator allowing R requests a second (429 with
Retry-After beyond it), the scenario `tests/test_cli_rate_limit.py` asserts on
(`benchmarks/rate_limit_scenario.py`). Needs the pinned CLI and YAML host (`python3 dev.py cli`)
or a `pulumi` on PATH. Prints one Markdown row per face: wall time of the `up` (and of its API
phase, first request to last) and their ratio to N / R, and the share of requests answered 429.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from e2e_support import CliEnv, found_cli  # noqa: E402
from rate_limit_scenario import ROW_HEADER, dynamic_up, native_up  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--parallel", type=int, default=64)
    parser.add_argument("--faces", default="native,dynamic")
    args = parser.parse_args()
    found = found_cli()
    if found.path is None:
        print(f"no Pulumi CLI: {found.why()}", file=sys.stderr)
        return 1
    print(ROW_HEADER)
    for face in args.faces.split(","):
        with tempfile.TemporaryDirectory(prefix="qbx-rl-") as home:
            cli = CliEnv(found.path, Path(home))
            if face == "native":
                outcome = native_up(
                    cli, Path(sys.executable).parent, args.domains, args.rate, args.parallel
                )
            else:
                outcome = dynamic_up(cli, args.domains, args.rate, args.parallel)
        print(outcome.row(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
