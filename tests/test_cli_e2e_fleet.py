"""End to end through the real Pulumi engine: the fleet example, one policy over many domains.

`examples/fleet/__main__.py` runs as an Automation API inline program from a copy of the example
(so a test can add its own fleet file beside it); skipped, saying why, without a CLI. Inline
programs run in this process, so the large fleets here also prove that registering thousands of
resources in one process, across programs and stacks, leaves nothing behind that grows.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from e2e_support import CliEnv, Printed, inline_stack, run_example
from pulumi_qboxmail.emulator import Emulator

pytestmark = pytest.mark.cli

FLEET = Path(__file__).resolve().parents[1] / "examples" / "fleet"
CODES = ["D100000001", "D100000002", "D100000003", "D100000004"]
TOKEN = "qbx-e2e-fleet-token-77d1"
POLICY: dict[str, Any] = {
    "antispam_level": 2,
    "allow_nets": ["192.0.2.0/24", "198.51.100.7"],
    "force_otp": True,
    "password_expiration": 6,
    "block_old_password": True,
    "force_password_first_login": True,
    "webmail_language": "en",
    "webmail_time_format": "24h",
    "webmail_timezone": "Europe/Rome",
}
EXPECTED_BODIES: dict[str, dict[str, Any]] = {
    "/api/domains/D100000001": POLICY,
    "/api/domains/D100000002": {**POLICY, "webmail_language": "it"},
    "/api/domains/D100000003": {
        **POLICY,
        "antispam_level": 3,
        "webmail_language": "es",
        "webmail_timezone": "Europe/Madrid",
    },
    "/api/domains/D100000004": {
        **POLICY,
        "force_otp": False,
        "webmail_time_format": "12h",
        "webmail_timezone": "America/New_York",
    },
}


def fleet_stack(
    cli_env: CliEnv, url: str, project: Path, *, stack: str = "e2e", codes: list[str] | None = None
) -> auto.Stack:
    """The fleet example copied to `project`; with `codes`, a fleet file of those domains."""
    if not project.exists():
        shutil.copytree(FLEET, project, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    config = {"qboxmail:endpoint": url}
    if codes is not None:
        domains = [{"code": code, "name": f"{code.lower()}.example"} for code in codes]
        fleet = {"policy": POLICY, "domains": domains}
        (project / f"{stack}.yaml").write_text(yaml.safe_dump(fleet), encoding="utf-8")
        config["fleetFile"] = f"{stack}.yaml"
    return inline_stack(
        cli_env,
        "qboxmail-fleet",
        run_example(project / "__main__.py"),
        stack=stack,
        config=config,
        secrets={"qboxmail:apiToken": TOKEN},
    )


def fleet_codes(first: int, count: int) -> list[str]:
    return [f"D{first + i}" for i in range(count)]


def put_bodies(server: Emulator) -> dict[str, Any]:
    return {r.path: r.body for r in server.requests if r.method == "PUT"}


def test_fleet_applies_the_policy_with_each_domains_overrides_and_repreviews_clean(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    server = Emulator(token=TOKEN, domains=CODES)
    with server as url:
        stack = fleet_stack(cli_env, url, tmp_path / "fleet")
        preview = Printed()
        stack.preview(on_output=preview)
        assert "+ 5 to create" in preview.text
        assert server.requests == []

        result = stack.up()
        assert result.summary.resource_changes == {"create": 5}
        bodies = {r.path: r.body for r in server.requests if r.method == "PUT"}
        assert bodies == EXPECTED_BODIES
        assert len(server.requests) == 4
        assert result.outputs["domains"].value["example.es"]["antispam_level"] == 3

        again = Printed()
        stack.preview(on_output=again, expect_no_changes=True)
        assert "5 unchanged" in again.text
        assert len(server.requests) == 4


def test_a_typo_in_the_fleet_file_fails_preview_naming_the_domain_and_sends_nothing(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    server = Emulator(token=TOKEN, domains=CODES)
    with server as url:
        project = tmp_path / "fleet"
        stack = fleet_stack(cli_env, url, project)
        fleet = yaml.safe_load((project / "fleet.yaml").read_text(encoding="utf-8"))
        fleet["domains"][1]["overrides"]["antispam_level"] = 7
        (project / "bad.yaml").write_text(yaml.safe_dump(fleet), encoding="utf-8")
        stack.set_config("fleetFile", auto.ConfigValue("bad.yaml"))

        printed = Printed()
        with pytest.raises(auto.CommandError) as failed:
            stack.preview(on_output=printed)
        shown = printed.text + str(failed.value)
        assert "bad.yaml has 1 invalid setting(s):" in shown
        assert (
            "example.it (D100000002): antispam_level: must be one of 0 (disabled), "
            "1 (permissive), 2 (standard), 3 (aggressive)" in shown
        )
        assert server.requests == []


def test_a_fleet_of_1000_domains_goes_up_with_one_put_each_and_repreviews_clean(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    codes = fleet_codes(110_000_000, 1000)
    server = Emulator(token=TOKEN, domains=codes)
    with server as url:
        stack = fleet_stack(cli_env, url, tmp_path / "fleet", codes=codes)

        result = stack.up()
        assert result.summary.resource_changes == {"create": 1001}  # the stack and 1,000 domains
        assert len(server.requests) == 1000
        assert put_bodies(server) == {f"/api/domains/{code}": POLICY for code in codes}
        assert len(result.outputs["domains"].value) == 1000

        again = Printed()
        stack.preview(on_output=again, expect_no_changes=True)
        assert "1001 unchanged" in again.text
        assert len(server.requests) == 1000


def test_several_fleet_stacks_preview_and_go_up_one_after_another_in_one_process(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    fleets = {name: fleet_codes(first, 250) for name, first in [("eu", 120_000_000), ("us", 130_000_000), ("asia", 140_000_000)]}  # fmt: skip
    server = Emulator(token=TOKEN, domains=[code for codes in fleets.values() for code in codes])
    with server as url:
        for name, codes in fleets.items():
            server.clear_log()
            stack = fleet_stack(cli_env, url, tmp_path / "fleet", stack=name, codes=codes)

            preview = Printed()
            stack.preview(on_output=preview)
            assert "+ 251 to create" in preview.text, name
            assert server.requests == []

            result = stack.up()
            assert result.summary.resource_changes == {"create": 251}, name
            assert put_bodies(server) == {f"/api/domains/{code}": POLICY for code in codes}
            assert len(server.requests) == 250
