"""`python -m pulumi_qboxmail <command> ...`: the package's command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .export import run

PROG = "python -m pulumi_qboxmail"
HELP = f"""usage: {PROG} <command> [options]

Manage Qboxmail mail domains as code with Pulumi.

commands:
  export      write existing domains as a fleet file, a program or an import file
              (also installed as `qboxmail-export`; `{PROG} export --help`)

related modules:
  python -m pulumi_qboxmail.emulator   a local Qboxmail API for your stack tests
  python -m pulumi_qboxmail.schema     print the native provider's Pulumi schema
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to a subcommand; `--help` lists them."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["-h"], ["--help"]):
        print(HELP, end="")
        return 0
    if args[:1] != ["export"]:
        print(HELP, end="", file=sys.stderr)
        return 2
    return run(args[1:], prog=f"{PROG} export")


if __name__ == "__main__":
    raise SystemExit(main())
