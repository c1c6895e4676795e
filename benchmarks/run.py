#!/usr/bin/env python3
"""Benchmark QboxDomainSettingsProvider against a typical hand-written dynamic provider.

    python benchmarks/run.py [--domains N] [--runs R] [--apply-domains M] [--latency S]
        [--native-apply-domains K] [--native-latency L] [--native-concurrency C]

Both providers run in the real `python -m pulumi.dynamic` plugin process, driven over gRPC the way
the engine drives them (benchmarks/plugin.py), against the local Qboxmail emulator on 127.0.0.1.
The baseline is benchmarks/baseline_program.py. In the same run, the native plugin
`pulumi-resource-qboxmail` (benchmarks/native_plugin.py) gets the same stack under schema names,
and its rows compare it with the dynamic plugin. Prints the machine, the parameters and a Markdown
table with one row per figure; see benchmarks/README.md for what each figure measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as pb

from native_plugin import NativePlugin, Secret
from native_plugin import struct as native_struct
from plugin import TYPE, Plugin, PluginProcess, started
from pulumi_qboxmail.emulator import Emulator
from pulumi_qboxmail.model import PULUMI_NAMES, SECRET_FIELDS
from pulumi_qboxmail.provider import QboxDomainSettingsProvider
from pulumi_qboxmail.schema import TOKEN as NATIVE_TYPE

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"

TOKEN = "bench-token"
CONCURRENCY = 4
"""The plugin serves at most 4 calls at once; the benchmark keeps all 4 busy."""
WARMUP = 20
"""Check+Diff calls before a timed preview: loads and configures the provider, warms caches."""
PROVIDER_KEY = "__provider"
STATE_LIMIT = 200
PREVIEW_LIMIT = 1.3
APPLY_LIMIT = 1.2
HTTP_FLOOR = "0 / 0 / 1 PUT / 1 GET"
DIFF_NONE = pb.DiffResponse.DIFF_NONE

ROW_STATE = "`__provider` state bytes per resource"
ROW_PREVIEW = "preview cost per resource (Check + Diff, unchanged stack)"
ROW_HTTP = "HTTP requests per resource: preview / unchanged up / one-field change / refresh"
ROW_APPLY = "apply time (Update of changed domains, 4 concurrent calls)"
ROW_MEMORY = "plugin peak RSS (VmHWM) after the preview pass"
ROW_EXPORT = "export of every domain (`python -m pulumi_qboxmail export`)"
ROWS = (ROW_STATE, ROW_PREVIEW, ROW_HTTP, ROW_APPLY, ROW_MEMORY, ROW_EXPORT)

T = TypeVar("T")
Bag = dict[str, Any]


# ---- the stack ----------------------------------------------------------------------------------
def domain_code(i: int) -> str:
    return f"D{100_000_000 + i}"


def inputs(i: int) -> Bag:
    """A realistic program's inputs for domain `i`: 27 of the 55 settings, of every kind."""
    return {
        "domain_code": domain_code(i),
        "postmaster_password": f"Postmaster{i:06d}pw",
        "postmaster_password_confirmation": f"Postmaster{i:06d}pw",
        "catch_all_enabled": True,
        "catch_all_destination": f"postmaster@d{i}.example.com",
        "default_quota": 1073741824,
        "antispam_level": 2,
        "allow_nets": ["10.0.0.0/8", "192.168.1.10", "2001:db8::/32"],
        "imap_disabled": False,
        "pop_disabled": True,
        "smtp_disabled": False,
        "webmail_disabled": False,
        "chat": True,
        "calendar": True,
        "dav": True,
        "max_email_accounts": 50,
        "max_email_quota": 53687091200,
        "password_expiration": 6,
        "force_otp": True,
        "plan": "professional",
        "company": f"Company {i} S.r.l.",
        "city": "Milano",
        "country": "IT",
        "language": "it",
        "timezone": "Europe/Rome",
        "webmail_language": "it",
        "webmail_date_format": "DD/MM/YYYY",
        "webmail_timezone": "Europe/Rome",
    }


def changed(i: int) -> Bag:
    """The one-field change: a new account limit."""
    return {**inputs(i), "max_email_accounts": 60}


def urn(i: int, kind: str = TYPE) -> str:
    return f"urn:pulumi:bench::qboxmail-bench::{kind}::domain-{i}"


class Meta(TypedDict):
    urn: str
    type: str
    name: str


def meta(i: int, kind: str = TYPE) -> Meta:
    return {"urn": urn(i, kind), "type": kind, "name": f"domain-{i}"}


def structs(bags: Iterable[Bag]) -> list[Any]:
    """Protobuf Structs of `bags`, serialized by the SDK as the engine sends them (doubles)."""
    loop = asyncio.new_event_loop()
    try:
        return [loop.run_until_complete(rpc.serialize_properties(bag, {})) for bag in bags]
    finally:
        loop.close()


# ---- the plugin ---------------------------------------------------------------------------------
class RawCalls(PluginProcess):
    """Raw calls with prebuilt requests: no client-side serialization inside a timed pass."""

    def call(self, method: str, request: Any) -> Any:
        return self._call(method, request)


class BenchPlugin(RawCalls, Plugin):
    """The test harness's dynamic plugin, with raw calls."""


@dataclass
class Subject:
    """One provider under test and everything prepared for its timed passes."""

    name: str
    provider: str
    config: dict[str, str]
    env: dict[str, str]
    secret: bool
    ids: list[str] = field(default_factory=list)
    outputs: list[Bag] = field(default_factory=list)
    http: dict[str, Counter[str]] = field(default_factory=dict)
    put_body_bytes: float = 0.0
    preview_requests: list[tuple[pb.CheckRequest, pb.DiffRequest]] = field(default_factory=list)
    update_requests: list[pb.UpdateRequest] = field(default_factory=list)

    def start(self) -> BenchPlugin:
        return started(BenchPlugin(provider=self.provider, cwd=BENCH, env=self.env), self.config)

    def bag(self, props: Mapping[str, Any]) -> Bag:
        return {**props, PROVIDER_KEY: self.provider}


def subjects(url: str) -> list[Subject]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBOXMAIL_")}
    env["PULUMI_PROJECT"] = "qboxmail-bench"
    ours = Subject(
        name="ours",
        provider=serialize_provider(QboxDomainSettingsProvider()),
        config={"qboxmail:apiToken": TOKEN, "qboxmail:endpoint": url},
        env=env,
        secret=QboxDomainSettingsProvider.serialize_as_secret_always,
    )
    program = subprocess.run(
        [sys.executable, str(BENCH / "baseline_program.py")],
        cwd=BENCH,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    baseline = Subject(
        name="baseline",
        provider=program.stdout.strip(),
        config={},
        env={**env, "QBOXMAIL_ENDPOINT": url, "QBOXMAIL_API_TOKEN": TOKEN},
        secret=True,  # the ResourceProvider default it keeps
    )
    return [ours, baseline]


def drive(items: Sequence[T], work: Callable[[T], Any], threads: int = CONCURRENCY) -> list[Any]:
    """Run `work` on every item from `threads` client threads (by default CONCURRENCY, as the
    engine keeps the dynamic plugin's 4 workers busy); results in item order."""
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-client") as pool:
        return list(pool.map(work, items))


# ---- /proc --------------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


# ---- setup: create the stack, count HTTP requests, prebuild the timed requests -----------------
def logged(emulator: Emulator) -> list[Any]:
    with emulator.lock:
        return list(emulator.requests)


def count(emulator: Emulator, phase: Callable[[], object]) -> Counter[str]:
    emulator.clear_log()
    phase()
    return Counter(request.method for request in logged(emulator))


def prepare(subject: Subject, emulator: Emulator, n: int, m: int) -> None:
    """Create all n domains through the plugin (the outputs a create stores), count the requests
    of each HTTP phase, and build the requests of the timed passes."""
    emulator.latency = 0.0
    plugin = subject.start()
    try:
        created = drive(range(n), lambda i: plugin.create(inputs(i), urn=urn(i)))
        subject.ids = [id_ for id_, _ in created]
        subject.outputs = [outs for _, outs in created]

        def preview(i: int) -> str:
            checked, failures = plugin.check(inputs(i), inputs(i), urn=urn(i))
            if failures:
                raise RuntimeError(f"{subject.name}: check failed for {domain_code(i)}: {failures}")
            old = subject.outputs[i]
            return plugin.diff(subject.ids[i], old, checked, old_inputs=inputs(i)).changes

        def up(new: Callable[[int], Bag]) -> Callable[[int], None]:
            def step(i: int) -> None:
                checked, failures = plugin.check(inputs(i), new(i), urn=urn(i))
                if failures:
                    raise RuntimeError(f"{subject.name}: check failed: {failures}")
                id_, old = subject.ids[i], subject.outputs[i]
                if plugin.diff(id_, old, checked, old_inputs=inputs(i)).changes != "none":
                    plugin.update(id_, old, checked, old_inputs=inputs(i), urn=urn(i))

            return step

        def refresh(i: int) -> None:
            plugin.read(subject.ids[i], subject.outputs[i], inputs=inputs(i), urn=urn(i))

        every = range(n)
        subject.http["preview"] = count(emulator, lambda: drive(every, preview))
        subject.http["unchanged up"] = count(emulator, lambda: drive(every, up(inputs)))
        subject.http["one-field change"] = count(emulator, lambda: drive(every, up(changed)))
        puts = [r for r in logged(emulator) if r.method == "PUT"]
        subject.put_body_bytes = sum(len(json.dumps(r.body)) for r in puts) / max(len(puts), 1)
        subject.http["refresh"] = count(emulator, lambda: drive(every, refresh))

        # The apply pass sends what the engine sends: checked inputs of the changed program.
        news = drive(range(m), lambda i: plugin.check(inputs(i), changed(i), urn=urn(i))[0])
    finally:
        plugin.stop()
        emulator.clear_log()

    ins = structs(subject.bag(inputs(i)) for i in range(n))
    olds = structs(subject.bag(outs) for outs in subject.outputs)
    seeds = [os.urandom(32) for _ in range(n)]
    subject.preview_requests = [
        (
            pb.CheckRequest(**meta(i), olds=ins[i], news=ins[i], randomSeed=seeds[i]),
            pb.DiffRequest(id=subject.ids[i], **meta(i), olds=olds[i], old_inputs=ins[i]),
        )
        for i in range(n)
    ]
    news_structs = structs(subject.bag(bag) for bag in news)
    subject.update_requests = [
        pb.UpdateRequest(
            id=subject.ids[i], **meta(i), olds=olds[i], news=news_structs[i], old_inputs=ins[i]
        )
        for i in range(m)
    ]


# ---- one timed run ------------------------------------------------------------------------------
def check_and_diff(plugin: RawCalls, name: str, pair: tuple[Any, pb.DiffRequest]) -> None:
    """Check, then Diff against the inputs Check returned, as the engine previews a resource. The
    stack is unchanged: a failure or a change means the benchmark measures the wrong thing."""
    check, diff = pair
    checked = plugin.call("Check", check)
    request = pb.DiffRequest()
    request.CopyFrom(diff)
    request.news.CopyFrom(checked.inputs)
    answer = plugin.call("Diff", request)
    if checked.failures or answer.changes != DIFF_NONE:
        raise RuntimeError(f"{name}: the unchanged stack is not unchanged")


def timed_preview(
    plugin: RawCalls, name: str, requests: Sequence[tuple[Any, pb.DiffRequest]]
) -> tuple[float, float]:
    """Warm the plugin up, then time Check + Diff of every resource from CONCURRENCY client
    threads: (wall seconds, plugin CPU seconds) of the pass."""
    pid = plugin.pid
    assert pid is not None

    def preview(pair: tuple[Any, pb.DiffRequest]) -> None:
        check_and_diff(plugin, name, pair)

    drive(requests[:WARMUP], preview)
    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    drive(requests, preview)
    return time.perf_counter() - started, cpu_seconds(pid) - cpu_before


def timed_apply(
    plugin: RawCalls,
    name: str,
    requests: Sequence[pb.UpdateRequest],
    emulator: Emulator,
    latency: float,
    threads: int = CONCURRENCY,
    *,
    puts: bool = True,
) -> tuple[float, float]:
    """Time Update of every request from `threads` client threads at emulator latency `latency`:
    (wall seconds, plugin CPU seconds). The emulator must log exactly one PUT per request (none
    if not `puts`)."""
    pid = plugin.pid
    assert pid is not None

    def update(request: pb.UpdateRequest) -> None:
        plugin.call("Update", request)

    emulator.clear_log()
    emulator.latency = latency
    try:
        cpu_before, started = cpu_seconds(pid), time.perf_counter()
        drive(requests, update, threads)
        wall, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
        sent = sum(1 for r in logged(emulator) if r.method == "PUT")
    finally:
        emulator.latency = 0.0
        emulator.clear_log()
    if sent != (len(requests) if puts else 0):
        raise RuntimeError(f"{name}: {sent} PUTs for {len(requests)} Updates")
    return wall, cpu


@dataclass(frozen=True)
class Run:
    preview_wall_us: float  # per resource
    preview_cpu_us: float  # plugin CPU per resource
    apply_s: float
    apply_cpu_ms: float  # plugin CPU per Update
    peak_rss_kib: int


def run_once(subject: Subject, emulator: Emulator, latency: float) -> Run:
    """A fresh plugin: warm up, time the preview pass, read VmHWM, time the apply pass."""
    emulator.latency = 0.0
    plugin = subject.start()
    try:
        assert plugin.pid is not None
        preview_wall, preview_cpu = timed_preview(plugin, subject.name, subject.preview_requests)
        rss = peak_rss_kib(plugin.pid)
        apply_wall, apply_cpu = timed_apply(
            plugin, subject.name, subject.update_requests, emulator, latency
        )
    finally:
        emulator.latency = 0.0
        emulator.clear_log()
        plugin.stop()
    n, m = len(subject.preview_requests), len(subject.update_requests)
    return Run(
        preview_wall_us=preview_wall / n * 1e6,
        preview_cpu_us=preview_cpu / n * 1e6,
        apply_s=apply_wall,
        apply_cpu_ms=apply_cpu / m * 1e3,
        peak_rss_kib=rss,
    )


# ---- export -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportRun:
    seconds: float
    methods: Counter[str]
    domains: int


def run_export(emulator: Emulator, url: str, per: int, latency: float) -> ExportRun:
    """The export command as a user runs it, against every domain, at the emulator's latency."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QBOXMAIL_")}
    env |= {"QBOXMAIL_API_TOKEN": TOKEN, "QBOXMAIL_ENDPOINT": url}
    command = [sys.executable, "-m", "pulumi_qboxmail", "export", "--format", "import"]
    emulator.clear_log()
    emulator.latency = latency
    try:
        started = time.perf_counter()
        result = subprocess.run(
            [*command, "--per", str(per)],
            env=env,
            cwd=tempfile.gettempdir(),  # outside any Pulumi project: no stack config to read
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        seconds = time.perf_counter() - started
        methods = Counter(request.method for request in logged(emulator))
    finally:
        emulator.latency = 0.0
        emulator.clear_log()
    return ExportRun(seconds, methods, len(json.loads(result.stdout)["resources"]))


# ---- the native plugin: the same stack through pulumi-resource-qboxmail --------------
NATIVE_PREVIEW_LIMIT = 1.0
"""Native plugin CPU per resource for Check + Diff: no more than the dynamic plugin's."""
NATIVE_APPLY_LIMIT = 1.2
ROW_NATIVE_PREVIEW = "native plugin: preview cost per resource (Check + Diff, unchanged stack)"
ROW_NATIVE_APPLY = "native plugin: apply time (Update of changed domains)"
NATIVE_ROWS = (ROW_NATIVE_PREVIEW, ROW_NATIVE_APPLY)


def native_bag(bag: Mapping[str, Any]) -> Bag:
    """`bag` as a program on the native provider writes it: schema names, and the password a
    secret, as it comes from secret config."""
    return {PULUMI_NAMES[k]: Secret(v) if k in SECRET_FIELDS else v for k, v in bag.items()}


class BenchNative(RawCalls, NativePlugin):
    """The test harness's native plugin, with raw calls."""


@dataclass
class NativeSubject:
    """The native plugin and its prepared requests: the dynamic stack's, in the schema's names."""

    config: dict[str, Any]
    env: dict[str, str]
    preview_requests: list[tuple[pb.CheckRequest, pb.DiffRequest]] = field(default_factory=list)
    update_requests: list[pb.UpdateRequest] = field(default_factory=list)

    def start(self) -> BenchNative:
        return started(BenchNative(cwd=BENCH, env=self.env), self.config)


def prepare_native(native: NativeSubject, emulator: Emulator, n: int, k: int) -> None:
    """Create all n domains through the native plugin (the outputs a create stores) and build
    the timed passes' requests: Check + Diff of all n, k Updates to `changed`, domain by domain,
    starting over if k > n (every Update sends one PUT, whichever domain it is for)."""
    emulator.latency = 0.0
    plugin = native.start()

    def checked(i: int, olds: Bag, news: Bag) -> Bag:
        props, failures = plugin.check(olds, news, urn=urn(i, NATIVE_TYPE))
        if failures:
            raise RuntimeError(f"native: check failed for {domain_code(i)}: {failures}")
        return props

    try:
        created = drive(range(n), lambda i: plugin.create(checked(i, {}, native_bag(inputs(i)))))
        news = drive(
            range(min(k, n)), lambda i: checked(i, native_bag(inputs(i)), native_bag(changed(i)))
        )
    finally:
        plugin.stop()
        emulator.clear_log()

    ins = [native_struct(native_bag(inputs(i))) for i in range(n)]
    olds = [native_struct(outs) for _, outs in created]
    native.preview_requests = [
        (
            pb.CheckRequest(
                **meta(i, NATIVE_TYPE), olds=ins[i], news=ins[i], randomSeed=os.urandom(32)
            ),
            pb.DiffRequest(
                id=created[i][0], **meta(i, NATIVE_TYPE), olds=olds[i], old_inputs=ins[i]
            ),
        )
        for i in range(n)
    ]
    native.update_requests = [
        pb.UpdateRequest(
            id=created[i][0],
            **meta(i, NATIVE_TYPE),
            olds=olds[i],
            news=native_struct(news[i]),
            old_inputs=ins[i],
        )
        for i in (j % n for j in range(k))
    ]


@dataclass(frozen=True)
class NativeRun:
    preview_wall_us: float  # per resource
    preview_cpu_us: float  # native plugin CPU per resource
    apply_s: float
    apply_cpu_ms: float  # native plugin CPU per Update
    dynamic_apply_s: float  # the dynamic plugin: the same number of Updates at the same latency
    dynamic_apply_cpu_ms: float


def run_native(
    native: NativeSubject, dynamic: Subject, emulator: Emulator, latency: float, threads: int
) -> NativeRun:
    """A fresh native plugin: warm up, time the preview pass, time the apply pass from `threads`
    client threads. Then a fresh dynamic plugin times as many Updates at the same latency, from
    the 4 client threads it can serve."""
    emulator.latency = 0.0
    plugin = native.start()
    try:
        preview_wall, preview_cpu = timed_preview(plugin, "native", native.preview_requests)
        if logged(emulator):
            raise RuntimeError("native: preview sent requests to the API")
        apply_wall, apply_cpu = timed_apply(
            plugin, "native", native.update_requests, emulator, latency, threads
        )
    finally:
        plugin.stop()
    k = len(native.update_requests)
    # The dynamic stack's own changed domains, in turn as prepare_native takes them.
    requests = [dynamic.update_requests[i % len(dynamic.update_requests)] for i in range(k)]
    other = dynamic.start()
    try:
        timed_preview(other, dynamic.name, dynamic.preview_requests[:WARMUP])  # warm-up only
        dynamic_wall, dynamic_cpu = timed_apply(other, dynamic.name, requests, emulator, latency)
    finally:
        other.stop()
    n = len(native.preview_requests)
    return NativeRun(
        preview_wall_us=preview_wall / n * 1e6,
        preview_cpu_us=preview_cpu / n * 1e6,
        apply_s=apply_wall,
        apply_cpu_ms=apply_cpu / k * 1e3,
        dynamic_apply_s=dynamic_wall,
        dynamic_apply_cpu_ms=dynamic_cpu / k * 1e3,
    )


def native_table(
    dynamic: list[Run], native: list[NativeRun], args: argparse.Namespace
) -> list[str]:
    """The native plugin's rows, each beside the dynamic plugin ("ours") of the same runs."""
    n, k, latency, threads = (
        args.domains,
        args.native_apply_domains,
        args.native_latency,
        args.native_concurrency,
    )
    med = statistics.median
    rows: list[str] = []

    def row(*cells: str) -> None:
        rows.append("| " + " | ".join(cells) + " |")

    def preview(cpu_us: Iterable[float], wall_us: Iterable[float]) -> str:
        return f"{med(cpu_us):,.0f} µs plugin CPU, {med(wall_us):,.0f} µs wall"

    cpus = ratios((r.preview_cpu_us for r in native), (r.preview_cpu_us for r in dynamic))
    walls = ratios((r.preview_wall_us for r in native), (r.preview_wall_us for r in dynamic))
    row(
        f"{ROW_NATIVE_PREVIEW}, {n:,} domains, {CONCURRENCY} concurrent calls",
        "native: "
        + preview([r.preview_cpu_us for r in native], [r.preview_wall_us for r in native]),
        "dynamic (ours): "
        + preview([r.preview_cpu_us for r in dynamic], [r.preview_wall_us for r in dynamic]),
        f"plugin CPU {spread(cpus)}, wall {spread(walls)}; "
        f"target native plugin CPU <= {NATIVE_PREVIEW_LIMIT}x dynamic",
        verdict(med(cpus) <= NATIVE_PREVIEW_LIMIT) if cpus else "n/a",
    )

    floor = k * latency / threads
    dynamic_floor = k * latency / CONCURRENCY
    native_apply = [r.apply_s / floor for r in native]
    dynamic_apply = [r.dynamic_apply_s / dynamic_floor for r in native]
    seconds = med(r.apply_s for r in native)
    dynamic_seconds = med(r.dynamic_apply_s for r in native)
    row(
        f"{ROW_NATIVE_APPLY}, {k:,} domains at {latency * 1000:g} ms, "
        f"native {threads} / dynamic {CONCURRENCY} concurrent calls",
        f"native: {seconds:.2f} s = {spread(native_apply)} floor; "
        f"plugin CPU {med(r.apply_cpu_ms for r in native):.2f} ms per Update",
        f"dynamic (ours): {dynamic_seconds:.2f} s = {spread(dynamic_apply)} its floor "
        f"{dynamic_floor:.2f} s (N x latency / {CONCURRENCY}); "
        f"plugin CPU {med(r.dynamic_apply_cpu_ms for r in native):.2f} ms per Update",
        f"floor {floor:.2f} s (N x latency / {threads}); target native <= {NATIVE_APPLY_LIMIT}x "
        f"floor = {NATIVE_APPLY_LIMIT * floor:.2f} s; native / dynamic "
        f"{spread(ratios((r.apply_s for r in native), (r.dynamic_apply_s for r in native)))}",
        verdict(med(native_apply) <= NATIVE_APPLY_LIMIT),
    )
    return rows


# ---- report -------------------------------------------------------------------------------------
def per_resource(counter: Counter[str], n: int) -> str:
    if not counter:
        return "0"
    parts = []
    for method, total in sorted(counter.items(), key=lambda item: (item[0] != "PUT", item[0])):
        share = total / n
        parts.append(f"{share:g} {method}" if share != int(share) else f"{int(share)} {method}")
    return " + ".join(parts)


def http_cell(subject: Subject, n: int) -> str:
    phases = ("preview", "unchanged up", "one-field change", "refresh")
    return " / ".join(per_resource(subject.http[phase], n) for phase in phases)


def ratios(tops: Iterable[float], bottoms: Iterable[float]) -> list[float]:
    """Per-run ratios; a run whose denominator is 0 (CPU below one clock tick) is left out."""
    return [top / bottom for top, bottom in zip(tops, bottoms, strict=True) if bottom > 0]


def spread(values: Sequence[float], unit: str = "x") -> str:
    if not values:
        return "n/a (too short to measure)"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:.2f}{unit}"
    return f"{median:.2f}{unit} (min {min(values):.2f}, max {max(values):.2f})"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def machine(load_before: float) -> list[str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return [
        f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.machine()}, {cpu}, {os.cpu_count()} cores, {platform.system()}",
        f"- Python {platform.python_version()}, pulumi SDK {metadata.version('pulumi')}, "
        f"grpcio {metadata.version('grpcio')}, dill {metadata.version('dill')}",
        f"- load average (1 min) when the run started: {load_before:.2f} "
        "(other work on the machine, competing with the benchmark for the cores)",
    ]


def table(
    ours: Subject,
    base: Subject,
    runs: dict[str, list[Run]],
    export: ExportRun,
    args: argparse.Namespace,
) -> list[str]:
    n, m, latency = args.domains, args.apply_domains, args.latency
    mine, theirs = runs[ours.name], runs[base.name]
    med = statistics.median
    rows = ["| figure | ours | baseline | ratio / target | result |", "|---|---|---|---|---|"]

    def row(*cells: str) -> None:
        rows.append("| " + " | ".join(cells) + " |")

    def state(subject: Subject) -> str:
        return f"{len(subject.provider):,} B, {'encrypted' if subject.secret else 'plain'}"

    ratio = len(ours.provider) / len(base.provider)
    row(
        ROW_STATE,
        state(ours),
        state(base),
        f"{ratio:.3f}x; target ours <= {STATE_LIMIT} B, plain",
        verdict(len(ours.provider) <= STATE_LIMIT and not ours.secret),
    )

    def preview(runs_: list[Run]) -> str:
        cpu = med(r.preview_cpu_us for r in runs_)
        wall = med(r.preview_wall_us for r in runs_)
        return f"{cpu:,.0f} µs plugin CPU, {wall:,.0f} µs wall"

    walls = ratios((r.preview_wall_us for r in mine), (r.preview_wall_us for r in theirs))
    cpus = ratios((r.preview_cpu_us for r in mine), (r.preview_cpu_us for r in theirs))
    row(
        f"{ROW_PREVIEW}, {n:,} domains",
        preview(mine),
        preview(theirs),
        f"plugin CPU {spread(cpus)}, wall {spread(walls)}; target plugin CPU <= {PREVIEW_LIMIT}x",
        verdict(med(cpus) <= PREVIEW_LIMIT) if cpus else "n/a",
    )
    row(
        ROW_HTTP,
        http_cell(ours, n),
        http_cell(base, n),
        f"floor {HTTP_FLOOR}",
        verdict(http_cell(ours, n) == HTTP_FLOOR),
    )

    floor = m * latency / CONCURRENCY
    ours_apply = [r.apply_s / floor for r in mine]
    base_apply = [r.apply_s / floor for r in theirs]

    def apply(runs_: list[Run], ratios: list[float]) -> str:
        seconds, cpu = med(r.apply_s for r in runs_), med(r.apply_cpu_ms for r in runs_)
        return f"{seconds:.2f} s = {spread(ratios)} floor; plugin CPU {cpu:.2f} ms per Update"

    row(
        f"{ROW_APPLY}, {m:,} domains at {latency * 1000:g} ms",
        apply(mine, ours_apply),
        apply(theirs, base_apply),
        f"floor {floor:.2f} s (N x latency / {CONCURRENCY}); target ours <= {APPLY_LIMIT}x floor",
        verdict(med(ours_apply) <= APPLY_LIMIT),
    )
    memory = ratios((r.peak_rss_kib for r in mine), (r.peak_rss_kib for r in theirs))

    def rss(runs_: list[Run]) -> str:
        return f"{med(r.peak_rss_kib for r in runs_) / 1024:.1f} MiB"

    row(f"{ROW_MEMORY}, {n:,} domains", rss(mine), rss(theirs), spread(memory), "report only")

    per = args.export_per
    floor = -(-n // per)
    gets, others = export.methods["GET"], sum(export.methods.values()) - export.methods["GET"]
    row(
        f"{ROW_EXPORT}, {n:,} domains at {latency * 1000:g} ms, --per {per}",
        f"{gets} GET, {others} other; {export.domains:,} domains in {export.seconds:.2f} s",
        "n/a (no export: values copied by hand)",
        f"floor ceil(N / per) = {floor} GET, no write",
        verdict(gets == floor and others == 0 and export.domains == n),
    )
    return rows


def notes(ours: Subject, base: Subject) -> list[str]:
    return [
        f"- one-field change, mean PUT body: ours {ours.put_body_bytes:,.0f} B, "
        f"baseline {base.put_body_bytes:,.0f} B (the whole bag, password included).",
        "- preview µs are per resource. Plugin CPU (user+system time of the plugin process over "
        "the pass) is the cost the target applies to: the plugin is the GIL-bound bottleneck of a "
        "preview, and its CPU time counts the work done, not time spent waiting for a core another "
        "process holds. Wall is the elapsed time of the pass with 4 client threads, per domain.",
        "- ratios are medians over the runs of per-run ratios (ours / baseline, or apply / floor).",
    ]


def add_native_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--native-apply-domains",
        type=int,
        default=320,
        help="domains changed in the native plugin's apply pass (default 320)",
    )
    parser.add_argument(
        "--native-latency",
        type=float,
        default=0.1,
        help="emulator latency in seconds of the native apply pass (0.1: across the internet)",
    )
    parser.add_argument(
        "--native-concurrency",
        type=int,
        default=32,
        help="concurrent Update calls to the native plugin (default 32)",
    )


def check_native_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    k, latency, threads = args.native_apply_domains, args.native_latency, args.native_concurrency
    if k < 1 or latency <= 0 or not 1 <= threads <= 256:
        parser.error(
            "need --native-apply-domains >= 1, --native-latency > 0, "
            "1 <= --native-concurrency <= 256"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--domains", type=int, default=1000, help="stack size (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    parser.add_argument(
        "--apply-domains", type=int, default=500, help="domains changed in the apply pass"
    )
    parser.add_argument(
        "--latency", type=float, default=0.025, help="emulator latency in seconds (0.025)"
    )
    parser.add_argument(
        "--export-per", type=int, default=100, help="export page size, --per (default 100)"
    )
    add_native_options(parser)
    args = parser.parse_args(argv)
    if not 1 <= args.apply_domains <= args.domains or args.runs < 1 or args.latency <= 0:
        parser.error("need 1 <= --apply-domains <= --domains, --runs >= 1, --latency > 0")
    if args.export_per < 1:
        parser.error("need --export-per >= 1")
    check_native_options(parser, args)

    n, m = args.domains, args.apply_domains
    load_before = os.getloadavg()[0]
    emulator = Emulator(token=TOKEN, domains=[domain_code(i) for i in range(n)])
    url = emulator.start()
    try:
        ours, base = both = subjects(url)
        for subject in both:
            print(f"preparing {subject.name}: {n:,} creates, HTTP phases", file=sys.stderr)
            prepare(subject, emulator, n, m)
        native = NativeSubject({"apiToken": Secret(TOKEN), "endpoint": url}, ours.env)
        print(f"preparing native: {n:,} creates", file=sys.stderr)
        prepare_native(native, emulator, n, args.native_apply_domains)
        runs: dict[str, list[Run]] = {s.name: [] for s in both}
        native_runs: list[NativeRun] = []
        for r in range(args.runs):
            order = both if r % 2 == 0 else both[::-1]  # alternate who goes first
            for subject in order:
                print(f"run {r + 1}/{args.runs}: {subject.name}", file=sys.stderr, flush=True)
                runs[subject.name].append(run_once(subject, emulator, args.latency))
            print(f"run {r + 1}/{args.runs}: native, then dynamic at its latency", file=sys.stderr)
            native_runs.append(
                run_native(native, ours, emulator, args.native_latency, args.native_concurrency)
            )
        print(f"export: {n:,} domains, --per {args.export_per}", file=sys.stderr, flush=True)
        export = run_export(emulator, url, args.export_per, args.latency)
    finally:
        emulator.stop()

    lines = [
        "## Results",
        "",
        *machine(load_before),
        f"- parameters: --domains {n} --apply-domains {m} --latency {args.latency:g} "
        f"--runs {args.runs}; {CONCURRENCY} concurrent calls",
        f"- native plugin: --native-apply-domains {args.native_apply_domains} "
        f"--native-latency {args.native_latency:g} --native-concurrency {args.native_concurrency}",
        # Others' work comes and goes during a run of minutes; one reading at the start hides it.
        f"- load average (1 min) when the run ended: {os.getloadavg()[0]:.2f}",
        "",
        *table(ours, base, runs, export, args),
        *native_table(runs[ours.name], native_runs, args),
        "",
        *notes(ours, base),
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
