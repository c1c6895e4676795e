"""QboxDomainSettings as a program meets it: bad inputs fail a user's unit test under mocks.

Under `pulumi.runtime.set_mocks` the provider's check never runs, so the resource checks what it
can see itself: plain values at construction, values inside Outputs once they resolve, unknown
values not at all. Each test runs a user's `@pulumi.runtime.test` function the way pytest would,
with the monitor from `test_programs.py` recording what reached the engine.
"""

from __future__ import annotations

import gc
import pydoc
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.output import Unknown
from pulumi.runtime import rpc

from pulumi_qboxmail import InvalidInputsError, QboxDomainSettings
from test_programs import EngineLikeMocks, RecordingMonitor, clean_runtime

ROOT = Path(__file__).resolve().parents[1]
CODE = "D123456789"
__all__ = ["clean_runtime"]  # the autouse fixture: fresh runtime state for every test here

# Six bad inputs, each registered with no error under mocks before the resource checked.
SIX_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("misspelled field", {"antispam_levl": 3}, 'antispam_levl: is not a QboxDomainSettings input; did you mean "antispam_level"?'),
    ("force_otp yes", {"force_otp": "yes"}, 'force_otp: must be true or false; got "yes"'),
    ("antispam_level 9", {"antispam_level": 9}, "antispam_level: must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive); got 9"),
    ("allow_nets host bits", {"allow_nets": ["192.0.2.1/24"]}, 'allow_nets: item 0 ("192.0.2.1/24") has host bits set; use "192.0.2.0/24"'),
    ("webmail_timezone typo", {"webmail_timezone": "Europe/Rom"}, 'webmail_timezone: must be an IANA time zone name such as "Europe/Rome" or "UTC" (did you mean "Europe/Rome"?); got "Europe/Rom"'),
    ("domain_code not a code", {"domain_code": "example.com"}, 'domain_code: must be D followed by exactly 9 digits, e.g. D123456789; got "example.com"'),
]  # fmt: skip
IDS = [case[0] for case in SIX_CASES]


@pytest.fixture(autouse=True, scope="module")
def finalize_failed_registrations() -> Iterator[None]:
    """Finalize what the failed registrations of this module leave behind, before others run."""
    yield
    # A failed registration leaves futures failed and never awaited; asyncio logs each, with a
    # formatted traceback, when it is garbage-collected. On Python 3.11.7 that formatting parses
    # source (ast) and, run by the collector in the middle of another AST build (pytest's
    # assertion rewriting, hypothesis), makes that build fail with "AST constructor recursion
    # depth mismatch": CPython's AST recursion counter is not re-entrant there. Collect now,
    # while nothing is being parsed.
    gc.collect()


def mocked(*, preview: bool = False) -> RecordingMonitor:
    """Set the user's mocks up, as their test module would; return the monitor that records."""
    mocks = EngineLikeMocks(preview)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project="users-project", stack="test", preview=preview, monitor=monitor
    )
    return monitor


def users_test(program: Callable[[], object]) -> None:
    """Run `program` as the body of a user's `@pulumi.runtime.test`, the way pytest calls it."""

    @pulumi.runtime.test
    def test_my_program() -> None:
        program()

    test_my_program()


def one_error(line: str) -> str:
    return f"QboxDomainSettings 'domain' has 1 invalid input:\n  {line}"


@pytest.mark.parametrize(("_case", "settings", "line"), SIX_CASES, ids=IDS)
def test_a_bad_plain_value_fails_the_users_test_at_construction_naming_the_resource(
    _case: str, settings: dict[str, Any], line: str
) -> None:
    monitor = mocked()
    inputs = {"domain_code": CODE, **settings}

    with pytest.raises(InvalidInputsError) as info:
        users_test(lambda: QboxDomainSettings("domain", **inputs))

    assert str(info.value) == one_error(line)
    assert monitor.requests == []  # the bad value never reached the engine
    # Under `pulumi up` a RunError ends the program with this message alone, no traceback.
    assert isinstance(info.value, pulumi.RunError)


@pytest.mark.parametrize(("_case", "settings", "line"), SIX_CASES, ids=IDS)
def test_a_bad_value_inside_an_output_fails_the_users_test_once_it_resolves(
    _case: str, settings: dict[str, Any], line: str
) -> None:
    monitor = mocked()
    inputs = {"domain_code": CODE, **{k: pulumi.Output.from_input(v) for k, v in settings.items()}}

    with pytest.raises(InvalidInputsError) as info:
        users_test(lambda: QboxDomainSettings("domain", **inputs))

    assert str(info.value) == one_error(line)
    assert monitor.requests == []


def test_a_bad_list_item_inside_an_output_is_named_by_its_place_in_the_list() -> None:
    nets = [
        "10.0.0.0/8",
        pulumi.Output.from_input("192.0.2.0/24"),
        pulumi.Output.from_input("198.51.100.1/24"),
    ]

    monitor = mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(lambda: QboxDomainSettings("domain", domain_code=CODE, allow_nets=nets))

    assert str(info.value) == one_error(
        'allow_nets: item 2 ("198.51.100.1/24") has host bits set; use "198.51.100.0/24"'
    )
    assert monitor.requests == []


def test_every_plain_problem_is_reported_at_once_in_one_error() -> None:
    settings = {key: value for _, case, _ in SIX_CASES for key, value in case.items()}

    mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(lambda: QboxDomainSettings("domain", **settings))

    assert str(info.value) == (
        "QboxDomainSettings 'domain' has 6 invalid inputs:\n"
        '  domain_code: must be D followed by exactly 9 digits, e.g. D123456789; got "example.com"\n'
        "  antispam_level: must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive); got 9\n"
        '  allow_nets: item 0 ("192.0.2.1/24") has host bits set; use "192.0.2.0/24"\n'
        '  force_otp: must be true or false; got "yes"\n'
        '  webmail_timezone: must be an IANA time zone name such as "Europe/Rome" or "UTC" (did you mean "Europe/Rome"?); got "Europe/Rom"\n'
        '  antispam_levl: is not a QboxDomainSettings input; did you mean "antispam_level"?'
    )
    assert [e.field for e in info.value.errors] == [
        "domain_code", "antispam_level", "allow_nets", "force_otp", "webmail_timezone", "antispam_levl",
    ]  # fmt: skip


def test_the_same_inputs_in_one_args_dict_fail_the_same_way() -> None:
    mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(lambda: QboxDomainSettings("domain", {"domain_code": CODE, "force_otp": "yes"}))

    assert str(info.value) == one_error('force_otp: must be true or false; got "yes"')


def test_a_missing_domain_code_is_reported_even_with_other_outputs_pending() -> None:
    def program() -> None:
        QboxDomainSettings("domain", antispam_level=pulumi.Output.from_input(2))  # type: ignore[call-overload]

    mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(program)

    assert str(info.value) == one_error("domain_code: is required")


def test_unknown_values_are_skipped_and_registered_as_unknown_in_preview() -> None:
    def program() -> None:
        # In preview a resource about to be created has no id yet: values derived from it are unknown.
        source = QboxDomainSettings("source", domain_code="D000000001")
        later = source.id.apply(lambda _: 9)  # would break the antispam rule if it ever resolved
        QboxDomainSettings(
            "domain",
            domain_code=CODE,
            antispam_level=later,
            allow_nets=["10.0.0.0/8", source.id.apply(lambda _: "not a network")],
            force_otp=True,
        )

    monitor = mocked(preview=True)
    users_test(program)

    domain = monitor.registered()["domain"]
    assert isinstance(domain["antispam_level"], Unknown)
    # The list keeps its shape: its known item still shows (and was checked) in preview.
    assert domain["allow_nets"][0] == "10.0.0.0/8"
    assert isinstance(domain["allow_nets"][1], Unknown)
    assert domain["force_otp"] is True


def test_a_known_value_beside_an_unknown_one_is_still_checked_in_preview() -> None:
    def program() -> None:
        source = QboxDomainSettings("source", domain_code="D000000001")
        nets = ["10.0.0.1/8", source.id.apply(lambda _: "192.0.2.0/24")]
        QboxDomainSettings("domain", domain_code=CODE, allow_nets=nets)

    mocked(preview=True)
    with pytest.raises(InvalidInputsError) as info:
        users_test(program)

    assert str(info.value) == one_error(
        'allow_nets: item 0 ("10.0.0.1/8") has host bits set; use "10.0.0.0/8"'
    )


def test_good_values_inside_outputs_register_unchanged_and_the_password_stays_secret() -> None:
    def program() -> None:
        QboxDomainSettings(
            "domain",
            domain_code=pulumi.Output.from_input(CODE),
            antispam_level=pulumi.Output.from_input(3),
            allow_nets=["10.0.0.0/8", pulumi.Output.from_input("2001:db8::/32")],
            postmaster_password=pulumi.Output.secret("Postmaster2024x"),
            postmaster_password_confirmation="Postmaster2024x",
        )

    monitor = mocked()
    users_test(program)

    [request] = monitor.requests
    assert {k: v for k, v in monitor.registered()["domain"].items() if k != "__provider"} == {
        "domain_code": CODE,
        "antispam_level": 3.0,
        "allow_nets": ["10.0.0.0/8", "2001:db8::/32"],
        "postmaster_password": rpc.wrap_rpc_secret("Postmaster2024x"),
        "postmaster_password_confirmation": rpc.wrap_rpc_secret("Postmaster2024x"),
    }
    assert list(request.additionalSecretOutputs) == ["postmaster_password"]


def test_a_bad_password_inside_a_secret_output_fails_without_showing_it() -> None:
    def program() -> None:
        QboxDomainSettings(
            "domain", domain_code=CODE, postmaster_password=pulumi.Output.secret("short7")
        )

    mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(program)

    assert str(info.value) == one_error(
        "postmaster_password: must be at least 8 characters long and contain at least one letter and one number"
    )
    assert "short7" not in repr(info.value)


def test_a_confirmation_is_compared_with_the_password_once_that_resolves() -> None:
    def program() -> None:
        QboxDomainSettings(
            "domain",
            domain_code=CODE,
            postmaster_password=pulumi.Output.secret("Postmaster2024x"),
            postmaster_password_confirmation="Postmaster2024y",
        )

    mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(program)

    assert str(info.value) == one_error(
        "postmaster_password_confirmation: must match postmaster_password"
    )
    assert "Postmaster2024" not in repr(info.value)


def test_an_unknown_password_does_not_fail_its_known_confirmation_in_preview() -> None:
    def program() -> None:
        source = QboxDomainSettings("source", domain_code="D000000001")
        QboxDomainSettings(
            "domain",
            domain_code=CODE,
            postmaster_password=source.id.apply(lambda _: "Postmaster2024x"),
            postmaster_password_confirmation="Postmaster2024x",
        )

    monitor = mocked(preview=True)
    users_test(program)

    assert isinstance(
        rpc.unwrap_rpc_secret(monitor.registered()["domain"]["postmaster_password"]), Unknown
    )


def taken(code: str, owner: str, claimant: str) -> str:
    return (
        f"QboxDomainSettings {claimant!r} has 1 invalid input:\n  domain_code: {code} is already "
        f"managed by {owner!r} in this stack; {claimant!r} cannot manage it too: one domain has "
        "one owner, or the two would overwrite each other's settings"
    )


def test_a_second_resource_with_a_known_domain_code_fails_naming_the_code_and_both() -> None:
    def program() -> None:
        QboxDomainSettings("main", domain_code=CODE, antispam_level=2)
        QboxDomainSettings("other", domain_code="D000000001")
        QboxDomainSettings("shop", domain_code=CODE, antispam_level=3)

    monitor = mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(program)

    assert str(info.value) == taken(CODE, "main", "shop")
    assert sorted(monitor.registered()) == ["main", "other"]  # the second claim never registered


def test_a_domain_code_inside_an_output_is_claimed_once_it_resolves() -> None:
    def program() -> None:
        QboxDomainSettings("main", domain_code=pulumi.Output.from_input(CODE))
        QboxDomainSettings("shop", domain_code=pulumi.Output.from_input(CODE))

    mocked()
    with pytest.raises(InvalidInputsError) as info:
        users_test(program)

    assert str(info.value) == taken(CODE, "main", "shop")


def test_an_unknown_domain_code_claims_nothing_in_preview() -> None:
    def program() -> None:
        source = QboxDomainSettings("source", domain_code=CODE)
        QboxDomainSettings("later", domain_code=source.id.apply(lambda _: CODE))

    monitor = mocked(preview=True)
    users_test(program)

    assert isinstance(monitor.registered()["later"]["domain_code"], Unknown)


def test_each_run_has_its_own_claims() -> None:
    # One name per run: a second run with the first run's name would prove nothing.
    for name in ("first", "second", "third"):
        mocked()
        users_test(lambda name=name: QboxDomainSettings(name, domain_code=CODE))


def test_help_points_at_the_args_and_the_readme_not_the_sdk_props_and_provider() -> None:
    text = pydoc.render_doc(QboxDomainSettings, renderer=pydoc.plaintext)
    init = text.split("__init__(self", 1)[1].split("-----", 1)[0]

    assert "QboxDomainSettingsArgs" in text.split("Method resolution order", 1)[0]
    assert "QboxDomainSettingsArgs" in init and "README" in init
    assert ":param" not in init and "props" not in init and "provider" not in init


def test_the_readme_mocks_example_runs_and_catches_the_bad_value(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Test your program\n", 1)[1]
    example = section.split("```python\n", 1)[1].split("```\n", 1)[0]
    test_file = tmp_path / "test_program.py"
    test_file.write_text(example)

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
