"""One domain, one owner: which resource of a run manages each domain code.

Two resources with one code would each send their settings, the last PUT would win, and every
refresh would show drift again, forever. A code names exactly one Qboxmail domain, so a run can
refuse the second claim before anything is sent. Each face decides what a run and an owner are
(the native plugin: its process and a URN; a Python program: its resource monitor and a
resource); the rule and its message live here once.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable

from .model import FieldError

FIELD = "domain_code"


def taken(code: str, owner: str, claimant: str) -> FieldError:
    """The failure of `claimant` asking for a code that `owner` already manages."""
    return FieldError(
        FIELD,
        f"{code} is already managed by {owner!r} in this stack; {claimant!r} cannot manage it "
        "too: one domain has one owner, or the two would overwrite each other's settings",
    )


class Claims:
    """The domain codes claimed so far in one run, and by whom."""

    def __init__(self) -> None:
        self._owners: dict[str, tuple[Hashable, str]] = {}  # code -> (owner, name shown)
        self._codes: dict[Hashable, str] = {}  # owner -> its code
        self._lock = threading.Lock()

    def claim(self, code: object, owner: Hashable, name: str) -> list[FieldError]:
        """Claim `code` for `owner` (shown as `name`): no failure, or the one naming both.

        A value that is not a code yet (unknown in a preview) claims nothing. An owner that
        claims again keeps what it holds, or moves to its new code and frees the old one.
        """
        if not isinstance(code, str):
            return []
        with self._lock:
            held = self._owners.get(code)
            if held is not None and held[0] != owner:
                return [taken(code, held[1], name)]
            previous = self._codes.get(owner)
            if previous is not None and previous != code:
                del self._owners[previous]
            self._owners[code] = (owner, name)
            self._codes[owner] = code
        return []
