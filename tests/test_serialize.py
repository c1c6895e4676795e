"""The pickler around the SDK's provider serializer: left as found, the registered bytes unchanged.

`pulumi.dynamic.dynamic.serialize_provider` leaves `pickle._Pickler` one wrapper deeper on every
call; `pickler_kept` puts back what it changed. These tests look at the pickler itself; the
programs that would otherwise die of it are in test_programs.py and test_cli_e2e_fleet.py.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_qboxmail import QboxDomainSettings
from pulumi_qboxmail.serialize import PICKLER, pickler_kept
from test_programs import EngineLikeMocks, RecordingMonitor, clean_runtime

__all__ = ["clean_runtime"]  # the autouse fixture: fresh runtime state for every test here

REGISTERED = "gASVQQAAAAAAAACMGHB1bHVtaV9xYm94bWFpbC5wcm92aWRlcpSMGlFib3hEb21haW5TZXR0aW5nc1Byb3ZpZGVylJOUKYGUfZRiLg=="
"""`__provider` as every stack holds it: the provider class by reference, 104 base64 characters.
Any other value is a diff on every existing resource."""


class Handwritten(ResourceProvider):
    """Another dynamic provider in the same program, not ours."""


def state() -> tuple[Any, dict[str, Any]]:
    return pickle.Pickler, dict(vars(pickle._Pickler))


def fixed_serialize_provider(provider: ResourceProvider) -> str:
    """serialize_provider as a fixed SDK would be: the same bytes, the pickler left as found."""
    pickler, attributes = pickle.Pickler, dict(vars(pickle._Pickler))
    try:
        return str(serialize_provider(provider))
    finally:
        for name in set(vars(pickle._Pickler)) - set(attributes):
            delattr(pickle._Pickler, name)
        for name, value in attributes.items():
            if vars(pickle._Pickler).get(name) is not value:
                setattr(pickle._Pickler, name, value)
        pickle.Pickler = pickler  # type: ignore[misc]


@pytest.fixture
def mocks() -> Iterator[RecordingMonitor]:
    mocks = EngineLikeMocks(preview=False)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="serialize", stack="test", monitor=monitor)
    yield monitor


def register(monitor: RecordingMonitor, count: int) -> list[Any]:
    """`count` QboxDomainSettings in one program; the `__provider` each one registered."""

    @pulumi.runtime.test
    def program() -> None:
        for i in range(count):
            QboxDomainSettings(f"d{i}", domain_code=f"D{400_000_000 + i}")

    program()
    return [registered["__provider"] for registered in monitor.registered().values()]


def test_pickler_kept_puts_back_what_the_sdk_serializer_changed() -> None:
    before = state()
    with pickler_kept() as restored:
        assert serialize_provider(Handwritten())
    # 3.272 changes both (docs/known-issues.md); an SDK that no longer leaks, neither.
    assert set(restored) <= {"_batch_setitems", "save_dict"}
    assert state() == before


def test_with_a_serializer_that_leaves_the_pickler_as_found_nothing_is_put_back() -> None:
    before = state()
    with pickler_kept() as restored:
        assert fixed_serialize_provider(Handwritten())
    assert restored == []
    assert state() == before


def test_a_replaced_module_pickler_and_an_added_attribute_are_put_back_too() -> None:
    before = state()
    with pickler_kept() as restored:
        pickle.Pickler = pickle._Pickler  # type: ignore[misc]
        pickle._Pickler.planted = True  # type: ignore[attr-defined]
    assert restored == ["planted", PICKLER]
    assert state() == before


def test_the_pickler_is_put_back_when_the_block_raises() -> None:
    before = state()
    with pytest.raises(RuntimeError), pickler_kept():
        serialize_provider(Handwritten())
        raise RuntimeError
    assert state() == before


def test_our_resources_register_the_same_provider_bytes_and_leave_the_pickler_as_found(
    mocks: RecordingMonitor,
) -> None:
    before = state()
    providers = register(mocks, 3)
    assert providers == [REGISTERED] * 3
    assert len(REGISTERED) == 104
    assert state() == before


@pytest.mark.parametrize("serializer", [serialize_provider, fixed_serialize_provider])
def test_the_registered_provider_is_the_same_bytes_with_a_leaking_or_a_fixed_sdk(
    mocks: RecordingMonitor, monkeypatch: pytest.MonkeyPatch, serializer: Any
) -> None:
    monkeypatch.setattr("pulumi.dynamic.dynamic.serialize_provider", serializer)
    before = state()
    assert register(mocks, 2) == [REGISTERED] * 2
    assert state() == before


def test_another_providers_leak_is_kept_as_it_was_not_grown_and_not_undone(
    mocks: RecordingMonitor,
) -> None:
    pristine = state()
    try:
        serialize_provider(Handwritten())  # another provider's resource, before ours
        leaked = state()
        assert register(mocks, 3) == [REGISTERED] * 3
        assert state() == leaked
    finally:
        pickle._Pickler._batch_setitems = pristine[1]["_batch_setitems"]  # type: ignore[attr-defined]
        pickle._Pickler.save_dict = pristine[1]["save_dict"]  # type: ignore[method-assign]
