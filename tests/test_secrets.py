"""Tier 5: a secret scan over everything a run leaves behind.

A full lifecycle through the real plugin (check, create, diff, update, read, delete) plus failing
calls (401 from a plugin with a wrong token, 422, check failures on the password, a create that
bypasses check), with a recognisable API token and postmaster passwords; a direct client run with
DEBUG logging for pulumi_qboxmail and urllib3. Then every trace is scanned: returned outputs and
checked inputs, `__provider` (base64 and the raw pickle), every plugin error with its traceback,
the plugins' stdout and stderr, the emulator's request log, repr/str of the client, the provider
and every exception, and every log record.

The tokens (the right one and the wrong one) must appear nowhere. A password may appear only in
PUT bodies (`postmaster_password` and its confirmation) and in results under the key
`postmaster_password`, which the resource marks as a secret output (`additional_secret_outputs`,
asserted on the registered resource in tests/test_programs.py).
"""

from __future__ import annotations

import base64
import dataclasses
import logging
import pickle
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from conftest import start_plugin
from plugin import Plugin, PluginError
from pulumi_qboxmail import QboxClient, QboxDomainSettingsProvider, QboxError, RetryPolicy
from pulumi_qboxmail.tools.emulator import Emulator

TOKEN = "tok-SCAN-7d1e0b5f2a"
WRONG_TOKEN = "tok-SCAN-WRONG-c3a9e1"
PASSWORD = "Pw-SCAN-91xq"
NEW_PASSWORD = "Pw-SCAN-22zz"
WEAK_PASSWORD = "Pw-SCAN-weak"  # no digit: check refuses it
MISMATCH = "Pw-SCAN-0ther7"  # a confirmation that does not match
PASSWORDS = (PASSWORD, NEW_PASSWORD, WEAK_PASSWORD, MISMATCH)
NEVER = (TOKEN, WRONG_TOKEN, WEAK_PASSWORD, MISMATCH)
SECRET_KEYS = ("postmaster_password", "postmaster_password_confirmation")
CODE = "D800000001"
OTHER = "D800000002"


class Traces:
    """Everything collected, as (where, text) pairs, plus the password-bearing values set aside."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []
        self.blobs: list[tuple[str, bytes]] = []
        self.allowed: list[tuple[str, str]] = []  # (where, password) found where allowed

    def text(self, where: str, value: Any) -> None:
        self.texts.append((where, value if isinstance(value, str) else repr(value)))

    def result(self, where: str, bag: dict[str, Any] | None) -> None:
        """Outputs or checked inputs: the password only under `postmaster_password`."""
        bag = dict(bag or {})
        if "postmaster_password" in bag:
            self.allowed.append((where, bag.pop("postmaster_password")))
        self.text(where, bag)

    def error(self, where: str, error: BaseException) -> None:
        self.text(f"{where}: str", str(error))
        self.text(f"{where}: repr", repr(error))
        if isinstance(error, PluginError):
            self.text(f"{where}: details", error.details)
        else:
            self.text(f"{where}: traceback", "".join(traceback.format_exception(error)))

    def found(self, secret: str) -> list[str]:
        hits = [where for where, text in self.texts if secret in text]
        return hits + [where for where, blob in self.blobs if secret.encode() in blob]


@pytest.fixture(scope="module")
def traces() -> Traces:
    return Traces()


@pytest.fixture(scope="module")
def scan_emulator() -> Iterator[Emulator]:
    emu = Emulator(token=TOKEN, domains=[CODE, OTHER])
    with emu:
        yield emu


def _plugin(emu: Emulator, tmp: Any, token: str) -> Plugin:
    config = {
        "qboxmail:apiToken": token,
        "qboxmail:endpoint": emu.url,
        "qboxmail:maxAttempts": "2",
        "qboxmail:maxRetrySeconds": "2",
    }
    return start_plugin(tmp, config)


@pytest.fixture(scope="module")
def lifecycle(
    scan_emulator: Emulator, traces: Traces, tmp_path_factory: pytest.TempPathFactory
) -> Traces:
    """Run every call once, collect every trace, stop the plugins (flushing their output)."""
    emu = scan_emulator
    good = _plugin(emu, tmp_path_factory.mktemp("scan"), TOKEN)
    wrong = _plugin(emu, tmp_path_factory.mktemp("scan-wrong"), WRONG_TOKEN)
    try:
        _drive(good, wrong, emu, traces)
    finally:
        good.stop()
        wrong.stop()
    for name, proc in (("plugin", good), ("wrong-token plugin", wrong)):
        traces.text(f"{name} stdout", proc.stdout_text())
        traces.text(f"{name} stderr", proc.stderr_text())
    for index, request in enumerate(emu.requests):
        body = dict(request.body) if isinstance(request.body, dict) else request.body
        for key in SECRET_KEYS:
            if isinstance(body, dict) and key in body:
                assert request.method == "PUT"
                traces.allowed.append((f"emulator log {index} {key}", body.pop(key)))
        traces.text(f"emulator log {index}", repr(dataclasses.replace(request, body=body)))
    return traces


def _fails(traces: Traces, where: str, call: Any) -> PluginError:
    with pytest.raises(PluginError) as failure:
        call()
    traces.error(where, failure.value)
    return failure.value


def _drive(good: Plugin, wrong: Plugin, emu: Emulator, traces: Traces) -> None:
    inputs = {"domain_code": CODE, "postmaster_password": PASSWORD, "antispam_level": 1}
    checked, failures = good.check({}, inputs)
    assert failures == []
    traces.result("check", checked)
    id_, outs = good.create(checked)
    traces.result("create", outs)
    assert outs["postmaster_password"] == PASSWORD
    assert good.last_raw is not None
    serialized = good.last_raw["__provider"]
    traces.text("__provider (create)", serialized)
    traces.blobs.append(("__provider pickle", base64.b64decode(serialized)))

    news, _ = good.check(checked, {**inputs, "postmaster_password": NEW_PASSWORD})
    traces.result("check before update", news)
    traces.text("diff", good.diff(id_, outs, news, old_inputs=checked))
    outs = good.update(id_, outs, news, old_inputs=checked)
    traces.result("update", outs)
    read_id, read_outs, read_inputs = good.read(id_, outs, inputs=news)
    traces.result("read outputs", read_outs)
    traces.result("read inputs", read_inputs)
    good.delete(read_id, read_outs, old_inputs=read_inputs)

    weak, weak_failures = good.check({}, {**inputs, "postmaster_password": WEAK_PASSWORD})
    traces.result("check of a weak password", weak)
    traces.text("check failures (weak)", weak_failures)
    assert [name for name, _ in weak_failures] == ["postmaster_password"]
    mismatch, mismatch_failures = good.check(
        {}, {**inputs, "postmaster_password_confirmation": MISMATCH}
    )
    traces.result("check of a mismatch", mismatch)
    traces.text("check failures (mismatch)", mismatch_failures)
    assert [name for name, _ in mismatch_failures] == ["postmaster_password_confirmation"]

    emu.fail_next(
        1,
        422,
        body={
            "message": "Validation failed",
            "errors": [{"field": "postmaster_password", "description": "is too weak"}],
        },
    )
    back, _ = good.check(news, inputs)  # the password changes again: it is in the PUT
    _fails(traces, "422 on update", lambda: good.update(id_, outs, back, old_inputs=news))
    _fails(traces, "create bypassing check", lambda: good.create({**inputs, "postmaster_password": WEAK_PASSWORD}))  # fmt: skip
    _fails(traces, "401 on create", lambda: wrong.create({**checked, "domain_code": OTHER}))
    _fails(traces, "401 on read", lambda: wrong.read(id_, outs, inputs=news))
    _fails(traces, "401 on update", lambda: wrong.update(id_, outs, back, old_inputs=news))


# ---- the direct (non-plugin) run, with DEBUG logging ----------------------------------------------
class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def direct(scan_emulator: Emulator, traces: Traces) -> Traces:
    emu = scan_emulator
    handler = Collect()
    loggers = [logging.getLogger(name) for name in ("pulumi_qboxmail", "urllib3")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(handler)
    try:
        client = QboxClient(TOKEN, emu.url, retry=RetryPolicy(max_attempts=2, base_delay=0.01))
        body = {"postmaster_password": PASSWORD, "postmaster_password_confirmation": PASSWORD}
        client.update_domain(OTHER, body)
        traces.text("get_domain", client.get_domain(OTHER))
        emu.fail_next(1, 503)
        client.update_domain(OTHER, {"antispam_level": 2})
        emu.drop_next(2)
        emu.fail_next(1, 422, body={"message": "x", "errors": [{"field": "a", "description": "b"}]})
        for failing_client, call_body in (
            (client, {"antispam_level": 3}),  # dropped twice: TransportError
            (client, body),  # 422
            (QboxClient(WRONG_TOKEN, emu.url), body),  # 401
        ):
            try:
                failing_client.update_domain(OTHER, call_body)
            except QboxError as error:
                traces.error(f"direct {type(error).__name__}", error)
            else:
                pytest.fail("the call should have failed")
        with pytest.raises(TypeError) as refused:  # a pickled client would carry the token
            pickle.dumps(client)
        traces.error("pickling the client", refused.value)
        traces.text("repr(client)", repr(client))
        traces.text("str(client)", str(client))
        provider = QboxDomainSettingsProvider()
        provider.configure(ConfigureRequest(Config({"qboxmail:apiToken": TOKEN}, "scan")))
        provider._api()  # the client exists now
        traces.text("repr(provider)", repr(provider))
        traces.text("str(provider)", str(provider))
        traces.text("repr(vars(provider))", repr(vars(provider)))
        configured = serialize_provider(provider)
        traces.text("__provider (configured)", configured)
        traces.blobs.append(("configured provider pickle", base64.b64decode(configured)))
        traces.blobs.append(("pickle.dumps(provider)", pickle.dumps(provider)))
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
    assert handler.records, "DEBUG logging produced no records to scan"
    for record in handler.records:
        where = f"log {record.name} {record.levelname}"
        traces.text(where, record.getMessage())
        traces.text(f"{where} args", record.args)
        if record.exc_info:
            traces.text(f"{where} exc", "".join(traceback.format_exception(*record.exc_info)))
    return traces


# ---- the scan ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def everything(lifecycle: Traces, direct: Traces) -> Traces:
    assert lifecycle is direct
    return lifecycle


def test_the_scan_saw_every_kind_of_trace(everything: Traces) -> None:
    places = " | ".join(where for where, _ in everything.texts)
    for expected in (
        "create",
        "update",
        "read outputs",
        "__provider (create)",
        "401 on create: details",
        "422 on update: details",
        "create bypassing check: details",
        "plugin stderr",
        "wrong-token plugin stdout",
        "emulator log 0",
        "direct TransportError: traceback",
        "direct ApiValidationError: str",
        "direct UnauthorizedError: repr",
        "pickling the client: str",
        "repr(client)",
        "repr(provider)",
        "log urllib3.connectionpool DEBUG",
        "log pulumi_qboxmail DEBUG",
    ):
        assert expected in places, expected
    log = [text for where, text in everything.texts if where.startswith("emulator log")]
    assert any("token='<wrong>'" in text for text in log)  # the wrong token did go out
    assert any("token='***'" in text for text in log)
    assert [where for where, _ in everything.blobs] == [
        "__provider pickle",
        "configured provider pickle",
        "pickle.dumps(provider)",
    ]


@pytest.mark.parametrize("secret", NEVER, ids=["token", "wrong-token", "weak-password", "mismatch"])
def test_secret_appears_nowhere(everything: Traces, secret: str) -> None:
    assert everything.found(secret) == []
    assert secret not in [value for _, value in everything.allowed]


@pytest.mark.parametrize("secret", [PASSWORD, NEW_PASSWORD], ids=["password", "new-password"])
def test_password_appears_only_in_put_bodies_and_under_its_own_output_key(
    everything: Traces, secret: str
) -> None:
    assert everything.found(secret) == []
    where = [place for place, value in everything.allowed if value == secret]
    assert any(place.startswith("emulator log") for place in where)
    assert any(not place.startswith("emulator log") for place in where)
    assert {value for _, value in everything.allowed} <= {PASSWORD, NEW_PASSWORD}
