"""Behaviour both faces share, as one table run on the dynamic plugin and on the native plugin.

Rows speak the API's names; the native face gets them in its schema names.
"""

from __future__ import annotations

from typing import Any

import pytest

from plugin import Lifecycle, apply
from pulumi_qboxmail.model import PULUMI_NAMES
from pulumi_qboxmail.tools.emulator import Emulator

CREATES = [
    pytest.param({}, {}, id="only-the-domain-code"),
    pytest.param({"chat": True, "antispam_level": 2}, {"chat": True, "antispam_level": 2}, id="two-settings"),
    pytest.param({"force_new_password": False}, {}, id="an-action-flag-left-off"),
]  # fmt: skip
"""(settings beside domain_code, the body of the one PUT a create sends)."""


@pytest.fixture(params=["dynamic", "native"])
def face(request: pytest.FixtureRequest) -> tuple[Lifecycle, dict[str, str]]:
    """A configured plugin of each face, and how it names each API field."""
    if request.param == "dynamic":
        return request.getfixturevalue("plugin"), {name: name for name in PULUMI_NAMES}
    return request.getfixturevalue("native"), PULUMI_NAMES


@pytest.mark.parametrize(("settings", "body"), CREATES)
def test_a_create_sends_one_put_of_exactly_the_given_settings(
    face: tuple[Lifecycle, dict[str, str]],
    emulator: Emulator,
    code: str,
    settings: dict[str, Any],
    body: dict[str, Any],
) -> None:
    plugin, names = face
    inputs = {names[name]: value for name, value in {"domain_code": code, **settings}.items()}
    _, outs = apply(plugin, inputs)
    assert outs == inputs
    assert [(r.method, r.path, r.body) for r in emulator.requests] == [
        ("PUT", f"/api/domains/{code}", body)
    ]
