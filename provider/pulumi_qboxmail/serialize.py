"""Keeps the Pulumi SDK's dynamic-provider serializer from leaving the pickler changed.

`pulumi.dynamic.dynamic.serialize_provider`, which `pulumi.dynamic.Resource.__init__` calls once
per resource, sets `pickle._Pickler._batch_setitems` to a sorting wrapper of whatever it finds
there, and `pickle._Pickler.save_dict` to a sorting `save_dict`, and restores neither (it only
puts back the name `pickle.Pickler`). Each call so wraps the previous call's wrapper: every
registration in the process pickles through one more frame than the last, until one raises
RecursionError, near 500 resources under the engine (pulumi/pulumi#17803, closed upstream
without a reproduction; docs/known-issues.md has one). In every SDK from 3.33.2 to 3.272.0.

`pickler_kept` puts back, after our own serialization, whatever it finds changed on
`pickle._Pickler` and `pickle.Pickler`, so each of our resources serializes through exactly the
one wrapper the SDK adds to the state found before it: the same bytes as the first call, at the
first call's cost. It compares rather than assumes: once the SDK leaves the pickler as it found
it, nothing differs and nothing is written. It does not undo what other code did before (another
dynamic provider's resources still grow the chain, and ours then pay for its length).
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterator

_ABSENT = object()
PICKLER = "pickle.Pickler"
"""The name under which `restore` reports the module's `pickle.Pickler` as put back."""


def _state() -> tuple[type[pickle.Pickler], dict[str, object]]:
    """What the SDK changes: the module's `pickle.Pickler`, and `pickle._Pickler`'s attributes."""
    return pickle.Pickler, dict(vars(pickle._Pickler))


def restore(before: tuple[type[pickle.Pickler], dict[str, object]]) -> list[str]:
    """Put back every attribute that differs from `before`; the sorted names of those put back."""
    pickler, attributes = before
    now = dict(vars(pickle._Pickler))
    changed = sorted(
        name
        for name in attributes.keys() | now.keys()
        if now.get(name, _ABSENT) is not attributes.get(name, _ABSENT)
    )
    for name in changed:
        if name in attributes:
            setattr(pickle._Pickler, name, attributes[name])
        else:
            delattr(pickle._Pickler, name)
    if pickle.Pickler is not pickler:
        pickle.Pickler = pickler  # type: ignore[misc]
        changed.append(PICKLER)
    return changed


@contextlib.contextmanager
def pickler_kept() -> Iterator[list[str]]:
    """Leave the pickler as it was before the block; the list names what had to be put back."""
    before = _state()
    restored: list[str] = []
    try:
        yield restored
    finally:
        restored += restore(before)
