"""End to end through the real Pulumi engine: the quickstart against the in-process emulator.

Each test drives `examples/quickstart/__main__.py` as an Automation API inline program on a
local file backend (the `cli_env` fixture), and asserts what the CLI printed and what the
emulator's request log recorded. Skipped, saying why, when no CLI can be had: never faked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from e2e_support import QUICKSTART_BODY, CliEnv, Printed, inline_stack, run_example, stack_export
from pulumi_qboxmail import QboxDomainSettings
from pulumi_qboxmail.tools.emulator import Emulator

pytestmark = pytest.mark.cli

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart" / "__main__.py"
PROJECT = "qboxmail-quickstart"
TYPE = "pulumi-python:dynamic/qboxmail:DomainSettings"
CODE = "D123456789"
PATH = f"/api/domains/{CODE}"
# Distinctive values, so finding either in the state means a leak and nothing else.
TOKEN = "qbx-e2e-token-4c9f2a71"
PASSWORD = "Postmaster2024e2e"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    server = Emulator(token=TOKEN, domains=[CODE])
    with server:
        yield server


def quickstart(
    cli_env: CliEnv, emulator: Emulator, *, code: str = CODE, password: str | None = None
) -> auto.Stack:
    """The quickstart's stack, configured as its README steps say, against the emulator."""
    secrets = {"qboxmail:apiToken": TOKEN}
    if password is not None:
        secrets["postmasterPassword"] = password
    return inline_stack(
        cli_env,
        PROJECT,
        run_example(QUICKSTART),
        config={"qboxmail:endpoint": emulator.url, "domainCode": code},
        secrets=secrets,
    )


def puts(emulator: Emulator) -> list[tuple[str, Any]]:
    return [(r.path, r.body) for r in emulator.requests if r.method == "PUT"]


def resource_of(deployment: dict[str, Any]) -> dict[str, Any]:
    """The one QboxDomainSettings resource in an exported deployment, or {} when there is none."""
    found = [r for r in deployment.get("resources") or [] if r["type"] == TYPE]
    assert len(found) <= 1
    return found[0] if found else {}


def test_quickstart_previews_without_calling_the_api_then_up_sends_one_put_and_repreviews_clean(
    cli_env: CliEnv, emulator: Emulator
) -> None:
    stack = quickstart(cli_env, emulator)

    preview = Printed()
    stack.preview(on_output=preview)
    assert "+ 2 to create" in preview.text
    assert emulator.requests == []

    up = Printed()
    result = stack.up(on_output=up)
    assert result.summary.result == "succeeded"
    assert result.summary.resource_changes == {"create": 2}
    assert puts(emulator) == [(PATH, QUICKSTART_BODY)]
    assert {r.token for r in emulator.requests} == {"***"}  # the emulator masks a right token
    assert {k: v.value for k, v in result.outputs.items()} == {
        "domain_code": CODE,
        "antispam_level": 3,
        "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
    }

    before = len(emulator.requests)
    again = Printed()
    stack.preview(on_output=again, expect_no_changes=True)
    assert "2 unchanged" in again.text
    assert len(emulator.requests) == before


def test_refresh_shows_a_change_made_behind_the_stacks_back_and_up_puts_it_back(
    cli_env: CliEnv, emulator: Emulator
) -> None:
    stack = quickstart(cli_env, emulator)
    stack.up()
    emulator.clear_log()
    # Two settings the API reads back; someone changes them in the Qboxmail panel.
    with emulator.lock:
        emulator.domains[CODE]["antispam_level"] = 1
        emulator.domains[CODE]["allow_nets"] = ["192.0.2.0/24"]

    refresh = Printed()
    refreshed = stack.refresh(on_output=refresh)
    assert refreshed.summary.resource_changes == {"same": 1, "update": 1}
    assert "domain updated" in refresh.text
    assert "[diff: ~allow_nets,antispam_level]" in refresh.text
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", PATH)]

    drift = Printed()
    stack.preview(on_output=drift, diff=True)
    assert re.search(r"~ antispam_level\s*: 1 => 3", drift.text), drift.text
    assert '+ [1]: "2001:db8::/32"' in drift.text
    assert "~ 1 to update" in drift.text

    stack.up()
    assert puts(emulator) == [
        (PATH, {"antispam_level": 3, "allow_nets": ["192.0.2.0/24", "2001:db8::/32"]})
    ]
    with emulator.lock:
        assert emulator.domains[CODE]["antispam_level"] == 3
        assert emulator.domains[CODE]["allow_nets"] == ["192.0.2.0/24", "2001:db8::/32"]
    stack.preview(expect_no_changes=True)


def test_destroy_forgets_the_domain_and_leaves_its_live_settings_untouched(
    cli_env: CliEnv, emulator: Emulator
) -> None:
    stack = quickstart(cli_env, emulator)
    stack.up()
    emulator.clear_log()
    with emulator.lock:
        live_before = json.loads(json.dumps(emulator.domains[CODE]))

    destroy = Printed()
    destroyed = stack.destroy(on_output=destroy)
    assert destroyed.summary.resource_changes == {"delete": 2}
    assert "- 2 deleted" in destroy.text or "2 deleted" in destroy.text
    assert emulator.requests == []
    with emulator.lock:
        assert emulator.domains[CODE] == live_before
    assert resource_of(stack_export(cli_env, stack)[1]) == {}


def test_a_bad_domain_code_fails_preview_with_the_fields_message_and_sends_nothing(
    cli_env: CliEnv, emulator: Emulator
) -> None:
    stack = quickstart(cli_env, emulator, code="example.com")

    printed = Printed()
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(on_output=printed)
    shown = printed.text + str(failed.value)
    assert "domain_code" in shown
    assert "must be D followed by exactly 9 digits, e.g. D123456789" in shown
    assert TOKEN not in shown
    assert emulator.requests == []


def test_the_password_is_a_secret_in_the_exported_state_and_the_token_is_nowhere(
    cli_env: CliEnv, emulator: Emulator
) -> None:
    stack = quickstart(cli_env, emulator, password=PASSWORD)
    up = Printed()
    stack.up(on_output=up)
    assert puts(emulator) == [
        (
            PATH,
            {
                **QUICKSTART_BODY,
                "postmaster_password": PASSWORD,
                "postmaster_password_confirmation": PASSWORD,
            },
        )
    ]

    text, deployment = stack_export(cli_env, stack)
    resource = resource_of(deployment)
    assert resource["id"] == CODE
    for bag in ("inputs", "outputs"):
        stored = resource[bag]["postmaster_password"]
        assert isinstance(stored, dict) and "ciphertext" in stored, (bag, stored)
    assert PASSWORD not in text
    assert TOKEN not in text
    assert PASSWORD not in up.text and TOKEN not in up.text
    provider = resource["inputs"]["__provider"]
    assert isinstance(provider, str) and len(provider) < 200  # plain and pickled by reference
    # The engine keeps the stack config as the default provider's inputs: the token set with
    # --secret is there only as ciphertext.
    [default] = [
        r for r in deployment["resources"] if r["type"] == "pulumi:providers:pulumi-python"
    ]
    stored_token = default["inputs"]["qboxmail:apiToken"]
    assert isinstance(stored_token, dict) and "ciphertext" in stored_token


def test_one_domain_code_twice_fails_preview_naming_both_and_later_stacks_start_afresh(
    cli_env: CliEnv, emulator: Emulator
) -> None:
    def twice() -> None:
        QboxDomainSettings("main", domain_code=CODE, antispam_level=2)
        QboxDomainSettings("shop", domain_code=CODE, antispam_level=3)

    def owner(name: str) -> Callable[[], None]:
        return lambda: QboxDomainSettings(name, domain_code=CODE, antispam_level=2)

    settings = {
        "config": {"qboxmail:endpoint": emulator.url},
        "secrets": {"qboxmail:apiToken": TOKEN},
    }
    stack = inline_stack(cli_env, "qboxmail-owners", twice, stack="twice", **settings)
    with pytest.raises(auto.CommandError) as failed:
        stack.preview()
    # The engine indents the message's second line under its first.
    assert (
        "error: QboxDomainSettings 'shop' has 1 invalid input:\n      domain_code: D123456789 "
        "is already managed by 'main' in this stack; 'shop' cannot manage it too: one domain "
        "has one owner, or the two would overwrite each other's settings"
    ) in str(failed.value)

    # Another stack, next in this process, claims the same code: it sees no claim of the first.
    inline_stack(cli_env, "qboxmail-owners", owner("other"), stack="other", **settings).preview()
    assert emulator.requests == []
