"""The native plugin has no cap of 4: 32 Update calls at once, each with its own body.

The emulator holds the first 32 PUTs at a barrier until all 32 have arrived, which only happens
if the plugin runs 32 HTTP calls at the same time (the dynamic plugin never runs more than 4).
Then each PUT must have reached its own domain with its own body, exactly once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conftest import TOKEN, clean_env
from gated import GatedEmulator, gated_emulator
from native_plugin import NativePlugin, Secret, start_native

AT_ONCE = 32


def code_of(i: int) -> str:
    return f"D{710000000 + i}"


def own(i: int) -> dict[str, Any]:
    return {
        "maxEmailAccounts": 1000 + i,
        "company": f"Company {i}",
        "allowNets": [f"10.9.{i}.0/24"],
    }


@pytest.fixture(scope="module")
def gated() -> Iterator[GatedEmulator]:
    with gated_emulator(AT_ONCE, map(code_of, range(AT_ONCE)), TOKEN) as emu:
        yield emu


def test_32_updates_run_at_once_and_no_body_crosses_another(
    gated: GatedEmulator, tmp_path_factory: pytest.TempPathFactory
) -> None:
    config = {"apiToken": Secret(TOKEN), "endpoint": gated.url}
    plugin: NativePlugin
    with start_native(tmp_path_factory.mktemp("native-concurrency"), config, clean_env()) as plugin:
        olds = {i: {"domainCode": code_of(i), "maxEmailAccounts": 1} for i in range(AT_ONCE)}

        def update(i: int) -> dict[str, Any]:
            news, failures = plugin.check(olds[i], {"domainCode": code_of(i), **own(i)})
            assert failures == []
            return plugin.update(code_of(i), olds[i], news)

        with ThreadPoolExecutor(AT_ONCE) as pool:
            outs = list(pool.map(update, range(AT_ONCE)))

    assert not gated.gate_broken, f"{AT_ONCE} PUTs were never in flight at the same time"
    assert gated.peak >= AT_ONCE
    assert outs == [{"domainCode": code_of(i), **own(i)} for i in range(AT_ONCE)]
    expected = Counter(
        (f"/api/domains/{code_of(i)}", json.dumps({
            "max_email_accounts": 1000 + i, "company": f"Company {i}", "allow_nets": [f"10.9.{i}.0/24"],
        }, sort_keys=True))
        for i in range(AT_ONCE)
    )  # fmt: skip
    assert Counter((r.path, json.dumps(r.body, sort_keys=True)) for r in gated.requests) == expected
