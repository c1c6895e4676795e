"""Check failures on both faces, from one table: each face says them in its own names, shows a
value the user marked secret as `[secret]`, and quotes every other value exactly as given.

The dynamic face is a user's program under mocks (its own check refuses the value once the
secret Output resolves); the native face is the plugin's Check over gRPC, with the value wrapped
in the engine's secret envelope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from test_resource import finalize_failed_registrations, mocked, one_error, users_test

from conftest import TOKEN, clean_env
from native_plugin import NativePlugin, Secret, reason, start_native
from plugin import PluginError
from pulumi_qboxmail import InvalidInputsError, QboxDomainSettings
from pulumi_qboxmail.model import PULUMI_NAMES
from pulumi_qboxmail.tools.emulator import Emulator
from test_programs import clean_runtime

__all__ = ["clean_runtime", "finalize_failed_registrations"]  # autouse fixtures
CODE = "D123456789"

# (case, API field, value, marked secret, what is wrong in every face's words)
CASES: list[tuple[str, str, Any, bool, str]] = [
    ("secret list item", "allow_nets", ["203.0.113.77/24"], True, "item 0 ([secret]) has host bits set"),
    ("secret email", "catch_all_destination", "nobody", True, "must be an email address; got [secret]"),
    ("secret domain code", "domain_code", "D12", True, "must be D followed by exactly 9 digits, e.g. D123456789; got [secret]"),
    ("secret zone", "timezone", "europe/rome", True, 'must be an IANA time zone name such as "Europe/Rome" or "UTC"; got [secret]'),
    ("plain list item", "allow_nets", ["203.0.113.77/24"], False, 'item 0 ("203.0.113.77/24") has host bits set; use "203.0.113.0/24"'),
    ("a field's name as a value", "plan", "allow_nets", False, 'must be one of basic (Basic), professional (Professional), enterprise (Enterprise); got "allow_nets"'),
    ("a field's name as an item", "allow_nets", ["allow_nets"], False, 'item 0 ("allow_nets") is not an IPv4/IPv6 address or CIDR network'),
    ("a field's name in an email", "catch_all_destination", "max_email_quota", False, 'must be an email address (An email address must have an @-sign.); got "max_email_quota"'),
]  # fmt: skip
IDS = [case[0] for case in CASES]


@pytest.fixture(scope="module")
def native(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NativePlugin]:
    config = {"apiToken": Secret(TOKEN), "endpoint": emulator.url}
    with start_native(tmp_path_factory.mktemp("messages"), config, clean_env()) as plugin:
        yield plugin


@pytest.mark.parametrize(("_case", "field", "value", "secret", "said"), CASES, ids=IDS)
def test_the_dynamic_face_says_it_in_python_names(
    _case: str, field: str, value: Any, secret: bool, said: str
) -> None:
    given = pulumi.Output.secret(value) if secret else pulumi.Output.from_input(value)
    inputs = {"domain_code": CODE, field: given}
    mocked()

    with pytest.raises(InvalidInputsError) as info:
        users_test(lambda: QboxDomainSettings("domain", **inputs))

    assert str(info.value) == one_error(f"{field}: {said}")


@pytest.mark.parametrize(("_case", "field", "value", "secret", "said"), CASES, ids=IDS)
def test_the_native_face_says_it_in_schema_names(
    native: NativePlugin, _case: str, field: str, value: Any, secret: bool, said: str
) -> None:
    news = {"domainCode": CODE, PULUMI_NAMES[field]: Secret(value) if secret else value}

    _, failures = native.check({}, news)

    assert failures == [(PULUMI_NAMES[field], said)]


@pytest.mark.parametrize(("_case", "field", "value", "secret", "said"), CASES, ids=IDS)
def test_a_create_that_skipped_check_says_it_the_same_way(
    native: NativePlugin,
    emulator: Emulator,
    _case: str,
    field: str,
    value: Any,
    secret: bool,
    said: str,
) -> None:
    news = {"domainCode": CODE, PULUMI_NAMES[field]: Secret(value) if secret else value}
    code = "[secret]" if secret and field == "domain_code" else CODE
    before = len(emulator.requests)

    with pytest.raises(PluginError) as failure:
        native.create(news)

    assert reason(failure.value) == f"DomainSettings {code}: {PULUMI_NAMES[field]}: {said}"
    assert emulator.requests[before:] == []


def test_a_reason_names_other_fields_in_the_faces_own_names(native: NativePlugin) -> None:
    news = {
        "domainCode": CODE,
        "postmasterPassword": "abcd1234",
        "postmasterPasswordConfirmation": "postmaster_password",
    }

    _, failures = native.check({}, news)

    assert failures == [("postmasterPasswordConfirmation", "must match postmasterPassword")]


NETS_WITH_A_SECRET = "allow_nets: item 1 ([secret]) has host bits set"


def test_one_secret_item_hides_the_list_in_a_program() -> None:
    nets = ["10.0.0.0/8", pulumi.Output.secret("203.0.113.77/24")]
    mocked()

    with pytest.raises(InvalidInputsError) as info:
        users_test(lambda: QboxDomainSettings("domain", domain_code=CODE, allow_nets=nets))

    assert str(info.value) == one_error(NETS_WITH_A_SECRET)


def test_one_secret_item_hides_the_list_in_the_native_check(native: NativePlugin) -> None:
    news = {"domainCode": CODE, "allowNets": ["10.0.0.0/8", Secret("203.0.113.77/24")]}

    _, failures = native.check({}, news)

    assert failures == [("allowNets", NETS_WITH_A_SECRET.removeprefix("allow_nets: "))]


def test_an_api_error_names_our_fields_in_the_faces_names_and_quotes_qboxmail_as_it_wrote() -> None:
    from pulumi_qboxmail import ApiValidationError, NotFoundError
    from pulumi_qboxmail.native.wire import NAMES

    error = ApiValidationError(CODE, [("allow_nets", "allow_nets must be an array")])
    missing = NotFoundError(CODE, 404)

    assert str(error) == (
        f"QboxDomainSettings {CODE}: Qboxmail rejected allow_nets: allow_nets must be an array (HTTP 422)"
    )
    assert error.render(NAMES) == (
        f"DomainSettings {CODE}: Qboxmail rejected allowNets: allow_nets must be an array (HTTP 422)"
    )
    assert missing.render(NAMES).endswith(
        "Check domainCode and which Qboxmail account the token belongs to."
    )


def test_words_given_as_plain_text_are_shown_as_they_are_on_every_face() -> None:
    from pulumi_qboxmail import FieldError
    from pulumi_qboxmail.native.wire import NAMES

    error = FieldError("domain_code", "is managed by '{postmaster_password}' already")

    assert error.render(NAMES) == error.message == "is managed by '{postmaster_password}' already"
