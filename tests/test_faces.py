"""Behaviour both faces share, as one table run on the dynamic plugin and on the native plugin.

Rows speak the API's names; the native face gets them in its schema names. Each face's diff is
asserted whole in its own terms: the native face's detailed diff too, and the native face keeps a
secret input's secret flag where the dynamic face has no such flag on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from native_plugin import NativeDiff, Secret
from plugin import UNKNOWN, Diff, apply
from pulumi_qboxmail.model import PULUMI_NAMES
from pulumi_qboxmail.tools.emulator import Emulator

CREATES = [
    pytest.param({}, {}, id="only-the-domain-code"),
    pytest.param({"chat": True, "antispam_level": 2}, {"chat": True, "antispam_level": 2}, id="two-settings"),
    pytest.param({"force_new_password": False}, {}, id="an-action-flag-left-off"),
]  # fmt: skip
"""(settings beside domain_code, the body of the one PUT a create sends)."""

SETTINGS = {
    "antispam_level": 2,
    "allow_nets": ["192.168.0.0/16", "10.0.0.1/32", "2001:DB8::/32"],
    "max_email_accounts": 25,
    "force_otp": True,
    "password_expiration": 6,
    "webmail_language": "en",
    "webmail_timezone": "Europe/Rome",
}
NETS = ["10.0.0.1", "192.168.0.0/16", "2001:db8::/32"]
"""SETTINGS' allow_nets as the core writes them: canonical, sorted."""
MANAGED = {**SETTINGS, "allow_nets": NETS}
"""SETTINGS as checked, sent and returned."""


@dataclass(frozen=True)
class Face:
    """A configured plugin of one face, and how that face names fields, diffs and secrets."""

    plugin: Any
    names: Mapping[str, str]
    native: bool

    def bag(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """`settings`, written in API names, in this face's names."""
        return {self.names[name]: value for name, value in settings.items()}

    def diff(
        self, changes: str, replaces: Sequence[str] = (), **detailed: str
    ) -> Diff | NativeDiff:
        """The whole diff this face answers; `replaces` and `detailed` in API names."""
        replaced = [self.names[name] for name in replaces]
        if not self.native:
            return Diff(changes, replaced, False)
        return NativeDiff(changes, replaced, {self.names[k]: v for k, v in detailed.items()})

    def secret(self, value: Any) -> Any:
        """`value` as this face returns a secret input: flagged on the native face's wire."""
        return Secret(value) if self.native else value

    def update(self, id_: str, olds: Any, news: Any, old_inputs: Any = None) -> dict[str, Any]:
        """Update as the engine sends it; the native harness always sends `olds` as old inputs."""
        if self.native:
            return dict(self.plugin.update(id_, olds, news))
        return dict(self.plugin.update(id_, olds, news, old_inputs=old_inputs))

    @property
    def gone_inputs(self) -> dict[str, Any] | None:
        """The inputs a Read of a vanished domain answers: none at all, or an empty map."""
        return {} if self.native else None


@pytest.fixture(params=["dynamic", "native"])
def face(request: pytest.FixtureRequest) -> Face:
    """A configured plugin of each face."""
    if request.param == "dynamic":
        names = {name: name for name in PULUMI_NAMES}
        return Face(request.getfixturevalue("plugin"), names, native=False)
    return Face(request.getfixturevalue("native"), PULUMI_NAMES, native=True)


def calls(emulator: Emulator) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in emulator.requests]


@pytest.mark.parametrize(("settings", "body"), CREATES)
def test_a_create_sends_one_put_of_exactly_the_given_settings(
    face: Face, emulator: Emulator, code: str, settings: dict[str, Any], body: dict[str, Any]
) -> None:
    inputs = face.bag({"domain_code": code, **settings})
    _, outs = apply(face.plugin, inputs)
    assert outs == inputs
    assert calls(emulator) == [("PUT", f"/api/domains/{code}", body)]


def test_create_sends_one_put_of_the_checked_settings_and_returns_every_output(
    face: Face, emulator: Emulator, code: str
) -> None:
    checked, failures = face.plugin.check({}, face.bag({"domain_code": code, **SETTINGS}))
    assert failures == []
    assert emulator.requests == []
    id_, outs = face.plugin.create(checked)
    assert calls(emulator) == [("PUT", f"/api/domains/{code}", MANAGED)]
    assert id_ == code
    assert outs == face.bag({"domain_code": code, **MANAGED})
    assert emulator.domains[code]["allow_nets"] == NETS


def test_no_spurious_diff_for_canonically_equal_values(
    face: Face, emulator: Emulator, code: str
) -> None:
    _, outs = apply(face.plugin, face.bag({"domain_code": code, **SETTINGS}))
    emulator.clear_log()
    rewritten = face.bag({
        **SETTINGS,
        "domain_code": code,
        "allow_nets": ["2001:db8::/32", "10.0.0.1", "192.168.0.0/16", "10.0.0.1/32", "10.0.0.1"],
        "max_email_accounts": 25.0,
        "antispam_level": 2.0,
    })  # fmt: skip
    # Compared as the core writes them, whether or not Check has canonicalized them first.
    assert face.plugin.diff(code, outs, rewritten) == face.diff("none")
    checked, _ = face.plugin.check(outs, rewritten)
    assert face.plugin.diff(code, outs, checked) == face.diff("none")
    assert emulator.requests == []


def test_update_sends_only_what_changed_and_nothing_when_nothing_did(
    face: Face, emulator: Emulator, code: str
) -> None:
    path = f"/api/domains/{code}"
    checked, outs = apply(face.plugin, face.bag({"domain_code": code, **SETTINGS}))
    emulator.clear_log()
    changed = {**SETTINGS, "antispam_level": 3, "allow_nets": list(reversed(NETS))}
    news, _ = face.plugin.check(checked, face.bag({"domain_code": code, **changed}))
    assert face.plugin.diff(code, outs, news) == face.diff("some", antispam_level="UPDATE")
    new_outs = face.update(code, outs, news, old_inputs=checked)
    assert calls(emulator) == [("PUT", path, {"antispam_level": 3})]
    assert new_outs == {**outs, face.names["antispam_level"]: 3}

    emulator.clear_log()
    assert face.plugin.update(code, news, news) == news
    news, _ = face.plugin.check(new_outs, face.bag({"domain_code": code, **changed}))
    assert face.plugin.update(code, new_outs, news) == new_outs
    assert emulator.requests == []


def test_a_domain_code_change_known_or_unknown_replaces_and_preview_leaves_unknowns_alone(
    face: Face, emulator: Emulator, code: str
) -> None:
    # Apply replaces whenever the code changes, so preview must not promise a mere update.
    _, outs = apply(face.plugin, face.bag({"domain_code": code, **SETTINGS}))
    emulator.clear_log()
    moved, _ = face.plugin.check(outs, face.bag({**SETTINGS, "domain_code": "D999999999"}))
    assert face.plugin.diff(code, outs, moved) == face.diff(
        "some", ["domain_code"], domain_code="UPDATE_REPLACE"
    )

    inputs = face.bag({**SETTINGS, "domain_code": UNKNOWN, "allow_nets": ["10.0.0.1", UNKNOWN]})
    checked, failures = face.plugin.check(outs, inputs)
    assert failures == []
    assert checked[face.names["domain_code"]] == UNKNOWN
    assert checked[face.names["allow_nets"]] == ["10.0.0.1", UNKNOWN]
    assert face.plugin.diff(code, outs, checked) == face.diff(
        "some", ["domain_code"], domain_code="UPDATE_REPLACE", allow_nets="UPDATE"
    )

    olds = face.bag({"domain_code": code, "chat": True})
    known = face.bag({"domain_code": "D999999999", "chat": True})
    assert face.plugin.diff(code, olds, known) == face.diff(
        "some", ["domain_code"], domain_code="UPDATE_REPLACE"
    )
    unknown = face.bag({"domain_code": UNKNOWN, "chat": UNKNOWN})
    assert face.plugin.diff(code, olds, unknown) == face.diff(
        "some", ["domain_code"], domain_code="UPDATE_REPLACE", chat="UPDATE"
    )
    assert emulator.requests == []


def test_refresh_reports_drift_in_managed_settings_only_and_the_next_update_repairs_it(
    face: Face, emulator: Emulator, code: str
) -> None:
    given = face.bag({"domain_code": code, **SETTINGS, "plan": "basic"})
    checked, outs = apply(face.plugin, {**given, face.names["company"]: face.secret("ACME")})
    with emulator.lock:
        emulator.domains[code].update(antispam_level=0, allow_nets=["10.9.9.9/32"], chat=True)
    emulator.clear_log()
    id_, new_outs, new_inputs = face.plugin.read(code, outs, inputs=checked)
    assert calls(emulator) == [("GET", f"/api/domains/{code}", None)]
    drifted = {**outs, **face.bag({"antispam_level": 0, "allow_nets": ["10.9.9.9"]})}
    assert (id_, new_outs, new_inputs) == (code, drifted, drifted)
    assert face.plugin.diff(code, new_outs, outs) == face.diff(
        "some", antispam_level="UPDATE", allow_nets="UPDATE"
    )
    news, _ = face.plugin.check(new_inputs, {**given, face.names["company"]: face.secret("ACME")})
    assert face.plugin.diff(code, new_outs, news) == face.diff(
        "some", antispam_level="UPDATE", allow_nets="UPDATE"
    )
    face.plugin.update(code, new_outs, news)
    assert calls(emulator)[-1] == (
        "PUT",
        f"/api/domains/{code}",
        {"antispam_level": 2, "allow_nets": NETS},
    )


def test_refresh_of_a_vanished_domain_drops_it(face: Face, emulator: Emulator, code: str) -> None:
    checked, outs = apply(face.plugin, face.bag({"domain_code": code, **SETTINGS}))
    del emulator.domains[code]
    emulator.clear_log()
    assert face.plugin.read(code, outs, inputs=checked) == ("", {}, face.gone_inputs)
    assert calls(emulator) == [("GET", f"/api/domains/{code}", None)]

    never = "D000000404"
    olds, inputs = face.bag({"domain_code": never, "chat": True}), face.bag({"domain_code": never})
    assert face.plugin.read(never, olds, inputs=inputs) == ("", {}, face.gone_inputs)


def test_delete_leaves_the_domain_alone(face: Face, emulator: Emulator, code: str) -> None:
    _, outs = apply(face.plugin, face.bag({"domain_code": code, **SETTINGS}))
    before = dict(emulator.domains[code])
    emulator.clear_log()
    face.plugin.delete(code, outs)
    assert emulator.requests == []
    assert emulator.domains[code] == before
