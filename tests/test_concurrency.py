"""Tier 5: many resources at once through one plugin process, as `pulumi up --parallel` does.

200 domains, each with its own values (max_email_accounts = i, ...), are checked and created,
then checked and updated, by 8 client threads against one plugin, which serves 4 calls at once
on one shared provider. The first 4 PUTs are held at a barrier in the emulator until all 4 have
arrived: proof that 4 plugin calls really ran at the same time. Then every PUT must have gone to
its own domain with its own body, exactly once, and every call's outputs must be its domain's.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conftest import TOKEN, start_plugin
from gated import GatedEmulator, gated_emulator
from plugin import Diff, Plugin

DOMAINS = 200
CLIENT_THREADS = 8
PLUGIN_CALLS_AT_ONCE = 4  # what `python -m pulumi.dynamic` serves at most


@pytest.fixture(scope="module")
def gated() -> Iterator[GatedEmulator]:
    with gated_emulator(PLUGIN_CALLS_AT_ONCE, map(code_of, range(DOMAINS)), TOKEN) as emu:
        yield emu


@pytest.fixture(scope="module")
def busy(gated: GatedEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    config = {"qboxmail:apiToken": TOKEN, "qboxmail:endpoint": gated.url}
    with start_plugin(tmp_path_factory.mktemp("concurrency"), config) as proc:
        yield proc


def code_of(i: int) -> str:
    return f"D{700000000 + i}"


def first(i: int) -> dict[str, Any]:
    """Domain i's own settings at create: no two domains share a value."""
    return {
        "max_email_accounts": i,
        "company": f"Company {i}",
        "allow_nets": [f"10.{i // 256}.{i % 256}.0/24"],
        "antispam_level": i % 4,
    }


def second(i: int) -> dict[str, Any]:
    """Domain i's changes at update."""
    return {"max_email_accounts": 1000 + i, "company": f"Company {i} v2"}


def key(path: str, body: Any) -> tuple[str, str]:
    return path, json.dumps(body, sort_keys=True)


def test_200_domains_at_once_each_get_their_own_put_and_their_own_outputs(
    busy: Plugin, gated: GatedEmulator
) -> None:
    created: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def create(i: int) -> None:
        code = code_of(i)
        checked, failures = busy.check({}, {"domain_code": code, **first(i)})
        assert failures == []
        assert checked == {"domain_code": code, **first(i)}
        id_, outs = busy.create(checked)
        assert (id_, outs) == (code, {"domain_code": code, **first(i)})
        created[i] = checked, outs

    def update(i: int) -> None:
        code = code_of(i)
        checked, outs = created[i]
        news, failures = busy.check(checked, {"domain_code": code, **first(i), **second(i)})
        assert failures == []
        assert busy.diff(code, outs, news, old_inputs=checked) == Diff("some", [], False)
        new_outs = busy.update(code, outs, news, old_inputs=checked)
        assert new_outs == {"domain_code": code, **first(i), **second(i)}

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(create, range(DOMAINS)))  # re-raises the first failed assertion
    assert not gated.gate_broken, "4 PUTs were never in flight at the same time"
    assert gated.peak >= PLUGIN_CALLS_AT_ONCE
    assert len(created) == DOMAINS

    create_puts = list(gated.requests)
    gated.clear_log()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(update, range(DOMAINS)))
    update_puts = list(gated.requests)
    elapsed = time.monotonic() - started

    paths = [f"/api/domains/{code_of(i)}" for i in range(DOMAINS)]
    assert {(r.method, r.token) for r in create_puts + update_puts} == {("PUT", "***")}
    assert Counter(key(r.path, r.body) for r in create_puts) == Counter(
        key(paths[i], first(i)) for i in range(DOMAINS)
    )
    assert Counter(key(r.path, r.body) for r in update_puts) == Counter(
        key(paths[i], second(i)) for i in range(DOMAINS)
    )
    for i in range(DOMAINS):
        live = gated.domains[code_of(i)]
        assert {k: live[k] for k in first(i)} == {**first(i), **second(i)}
    assert elapsed < 60
