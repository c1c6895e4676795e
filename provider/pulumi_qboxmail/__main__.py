"""`python -m pulumi_qboxmail export ...`: the package's command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .export import run

USAGE = "usage: python -m pulumi_qboxmail export [-h] [CODE ...] [options]"


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the one subcommand, `export`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] != ["export"]:
        print(USAGE, file=sys.stderr)
        return 2
    return run(args[1:], prog="python -m pulumi_qboxmail export")


if __name__ == "__main__":
    raise SystemExit(main())
