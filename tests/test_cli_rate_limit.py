"""End to end through the real Pulumi engine: a fleet under a rate limit backs off as one and finishes.

At `--parallel 64`, against an emulator that answers 429 with Retry-After beyond its rate: every
domain is applied, nothing fails, first request to last stays within 1.3x the N / rate the limit
allows, and at most a third of the requests are refused. The native face: 300 domains at 10 a
second. The dynamic face serves 4 calls at once, and in the engine, on a busy 2-core machine,
those 4 pushed only about 5 domains a second unthrottled (`benchmarks/rate_limit.py --rate
100000 --faces dynamic`), so it gets 150 domains at 5 a second: a rate its 4 workers still
saturate. Both floors are 30 s. The shared pause itself is proven at the client level
(`test_client.py`), so these two stay the only engine tests of it.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from e2e_support import CliEnv
from rate_limit_scenario import Outcome, dynamic_up, native_up

pytestmark = pytest.mark.cli

PARALLEL = 64
PLUGIN_DIR = Path(sys.executable).parent  # holds pulumi-resource-qboxmail


def native(cli_env: CliEnv) -> Outcome:
    if shutil.which("pulumi-language-yaml", path=cli_env.env["PATH"]) is None:
        pytest.skip(
            "no pulumi-language-yaml beside the CLI or on PATH (`python3 dev.py cli` builds it); "
            "end-to-end tests are never faked"
        )
    return native_up(cli_env, PLUGIN_DIR, 300, 10.0, PARALLEL)


def dynamic(cli_env: CliEnv) -> Outcome:
    return dynamic_up(cli_env, 150, 5.0, PARALLEL)


@pytest.mark.parametrize("face", [native, dynamic], ids=["native", "dynamic"])
def test_a_fleet_under_a_rate_limit_applies_every_domain_near_the_rate_with_few_refusals(
    cli_env: CliEnv, face: Callable[[CliEnv], Outcome]
) -> None:
    outcome = face(cli_env)
    print(outcome.row())
    assert outcome.applied == outcome.domains
    assert outcome.requests - outcome.refused == outcome.domains  # one accepted PUT per domain
    assert outcome.api_wall <= 1.3 * outcome.floor, outcome.row()
    assert outcome.share <= 1 / 3, outcome.row()
