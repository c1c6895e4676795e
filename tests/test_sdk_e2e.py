"""The generated SDKs in the real engine: one scenario table, run in TypeScript, Go and Python.

Each language runs Automation API inline programs (no language host is needed) through the pinned
CLI, with the native plugin `pulumi-resource-qboxmail` found on PATH, against the emulator. The
TypeScript and Go lifecycle runs are examples/typescript and examples/go themselves; the other
scenarios declare their resources as data, which each language's driver builds with its SDK
(tests/sdk_e2e/<language>/; Python's runs here, in-process).
"""

from __future__ import annotations

import copy
import inspect
import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto
from sdk_support import ROOT, go_driver, node_project, python_sdk
from test_cli_native import MAIN, MAIN_BODY, SHOP, SHOP_BODY

from e2e_support import CliEnv
from pulumi_qboxmail.emulator import Emulator
from pulumi_qboxmail.model import PULUMI_NAMES

TOKEN, OTHER_TOKEN = "qbx-sdk-e2e-a91f", "qbx-sdk-e2e-other-5c2d"
PASSWORD = "Pw-sdk-e2e-Secret-81"
QUOTA_100_GB, SAFE_INT_MAX = 107374182400, 9007199254740991
EXAMPLE_RESOURCES = [
    {
        "name": "main",
        "args": {"domainCode": MAIN, **{PULUMI_NAMES[k]: v for k, v in MAIN_BODY.items()}},
    },
    {
        "name": "shop",
        "args": {"domainCode": SHOP, **{PULUMI_NAMES[k]: v for k, v in SHOP_BODY.items()}},
    },
]
"""examples/typescript and examples/go as data, for Python (which has no such example)."""

Plan = dict[str, Any]


@dataclass
class Runner:
    """One language's way to run a plan: an operation on an inline program."""

    language: str
    run: Callable[[Plan], dict[str, Any]]

    def __call__(self, plan: Plan) -> dict[str, Any]:
        return self.run(plan)


@dataclass
class Scenario:
    """A program (the example, or `resources` built with `providers`) and what the engine must do."""

    name: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, str] = field(default_factory=dict)
    """Explicit provider name -> which emulator ("a" or "b") it talks to, with that one's token."""
    example: bool = False


SCENARIOS = {
    s.name: s
    for s in [
        Scenario("example", resources=EXAMPLE_RESOURCES, example=True),
        Scenario(
            "bad_value",
            resources=[{"name": "main", "args": {"domainCode": MAIN, "antispamLevel": 7}}],
        ),
        Scenario(
            "wide_quotas",
            resources=[
                {
                    "name": "main",
                    "args": {
                        "domainCode": MAIN,
                        "maxEmailQuota": QUOTA_100_GB,
                        "defaultQuota": SAFE_INT_MAX,
                    },
                }
            ],
        ),
        Scenario(
            "two_accounts",
            resources=[
                {"name": "main", "provider": "a", "args": {"domainCode": MAIN, "antispamLevel": 3}},
                {"name": "shop", "provider": "b", "args": {"domainCode": SHOP, "antispamLevel": 2}},
            ],
            providers={"a": "a", "b": "b"},
        ),
    ]
}
LANGUAGES = ["typescript", "go", "python"]


def python_runner(cli_env: CliEnv) -> Callable[[Plan], dict[str, Any]]:
    """Runs a plan in this process with the generated Python SDK, as the drivers do in theirs."""
    sdk = python_sdk()
    # The SDK's own Python names (maxEmailAccounts25gb is max_email_accounts25gb there).
    names = inspect.signature(sdk.DomainSettingsArgs).parameters
    python_name = {name.replace("_", ""): name for name in names}

    def program(plan: Plan) -> Callable[[], None]:
        def declare() -> None:
            import pulumi

            providers = {
                name: sdk.Provider(name, api_token=a["apiToken"], endpoint=a["endpoint"])
                for name, a in plan.get("providers", {}).items()
            }
            for domain in plan["resources"]:
                args = {python_name[k.lower()]: v for k, v in domain["args"].items()}
                if "postmaster_password" in args:
                    args["postmaster_password"] = pulumi.Output.secret(args["postmaster_password"])
                provider = providers.get(domain.get("provider", ""))
                sdk.DomainSettings(
                    domain["name"], opts=pulumi.ResourceOptions(provider=provider), **args
                )

        return declare

    def run(plan: Plan) -> dict[str, Any]:
        stack = auto.create_or_select_stack(
            plan["stack"],
            project_name=plan["project"],
            program=program(plan),
            opts=auto.LocalWorkspaceOptions(
                work_dir=plan["workDir"],
                pulumi_home=cli_env.env["PULUMI_HOME"],
                pulumi_command=cli_env.command(),
                env_vars=cli_env.env,
                project_settings=auto.ProjectSettings(name=plan["project"], runtime="python"),
            ),
        )
        for key, value in plan.get("config", {}).items():
            stack.set_config(key, auto.ConfigValue(value))
        for key, value in plan.get("secrets", {}).items():
            stack.set_config(key, auto.ConfigValue(value, secret=True))
        lines: list[str] = []
        try:
            if plan["op"] == "preview":
                result = stack.preview(on_output=lines.append)
                return {"ok": True, "changes": result.change_summary, "output": "\n".join(lines)}
            if plan["op"] == "up":
                stack.up(on_output=lines.append)
            else:
                stack.refresh(on_output=lines.append)
        except auto.errors.CommandError as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "output": "\n".join(lines)}

    return run


def subprocess_runner(
    command: list[str], cli_env: CliEnv, extra: Plan
) -> Callable[[Plan], dict[str, Any]]:
    def run(plan: Plan) -> dict[str, Any]:
        proc = subprocess.run(
            [*command, json.dumps({**plan, **extra})],
            env=cli_env.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = proc.stdout.strip().splitlines()
        assert proc.returncode == 0 and lines, f"driver failed:\n{proc.stdout}\n{proc.stderr}"
        result: dict[str, Any] = json.loads(lines[-1])
        return result

    return run


@pytest.fixture
def runner(request: pytest.FixtureRequest, cli_env: CliEnv) -> Runner:
    language = request.param
    if language == "typescript":
        project = node_project()
        driver = ROOT / "tests" / "sdk_e2e" / "nodejs" / "driver.js"
        extra = {"nodeProject": str(project)}
        return Runner(language, subprocess_runner(["node", str(driver)], cli_env, extra))
    if language == "go":
        return Runner(language, subprocess_runner([str(go_driver())], cli_env, {}))
    return Runner(language, python_runner(cli_env))


@pytest.fixture
def accounts() -> Iterator[dict[str, Emulator]]:
    """Two Qboxmail accounts: "a" is also the stack's default provider's."""
    a = Emulator(token=TOKEN, domains=[MAIN, SHOP])
    b = Emulator(token=OTHER_TOKEN, domains=[MAIN, SHOP])
    with a, b:
        yield {"a": a, "b": b}


def puts(emulator: Emulator) -> list[tuple[str, str, Any]]:
    return [(r.path, r.token, r.body) for r in emulator.requests if r.method == "PUT"]


def plan_for(scenario: Scenario, runner: Runner, accounts: dict[str, Emulator], work: Path) -> Plan:
    tokens = {"a": TOKEN, "b": OTHER_TOKEN}
    work.mkdir(parents=True, exist_ok=True)
    return {
        "project": f"sdk-{runner.language}-{scenario.name}".replace("_", "-"),
        "stack": "e2e",
        "workDir": str(work),
        "program": "example" if scenario.example and runner.language != "python" else "resources",
        "resources": copy.deepcopy(scenario.resources),
        "providers": {
            name: {"endpoint": accounts[which].url, "apiToken": tokens[which]}
            for name, which in scenario.providers.items()
        },
        "config": {
            "qboxmail:endpoint": accounts["a"].url,
            "mainDomainCode": MAIN,
            "shopDomainCode": SHOP,
        },
        "secrets": {"qboxmail:apiToken": TOKEN},
    }


def export(cli_env: CliEnv, plan: Plan) -> str:
    return cli_env.run(
        "stack", "export", "--stack", plan["stack"], cwd=Path(plan["workDir"])
    ).stdout


def run_ok(runner: Runner, plan: Plan, op: str) -> dict[str, Any]:
    result = runner({**plan, "op": op})
    assert result["ok"], result.get("error")
    return result


@pytest.mark.parametrize("runner", LANGUAGES, indirect=True)
def test_the_example_previews_applies_keeps_the_password_secret_and_refresh_repairs_drift(
    runner: Runner, cli_env: CliEnv, accounts: dict[str, Emulator], tmp_path: Path
) -> None:
    a = accounts["a"]
    plan = plan_for(SCENARIOS["example"], runner, accounts, tmp_path / "work")
    plan["secrets"]["postmasterPassword"] = PASSWORD
    password = {"postmaster_password": PASSWORD, "postmaster_password_confirmation": PASSWORD}
    if plan["program"] == "resources":
        plan["resources"][0]["args"]["postmasterPassword"] = PASSWORD

    preview = run_ok(runner, plan, "preview")
    assert preview["changes"] == {"create": 3}
    assert a.requests == []

    up = run_ok(runner, plan, "up")
    assert sorted(puts(a)) == [
        (f"/api/domains/{MAIN}", "***", {**MAIN_BODY, **password}),
        (f"/api/domains/{SHOP}", "***", SHOP_BODY),
    ]
    assert PASSWORD not in up["output"] and TOKEN not in up["output"]

    a.clear_log()
    assert run_ok(runner, plan, "preview")["changes"] == {"same": 3}
    assert puts(a) == []

    state = export(cli_env, plan)
    assert PASSWORD not in state and TOKEN not in state
    [main] = [
        r for r in json.loads(state)["deployment"]["resources"] if r["urn"].endswith("::main")
    ]
    for bag in ("inputs", "outputs"):
        assert "ciphertext" in main[bag]["postmasterPassword"], (bag, main[bag])

    with a.lock:
        a.domains[MAIN]["antispam_level"] = 1
    run_ok(runner, plan, "refresh")
    a.clear_log()
    run_ok(runner, plan, "up")
    assert puts(a) == [(f"/api/domains/{MAIN}", "***", {"antispam_level": 3})]


@pytest.mark.parametrize("runner", LANGUAGES, indirect=True)
def test_a_bad_value_fails_preview_naming_the_property_and_sends_nothing(
    runner: Runner, accounts: dict[str, Emulator], tmp_path: Path
) -> None:
    plan = plan_for(SCENARIOS["bad_value"], runner, accounts, tmp_path / "work")
    result = runner({**plan, "op": "preview"})
    assert not result["ok"]
    assert "antispamLevel" in result["error"]
    rule = "must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive); got 7"
    assert rule in result["error"]
    assert accounts["a"].requests == []


@pytest.mark.parametrize("runner", LANGUAGES, indirect=True)
def test_quotas_past_32_bits_arrive_exactly(
    runner: Runner, accounts: dict[str, Emulator], tmp_path: Path
) -> None:
    plan = plan_for(SCENARIOS["wide_quotas"], runner, accounts, tmp_path / "work")
    run_ok(runner, plan, "up")
    body = {"max_email_quota": QUOTA_100_GB, "default_quota": SAFE_INT_MAX}
    assert puts(accounts["a"]) == [(f"/api/domains/{MAIN}", "***", body)]
    # Exact integers in the JSON text itself, not floats that happen to compare equal.
    [put] = [r for r in accounts["a"].requests if r.method == "PUT"]
    assert all(type(v) is int for v in put.body.values())


@pytest.mark.parametrize("runner", LANGUAGES, indirect=True)
def test_two_explicit_providers_each_send_only_their_own_token_to_their_own_endpoint(
    runner: Runner, cli_env: CliEnv, accounts: dict[str, Emulator], tmp_path: Path
) -> None:
    plan = plan_for(SCENARIOS["two_accounts"], runner, accounts, tmp_path / "work")
    run_ok(runner, plan, "up")
    # "***" is each emulator's own token; another account's token would show as "<wrong>".
    assert [(r.method, r.path, r.token) for r in accounts["a"].requests] == [
        ("PUT", f"/api/domains/{MAIN}", "***")
    ]
    assert [(r.method, r.path, r.token) for r in accounts["b"].requests] == [
        ("PUT", f"/api/domains/{SHOP}", "***")
    ]
    state = export(cli_env, plan)
    assert TOKEN not in state and OTHER_TOKEN not in state
