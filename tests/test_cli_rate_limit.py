"""End to end through the real Pulumi engine: a fleet under a rate limit backs off as one and finishes.

300 new domains, `--parallel 64`, against an emulator that accepts 10 requests a second and answers
429 with Retry-After beyond that: every domain is applied, nothing fails, the run stays within
1.3x the 30 s the rate allows and at most a third of the requests are refused. The same on both
faces (the dynamic plugin serves 4 calls at once, which at 10 requests a second the limit still
binds). The shared pause itself is proven at the client level (`test_client.py`); these two cost
about 35 s each.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from e2e_support import CliEnv
from rate_limit_scenario import Outcome, dynamic_up, native_up

pytestmark = pytest.mark.cli

DOMAINS, RATE, PARALLEL = 300, 10.0, 64
PLUGIN_DIR = Path(sys.executable).parent  # holds pulumi-resource-qboxmail


def native(cli_env: CliEnv) -> Outcome:
    if shutil.which("pulumi-language-yaml", path=cli_env.env["PATH"]) is None:
        pytest.skip(
            "no pulumi-language-yaml beside the CLI or on PATH (`python3 dev.py cli` builds it); "
            "end-to-end tests are never faked"
        )
    return native_up(cli_env, PLUGIN_DIR, DOMAINS, RATE, PARALLEL)


def dynamic(cli_env: CliEnv) -> Outcome:
    return dynamic_up(cli_env, DOMAINS, RATE, PARALLEL)


@pytest.mark.parametrize("face", [native, dynamic], ids=["native", "dynamic"])
def test_a_fleet_under_a_rate_limit_applies_every_domain_near_the_rate_with_few_refusals(
    cli_env: CliEnv, face: object
) -> None:
    outcome: Outcome = face(cli_env)  # type: ignore[operator]
    print(outcome.row())
    assert outcome.applied == DOMAINS
    assert outcome.requests - outcome.refused == DOMAINS  # one accepted PUT per domain
    assert outcome.api_wall <= 1.3 * outcome.floor, outcome.row()
    assert outcome.share <= 1 / 3, outcome.row()
