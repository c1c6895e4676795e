"""An emulator that proves concurrency: it holds the first N requests until all N are in."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from pulumi_qboxmail.tools.emulator import Emulator


class GatedEmulator(Emulator):
    """Holds the first `gate` API requests until all of them are in, and measures overlap."""

    def __init__(self, gate: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.barrier = threading.Barrier(gate)
        self.gate_broken = False
        self.peak = 0
        self._held = 0
        self._in_flight = 0

    def _next_fault(self) -> Any:
        with self.lock:
            hold = self._held < self.barrier.parties
            self._held += hold
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            if hold:
                try:
                    self.barrier.wait(timeout=30)
                except threading.BrokenBarrierError:
                    self.gate_broken = True
            return super()._next_fault()
        finally:
            with self.lock:
                self._in_flight -= 1


@contextlib.contextmanager
def gated_emulator(gate: int, codes: Iterable[str], token: str) -> Iterator[GatedEmulator]:
    """A running GatedEmulator holding the first `gate` requests, with the given domains."""
    emu = GatedEmulator(gate, token=token)
    for code in codes:
        emu.add_domain(code)
    with emu:
        yield emu
