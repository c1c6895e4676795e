"""The native plugin (`native/server.py`): its lifecycle through `pulumi-resource-qboxmail`,
over gRPC as the engine drives it.

What only the native face has: schema names in its messages, secret flags on the wire, preview
calls to Create and Update, detailed diffs, import's Read that gets only an id, claims on a domain
code, and provider configuration. The lifecycle both faces share is one table in `test_faces.py`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from conftest import TOKEN, clean_env
from native_plugin import UNKNOWN, NativeDiff, NativePlugin, Secret, reason, start_native
from plugin import PluginError, apply
from pulumi_qboxmail.tools.emulator import Emulator

SETTINGS: dict[str, Any] = {
    "antispamLevel": 3,
    "allowNets": ["192.0.2.0/24", "2001:db8::/32"],
    "forceOtp": True,
    "passwordExpiration": 6,
    "webmailTimezone": "Europe/Rome",
}
NO_CHANGE = NativeDiff("none", [], {})


def puts(emulator: Emulator) -> list[tuple[str, Any]]:
    return [(r.path, r.body) for r in emulator.requests if r.method == "PUT"]


# ---- the plugin process -----------------------------------------------------------------------
def test_the_plugin_prints_only_its_port_and_reports_the_package_version(
    native: NativePlugin,
) -> None:
    from importlib import metadata

    assert native.stdout_text().strip().isdigit()
    assert native.plugin_version() == metadata.version("pulumi-qboxmail")


# ---- check ------------------------------------------------------------------------------------
def test_check_reports_every_failure_at_once_in_schema_names(
    native: NativePlugin, emulator: Emulator, code: str
) -> None:
    bad = {
        "domainCode": code,
        "antispamLevel": 5,
        "forceOtp": "yes",
        "antispamLvl": 1,
        "allow_nets": ["10.0.0.0/8"],
        "postmasterPassword": Secret("abcd1234"),
        "postmasterPasswordConfirmation": Secret("abcd12345"),
    }
    _, failures = native.check({}, bad)
    assert failures == [
        ("allow_nets", 'is not a DomainSettings input; did you mean "allowNets"?'),
        ("antispamLvl", 'is not a DomainSettings input; did you mean "antispamLevel"?'),
        ("antispamLevel", "must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive); got 5"),
        ("forceOtp", 'must be true or false; got "yes"'),
        ("postmasterPasswordConfirmation", "must match postmasterPassword"),
    ]  # fmt: skip
    assert emulator.requests == []


def test_check_normalizes_keeps_secret_flags_and_always_hides_the_password(
    native: NativePlugin, code: str
) -> None:
    news = {
        "domainCode": code,
        "antispamLevel": 3.0,
        "allowNets": ["2001:DB8::/32", "192.0.2.0/24", "192.0.2.0/24"],
        "company": Secret("ACME"),
        "postmasterPassword": "plain1234",
        "postmasterPasswordConfirmation": "plain1234",
    }
    checked, failures = native.check({}, news)
    assert failures == []
    assert checked == {
        "domainCode": code,
        "antispamLevel": 3,
        "allowNets": ["192.0.2.0/24", "2001:db8::/32"],
        "company": Secret("ACME"),
        "postmasterPassword": Secret("plain1234"),
    }


def test_check_tolerates_unknowns_and_still_checks_names_and_known_items(
    native: NativePlugin,
) -> None:
    news = {
        "domainCode": UNKNOWN,
        "antispamLevel": UNKNOWN,
        "allowNets": ["10.0.0.1/8", UNKNOWN],
        "antispam": UNKNOWN,
    }
    checked, failures = native.check({}, news)
    assert failures == [
        ("antispam", 'is not a DomainSettings input; did you mean "antispamLevel"?'),
        ("allowNets", 'item 0 ("10.0.0.1/8") has host bits set; use "10.0.0.0/8"'),
    ]
    assert checked == {
        "domainCode": UNKNOWN,
        "antispamLevel": UNKNOWN,
        "allowNets": ["10.0.0.1/8", UNKNOWN],
    }


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("qboxmail:index:Mailbox", "qboxmail:index:Mailbox"),
        # A child's URN names its parent's type first: the type judged is the last one.
        ("qboxmail:index:DomainSettings$my:index:Other", "my:index:Other"),
    ],
    ids=["another-type", "another-type-under-a-domain-settings-parent"],
)
def test_check_refuses_a_resource_type_it_does_not_serve(
    native: NativePlugin, code: str, kind: str, shown: str
) -> None:
    urn = f"urn:pulumi:test::qboxmail-test::{kind}::m"
    with pytest.raises(PluginError) as failure:
        native.check({}, {"domainCode": code}, urn=urn)
    assert reason(failure.value) == (
        f"the qboxmail provider has no resource type {shown!r}; it has qboxmail:index:DomainSettings"
    )


def test_check_serves_its_type_as_the_child_of_a_component(native: NativePlugin, code: str) -> None:
    child = "urn:pulumi:test::qboxmail-test::my:index:Comp$qboxmail:index:DomainSettings::d"
    assert native.check({}, {"domainCode": code}, urn=child) == ({"domainCode": code}, [])


def test_check_refuses_a_second_urn_for_a_claimed_domain_code_naming_both(
    native: NativePlugin,
) -> None:
    stack, kind = "urn:pulumi:test::qboxmail-test", "qboxmail:index:DomainSettings"
    main, shop = f"{stack}::{kind}::main", f"{stack}::acme:index:Shop${kind}::shop"
    code, other = "D900000001", "D900000002"

    assert native.check({}, {"domainCode": code}, urn=main)[1] == []
    assert native.check({}, {"domainCode": code}, urn=main)[1] == []  # checked again: still its own
    _, failures = native.check({}, {"domainCode": code, "antispamLevel": 3}, urn=shop)
    assert failures == [(
        "domainCode",
        f"{code} is already managed by 'main' in this stack; 'shop' cannot manage it too: "
        "one domain has one owner, or the two would overwrite each other's settings",
    )]  # fmt: skip
    # main moves to another domain (a replacement): its old code is free for shop.
    assert native.check({}, {"domainCode": other}, urn=main)[1] == []
    assert native.check({}, {"domainCode": code}, urn=shop)[1] == []


# ---- diff -------------------------------------------------------------------------------------
def test_diff_fills_the_detailed_diff_for_every_change(native: NativePlugin, code: str) -> None:
    olds = {"domainCode": code, "antispamLevel": 3, "chat": True, "forceOtp": True}
    news = {"domainCode": code, "antispamLevel": 1, "forceOtp": True, "plan": "basic"}
    assert native.diff(code, olds, news) == NativeDiff(
        "some", [], {"antispamLevel": "UPDATE", "chat": "DELETE", "plan": "ADD"}
    )


# ---- create and update: preview and secrets ------------------------------------------------------
@pytest.mark.parametrize("unknown", [{"company": UNKNOWN}, {}], ids=["some-unknown", "all-known"])
def test_preview_create_and_update_send_nothing(
    native: NativePlugin, emulator: Emulator, code: str, unknown: dict[str, Any]
) -> None:
    news = {"domainCode": code, **SETTINGS, **unknown}
    assert native.create(news, preview=True) == (code, news)
    olds = {"domainCode": code, **SETTINGS}
    changed = {**olds, "antispamLevel": 1, **unknown}
    assert native.update(code, olds, changed, preview=True) == changed
    assert emulator.requests == []


def test_secret_inputs_give_secret_outputs(
    native: NativePlugin, emulator: Emulator, code: str
) -> None:
    news = {"domainCode": code, "company": Secret("ACME"), "postmasterPassword": Secret("pw123456")}
    checked, _ = native.check({}, news)
    _, outs = native.create(checked)
    assert outs == {
        "domainCode": code,
        "company": Secret("ACME"),
        "postmasterPassword": Secret("pw123456"),
    }
    assert puts(emulator) == [
        (f"/api/domains/{code}", {
            "company": "ACME",
            "postmaster_password": "pw123456",
            "postmaster_password_confirmation": "pw123456",
        })
    ]  # fmt: skip


def test_update_keeps_every_secret_input_secret(
    native: NativePlugin, emulator: Emulator, code: str
) -> None:
    secrets = {"company": Secret("ACME"), "allowNets": Secret(["192.0.2.0/24"]),
               "antispamLevel": Secret(2), "postmasterPassword": Secret("pw123456")}  # fmt: skip
    _, outs = apply(native, {"domainCode": Secret(code), "chat": True})
    emulator.clear_log()
    news, _ = native.check(outs, {"domainCode": Secret(code), "chat": False, **secrets})
    assert native.update(code, outs, news) == {"domainCode": Secret(code), "chat": False, **secrets}
    assert puts(emulator) == [
        (f"/api/domains/{code}", {
            "antispam_level": 2, "allow_nets": ["192.0.2.0/24"], "chat": False, "company": "ACME",
            "postmaster_password": "pw123456", "postmaster_password_confirmation": "pw123456",
        })
    ]  # fmt: skip


# ---- read: import -----------------------------------------------------------------------------
def test_import_adopts_what_the_api_returns_and_then_shows_no_change(
    native: NativePlugin, emulator: Emulator, code: str
) -> None:
    emulator.add_domain(code, antispam_level=3, allow_nets=["198.51.100.7", "192.0.2.0/24"])
    emulator.clear_log()
    resource_id, props, inputs = native.read(code)
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", f"/api/domains/{code}")]
    assert resource_id == code
    assert props == inputs
    assert inputs["domainCode"] == code
    assert inputs["antispamLevel"] == 3
    assert inputs["allowNets"] == ["192.0.2.0/24", "198.51.100.7"]
    assert set(inputs) == {"domainCode", "antispamLevel", "allowNets", "imapDisabled", "popDisabled",
                           "smtpDisabled", "webmailDisabled", "calendar", "meeting", "activesync",
                           "chat", "dav", "defaultQuota", "maxEmailAccounts", "maxEmailAccounts25gb",
                           "maxEmailAccounts50gb", "maxEmailAccounts100gb",
                           "maxEmailAccountsArchive", "maxEmailQuota"}  # fmt: skip
    # The next `pulumi up` checks the generated program's inputs against them, then diffs.
    checked, failures = native.check(inputs, inputs)
    assert (checked, failures) == (inputs, [])
    assert native.diff(code, props, checked) == NO_CHANGE
    assert puts(emulator) == []


def test_import_leaves_out_live_values_the_rules_refuse_and_says_which_and_why(
    native: NativePlugin, emulator: Emulator, code: str
) -> None:
    emulator.add_domain(code, antispam_level=3, allow_nets=["192.168.1.10/24"],
                        max_email_quota=12345)  # fmt: skip
    _, props, inputs = native.read(code)
    assert props == inputs
    assert inputs["antispamLevel"] == 3
    assert "allowNets" not in inputs and "maxEmailQuota" not in inputs
    # The plugin flushed them before answering; the harness reads its stderr on another thread.
    deadline = time.monotonic() + 10
    while len(warnings := [ln for ln in native.stderr_text().splitlines() if code in ln]) < 2:
        assert time.monotonic() < deadline, native.stderr_text()
        time.sleep(0.05)
    assert warnings == [
        f"warning: DomainSettings {code}: the import leaves allowNets unmanaged, as the live value "
        'breaks its rule: item 0 ("192.168.1.10/24") has host bits set; use "192.168.1.0/24"',
        f"warning: DomainSettings {code}: the import leaves maxEmailQuota unmanaged, as the live "
        "value breaks its rule: must be one of 52428800 (50 MB), 1073741824 (1 GB), 2147483648 "
        "(2 GB), 3221225472 (3 GB), 4294967296 (4 GB), 5368709120 (5 GB), 6442450944 (6 GB), "
        "7516192768 (7 GB), 8589934592 (8 GB), 17179869184 (16 GB), 26843545600 (25 GB), "
        "53687091200 (50 GB), 107374182400 (100 GB); got 12345",
    ]
    checked, failures = native.check(inputs, inputs)
    assert (checked, failures) == (inputs, [])
    assert native.diff(code, props, checked) == NO_CHANGE


def test_import_of_a_missing_domain_is_an_error_not_an_empty_state(native: NativePlugin) -> None:
    with pytest.raises(PluginError) as failure:
        native.read("D000000404")
    assert reason(failure.value) == (
        "DomainSettings D000000404: no such domain, or it is not visible to this API token "
        "(HTTP 404 Not Found). Check domainCode and which Qboxmail account the token belongs to."
    )


# ---- configuration ----------------------------------------------------------------------------
def test_check_config_refuses_a_bad_value_by_key_and_tolerates_the_engines_version(
    native: NativePlugin,
) -> None:
    inputs, failures = native.check_config({"endpoint": "http://qbox.example", "version": "0.1.0"})
    assert failures == [
        ("endpoint", "plain http is allowed only to loopback hosts; use https://qbox.example")
    ]
    assert inputs == {"endpoint": "http://qbox.example", "version": "0.1.0"}
    assert (
        native.check_config({"endpoint": "https://api.qboxmail.com", "version": "0.1.0"})[1] == []
    )


def test_the_token_falls_back_to_the_environment(
    tmp_path: Path, emulator: Emulator, code: str
) -> None:
    env = clean_env(QBOXMAIL_API_TOKEN=TOKEN)
    with start_native(tmp_path, {"endpoint": emulator.url}, env=env) as plugin:
        apply(plugin, {"domainCode": code, "chat": True})
    assert [(r.method, r.token, r.body) for r in emulator.requests] == [
        ("PUT", "***", {"chat": True})
    ]


def test_without_a_token_only_the_api_calls_fail(
    tmp_path: Path, emulator: Emulator, code: str
) -> None:
    with start_native(tmp_path, {"endpoint": emulator.url}, clean_env()) as plugin:
        checked, failures = plugin.check({}, {"domainCode": code, "chat": True})
        assert failures == []
        plugin.delete(code, checked)
        with pytest.raises(PluginError) as failure:
            plugin.create(checked)
    assert reason(failure.value) == (
        "qboxmail configuration qboxmail:apiToken: is not set; run `pulumi config set --secret "
        "qboxmail:apiToken <token>` or set QBOXMAIL_API_TOKEN"
    )
    assert emulator.requests == []


def test_a_provider_config_change_updates_the_provider_and_replaces_nothing(
    native: NativePlugin,
) -> None:
    olds = {"apiToken": Secret("a"), "readTimeout": "30", "version": "0.1.0"}
    assert native.diff_config(olds, {**olds, "readTimeout": "60"}) == ("some", [])
    assert native.diff_config(olds, dict(olds)) == ("none", [])
