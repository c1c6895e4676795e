"""Tier 5: transient faults through the real plugin process, against the emulator.

One row per (call, fault): create, update and read each meet a 429 (Retry-After in seconds, as
an HTTP date, garbled), a 500, 502, 503, 504, a dropped connection and an answer slower than the
read timeout. A row either recovers (the outputs, the exact requests the emulator received, and
how long the retry waited) or gives up with the exact line a Pulumi user reads; a failed update
must leave the live domain and Pulumi's outputs as they were.

The plugins here get small bounds so the matrix stays fast: readTimeout 0.5 s, connectTimeout
1 s, maxRetrySeconds 6 s, and maxAttempts 4 (`patient`: recovering rows, endless faults) or 2
(`brief`: rows that must give up).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import TOKEN, start_plugin
from plugin import Diff, Plugin, PluginError
from pulumi_qboxmail.tools.emulator import Emulator

READ_TIMEOUT = 0.5
SLOW = 1.0  # seconds a slow answer takes: twice the read timeout
BOUNDS = {
    "qboxmail:connectTimeout": "1",
    "qboxmail:readTimeout": str(READ_TIMEOUT),
    "qboxmail:maxRetrySeconds": "6",
}
SECONDS = r"(\d+\.\d)"  # how the error line shows the time spent retrying
# The time budget bounds when a retry may start; the last attempt still takes its own time, and a
# loaded two-core CI machine may stall a process for a good fraction of a second.
MACHINE_MARGIN = 1.0
BUDGET = 3.0  # maxRetrySeconds of the plugin that only the time budget stops
BACKOFF_FLOOR = 0.25  # the first retry waits at least base_delay / 2 without a Retry-After
_codes = itertools.count(500000001)


@dataclass(frozen=True)
class Fault:
    """One kind of fault: how to inject it `count` times, what it waits, what a user reads."""

    name: str
    inject: Callable[[Emulator, int], float | None]  # -> earliest wall time of a retry
    min_gap: float  # seconds the retry waits at least after the faulty request arrived
    error: str  # "<exception>: <summary> (<status>)" or the transport reason
    lands_late: bool = False  # the request is processed after the client gave up on it


def _fail(status: int, headers: dict[str, str] | None = None) -> Callable[..., None]:
    def inject(emu: Emulator, count: int) -> None:
        emu.fail_next(count, status, headers)

    return inject


def _http_date(emu: Emulator, count: int) -> float:
    date = formatdate(time.time() + 2, usegmt=True)  # whole seconds: 1 to 2 s ahead
    emu.fail_next(count, 429, {"Retry-After": date})
    return parsedate_to_datetime(date).timestamp()


def _drop(emu: Emulator, count: int) -> None:
    emu.drop_next(count)


def _slow(emu: Emulator, count: int) -> None:
    emu.slow_next(count, SLOW)


RATE = "RateLimitedError: QboxDomainSettings {code}: Qboxmail is rate limiting requests (HTTP 429 Too Many Requests)"
SERVER = "ServerError: QboxDomainSettings {code}: Qboxmail answered with a server error"
FAULTS = [
    Fault("429-retry-after-1s", _fail(429, {"Retry-After": "1"}), 1.0, RATE),
    Fault("429-retry-after-http-date", _http_date, 0.0, RATE),
    Fault("429-retry-after-garbled", _fail(429, {"Retry-After": "soon"}), BACKOFF_FLOOR, RATE),
    Fault("500", _fail(500), BACKOFF_FLOOR, SERVER + " (HTTP 500 Internal Server Error)"),
    Fault("502", _fail(502), BACKOFF_FLOOR, SERVER + " (HTTP 502 Bad Gateway)"),
    Fault("503", _fail(503), BACKOFF_FLOOR, SERVER + " (HTTP 503 Service Unavailable)"),
    Fault("504", _fail(504), BACKOFF_FLOOR, SERVER + " (HTTP 504 Gateway Timeout)"),
    Fault("dropped-connection", _drop, BACKOFF_FLOOR, "connection failed or was dropped"),
    Fault(
        "slower-than-read-timeout",
        _slow,
        READ_TIMEOUT + BACKOFF_FLOOR - 0.05,  # the timeout starts a moment before the arrival
        f"no answer within the {READ_TIMEOUT:g}s read timeout",
        lands_late=True,
    ),
]
OPS = ("create", "update", "read")
ROWS = [pytest.param(op, fault, id=f"{op}-{fault.name}") for op in OPS for fault in FAULTS]


def expected_line(fault: Fault, code: str, endpoint: str, attempts: str) -> str:
    """The error's last line as a regex: exact text, the seconds left free."""
    if fault.error.startswith(("RateLimitedError", "ServerError")):
        advice = (
            "Retry later, or run pulumi with a lower --parallel."
            if fault.error.startswith("Rate")
            else "Retry later; updating settings is safe to repeat."
        )
        text = f"pulumi_qboxmail.errors.{fault.error.format(code=code)}; gave up after {{n}} attempts over {{s}}s. {advice}"
    else:
        text = (
            f"pulumi_qboxmail.errors.TransportError: QboxDomainSettings {code}: no answer from "
            f"{endpoint} ({fault.error}, no HTTP status); gave up after {{n}} attempts over {{s}}s. "
            "Check qboxmail:endpoint, the network and the timeout settings."
        )
    return re.escape(text).replace(r"\{n\}", attempts).replace(r"\{s\}", SECONDS)


# ---- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    emulator = Emulator(token=TOKEN)
    with emulator:
        yield emulator


def _plugin(emu: Emulator, tmp: Path, **config: str) -> Plugin:
    settings = {"qboxmail:apiToken": TOKEN, "qboxmail:endpoint": emu.url, **BOUNDS}
    return start_plugin(tmp, {**settings, **{f"qboxmail:{k}": v for k, v in config.items()}})


@pytest.fixture(scope="module")
def patient(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    with _plugin(emu, tmp_path_factory.mktemp("patient"), maxAttempts="4") as proc:
        yield proc


@pytest.fixture(scope="module")
def brief(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    with _plugin(emu, tmp_path_factory.mktemp("brief"), maxAttempts="2") as proc:
        yield proc


@pytest.fixture(scope="module")
def budgeted(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plugin]:
    """Only the time budget can stop this one: 50 attempts, BUDGET seconds."""
    with _plugin(
        emu, tmp_path_factory.mktemp("budgeted"), maxAttempts="50", maxRetrySeconds=str(BUDGET)
    ) as proc:
        yield proc


@pytest.fixture
def domain(emu: Emulator) -> Iterator[str]:
    code = f"D{next(_codes)}"
    emu.add_domain(code)
    emu.clear_log()
    try:
        yield code
    finally:
        emu.clear_faults()


# ---- one call, ready to fail -------------------------------------------------------------------
SETTINGS = {"antispam_level": 1, "max_email_accounts": 25, "allow_nets": ["10.0.0.0/8"]}


@dataclass
class Call:
    """A call brought to where it starts, with what it sends and returns when it succeeds."""

    run: Callable[[], Any]
    request: tuple[str, str, Any]
    result: Any
    state: dict[str, Any]  # the live settings after success
    next_diff: Callable[[], Diff] | None = None  # update: refresh, then the next `pulumi up`'s diff


def prepare(op: str, plugin: Plugin, emu: Emulator, code: str) -> Call:
    inputs = {"domain_code": code, **SETTINGS}
    checked, failures = plugin.check({}, inputs)
    assert failures == []
    path = f"/api/domains/{code}"
    if op == "create":
        return Call(
            lambda: plugin.create(checked),
            ("PUT", path, SETTINGS),
            (code, {"domain_code": code, **SETTINGS}),
            SETTINGS,
        )
    _, outs = plugin.create(checked)
    emu.clear_log()
    if op == "update":
        news, _ = plugin.check(checked, {**inputs, "antispam_level": 3})

        def next_diff() -> Diff:
            # What the live domain says now, not what this test remembers: refresh, then diff.
            _, live_outs, live_inputs = plugin.read(code, outs, inputs=checked)
            return plugin.diff(code, live_outs, news, old_inputs=live_inputs)

        return Call(
            lambda: plugin.update(code, outs, news, old_inputs=checked),
            ("PUT", path, {"antispam_level": 3}),
            {**outs, "antispam_level": 3},
            {**SETTINGS, "antispam_level": 3},
            next_diff,
        )
    emu.domains[code]["antispam_level"] = 0  # drift that the refresh must bring back
    drifted = {**outs, "antispam_level": 0}
    return Call(
        lambda: plugin.read(code, outs, inputs=checked),
        ("GET", path, None),
        (code, drifted, drifted),
        {**SETTINGS, "antispam_level": 0},
    )


def calls(emu: Emulator) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in emu.requests]


def live(emu: Emulator, code: str) -> dict[str, Any]:
    return {k: emu.domains[code][k] for k in SETTINGS}


def wait_for_late_answers(emu: Emulator, code: str, state: dict[str, Any]) -> None:
    """A slow request the client gave up on is still processed: wait for it, bounded."""
    deadline = time.monotonic() + SLOW + 5.0
    while live(emu, code) != state and time.monotonic() < deadline:
        time.sleep(0.05)


# ---- the matrix --------------------------------------------------------------------------------
@pytest.mark.parametrize(("op", "fault"), ROWS)
def test_one_fault_is_retried_and_the_call_succeeds(
    patient: Plugin, emu: Emulator, domain: str, op: str, fault: Fault
) -> None:
    call = prepare(op, patient, emu, domain)
    not_before = fault.inject(emu, 1)
    assert call.run() == call.result
    assert calls(emu) == [call.request, call.request]
    assert emu.requests[1].at - emu.requests[0].at >= fault.min_gap
    if not_before is not None:  # an HTTP-date Retry-After: not a moment before that date
        assert emu.requests[1].at >= not_before
    if fault.lands_late:
        wait_for_late_answers(emu, domain, call.state)
    assert live(emu, domain) == call.state


@pytest.mark.parametrize(("op", "fault"), ROWS)
def test_a_fault_that_outlasts_the_attempts_fails_with_one_clear_line(
    brief: Plugin, emu: Emulator, domain: str, op: str, fault: Fault
) -> None:
    call = prepare(op, brief, emu, domain)
    before = copy.deepcopy(emu.domains[domain])
    fault.inject(emu, 2)
    started = time.monotonic()
    with pytest.raises(PluginError) as failure:  # no response: Pulumi keeps the old outputs
        call.run()
    wall = time.monotonic() - started
    match = re.fullmatch(expected_line(fault, domain, emu.url, "2"), failure.value.last_line)
    assert match, failure.value.last_line
    assert float(match[1]) <= wall + 0.05  # shown rounded to 0.1 s
    assert calls(emu) == [call.request, call.request]
    assert emu.requests[1].at - emu.requests[0].at >= fault.min_gap
    if fault.lands_late and op != "read":
        # The server got the PUT and applied it after the client stopped waiting: nothing to
        # undo, since the next `pulumi up` sends the same idempotent PUT again.
        wait_for_late_answers(emu, domain, call.state)
        assert live(emu, domain) == call.state
    else:
        assert emu.domains[domain] == before
    if call.next_diff is not None:
        # After a refresh the next `pulumi up` still has the change to make, unless the late
        # PUT made it after all.
        changed = Diff("none" if fault.lands_late else "some", [], False)
        assert call.next_diff() == changed


@pytest.mark.parametrize("op", OPS)
def test_retry_after_beyond_the_time_budget_gives_up_at_once_without_waiting(
    patient: Plugin, emu: Emulator, domain: str, op: str
) -> None:
    call = prepare(op, patient, emu, domain)
    before = copy.deepcopy(emu.domains[domain])
    emu.fail_next(1, 429, {"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(PluginError) as failure:
        call.run()
    assert time.monotonic() - started < 1.0
    assert failure.value.last_line == (
        f"pulumi_qboxmail.errors.RateLimitedError: QboxDomainSettings {domain}: Qboxmail is "
        "rate limiting requests (HTTP 429 Too Many Requests); Qboxmail asked to wait 3600s, "
        "beyond the retry budget. Retry later, or run pulumi with a lower --parallel."
    )
    assert calls(emu) == [call.request]
    assert emu.domains[domain] == before


SERVICE_UNAVAILABLE = next(fault for fault in FAULTS if fault.name == "503")


def endless_503(plugin: Plugin, emu: Emulator, domain: str) -> tuple[int, float, float]:
    """An update against endless 503: (attempts, seconds) from the error line, and the wall time.

    Also asserts what holds whichever bound stopped it: one request per attempt, the exact line,
    and an unchanged domain.
    """
    call = prepare("update", plugin, emu, domain)
    before = copy.deepcopy(emu.domains[domain])
    emu.fail_next(1000, 503)
    started = time.monotonic()
    with pytest.raises(PluginError) as failure:
        call.run()
    wall = time.monotonic() - started
    pattern = expected_line(SERVICE_UNAVAILABLE, domain, emu.url, r"(\d+)")
    match = re.fullmatch(pattern, failure.value.last_line)
    assert match, failure.value.last_line
    attempts, seconds = int(match[1]), float(match[2])
    assert calls(emu) == [call.request] * attempts
    assert emu.domains[domain] == before
    return attempts, seconds, wall


def test_endless_503_gives_up_after_max_attempts(
    patient: Plugin, emu: Emulator, domain: str
) -> None:
    attempts, seconds, wall = endless_503(patient, emu, domain)
    assert attempts == 4
    assert seconds <= wall + 0.05 < 6.0


def test_endless_503_gives_up_within_max_retry_seconds(
    budgeted: Plugin, emu: Emulator, domain: str
) -> None:
    attempts, seconds, wall = endless_503(budgeted, emu, domain)
    # Backoff 0.25-0.5, 0.5-1, 1-2, 2-4 s: the 3 s budget allows 3 or 4 attempts, never 50.
    assert attempts in (3, 4)
    assert seconds <= wall + 0.05  # shown rounded to 0.1 s
    assert seconds <= BUDGET + MACHINE_MARGIN
    # Starting the call and carrying the error back over gRPC add their own moment.
    assert wall < BUDGET + 2 * MACHINE_MARGIN
