"""Stable public path of the emulator (`python -m pulumi_qboxmail.emulator`): tools/emulator.py."""

from .tools.emulator import DEFAULTS, Emulator, RecordedRequest, StartError, main, validate

__all__ = ["DEFAULTS", "Emulator", "RecordedRequest", "StartError", "main", "validate"]

if __name__ == "__main__":
    raise SystemExit(main())
