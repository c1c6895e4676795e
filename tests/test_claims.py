"""One domain, one owner: the claims of one run, as a table of claims in the order they come."""

from __future__ import annotations

import pytest

from pulumi_qboxmail.claims import Claims
from pulumi_qboxmail.model import FieldError

A, B = "D000000001", "D000000002"


def owned_by(owner: str, claimant: str, code: str = A) -> FieldError:
    return FieldError(
        "domain_code",
        f"{code} is already managed by {owner!r} in this stack; {claimant!r} cannot manage it "
        "too: one domain has one owner, or the two would overwrite each other's settings",
    )


# Each row: the claims of one run, (owner, code), and the failure each one gets (None: none).
SCENARIOS: list[tuple[str, list[tuple[str, object]], list[FieldError | None]]] = [
    ("two owners of one code", [("main", A), ("shop", A)], [None, owned_by("main", "shop")]),
    ("two codes", [("main", A), ("shop", B)], [None, None]),
    ("an owner checked twice", [("main", A), ("main", A)], [None, None]),
    ("the first owner keeps it", [("main", A), ("shop", A), ("copy", A)],
     [None, owned_by("main", "shop"), owned_by("main", "copy")]),
    ("a refused claimant holds nothing", [("main", A), ("shop", A), ("main", B), ("copy", A)],
     [None, owned_by("main", "shop"), None, None]),
    ("an owner that moves frees its old code", [("main", A), ("main", B), ("shop", A)],
     [None, None, None]),
    ("and holds its new one", [("main", A), ("main", B), ("shop", B)],
     [None, None, owned_by("main", "shop", B)]),
    ("an unknown code claims nothing", [("main", None), ("shop", A), ("main", A)],
     [None, None, owned_by("shop", "main")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("claims", "failures"), [row[1:] for row in SCENARIOS], ids=[row[0] for row in SCENARIOS]
)
def test_a_code_has_one_owner_per_run(
    claims: list[tuple[str, object]], failures: list[FieldError | None]
) -> None:
    run = Claims()
    got = [run.claim(code, ("key", owner), owner) for owner, code in claims]
    assert got == [[] if failure is None else [failure] for failure in failures]
