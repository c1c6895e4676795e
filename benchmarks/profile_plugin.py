#!/usr/bin/env python3
"""Where the plugin's time goes, per resource: the SDK's plugin code vs the provider's.

    /tmp/venv/bin/pip install pyinstrument    # a profiling tool: not a project dependency
    python benchmarks/profile_plugin.py [--domains N] [--passes P] [--pass preview|apply|both]

Runs the plugin's own servicer (`pulumi/dynamic/__main__.py`, loaded without starting its gRPC
server) in this process, on one thread, with the exact requests run.py sends: Check + Diff of an
unchanged stack (preview), Update of a one-field change (apply, emulator latency 0), under
pyinstrument. Prints, for ours and the baseline, the time per resource inside each function of
interest (inclusive): its share of the profile's samples times the unprofiled time per resource
(pyinstrument itself roughly doubles the time). Not in it, against run.py's plugin CPU figure:
the gRPC server (C-core, its thread pool, the GIL hand-offs between its 4 workers).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from pulumi.runtime.proto import provider_pb2 as pb

try:
    from pyinstrument import Profiler
except ImportError:  # a profiling tool, deliberately not a project dependency
    sys.exit("profile_plugin.py needs pyinstrument: pip install pyinstrument (into the venv only)")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (
    DIFF_NONE,
    TOKEN,
    WARMUP,
    Subject,
    domain_code,
    prepare,
    subjects,
)

from pulumi_qboxmail.emulator import Emulator
from pulumi_qboxmail.model import RULES

PLUGIN = "pulumi/dynamic/__main__.py"
PROVIDERS = "baseline_program.py|pulumi_qboxmail/dynamic/provider.py"
Frame = tuple[str, str, str]  # label, function name(s) "a|b", path fragment(s) "x|y"


def rule(label: str, name: str) -> Frame:
    """The check behind a field's rule, by its code position."""
    code = RULES[name].normalize.__code__
    return label, code.co_name, f"{code.co_filename}:{code.co_firstlineno}"


RULE_FRAMES = (
    rule("rule of catch_all_destination (email_validator)", "catch_all_destination"),
    rule("rule of allow_nets (ipaddress)", "allow_nets"),
)
PREVIEW: tuple[Frame, ...] = (
    ("plugin Check handler (whole call)", "Check", PLUGIN),
    ("  SDK rpc.deserialize_properties (olds, news)", "deserialize_properties", "rpc.py"),
    ("  SDK get_provider (cache hit, runtime Settings)", "get_provider", PLUGIN),
    ("  provider.check", "check", PROVIDERS),
    ("    model.validate (pydantic model_validate)", "validate", "pulumi_qboxmail/model.py"),
    ("  SDK asyncio.new_event_loop + close", "new_event_loop|close", "asyncio/"),
    ("  SDK rpc.serialize_properties (checked inputs)", "serialize_properties", "rpc.py"),
    ("plugin Diff handler (whole call)", "Diff", PLUGIN),
    ("  SDK rpc.deserialize_properties (olds, news)", "deserialize_properties", "rpc.py"),
    ("  provider.diff", "diff", PROVIDERS),
    ("    core.diff (raw values first)", "diff", "pulumi_qboxmail/core.py"),
    ("    model.normalize_value (fields that differ raw)", "normalize_value", "model.py"),
    *RULE_FRAMES,
)
APPLY: tuple[Frame, ...] = (
    ("plugin Update handler (whole call)", "Update", PLUGIN),
    ("  SDK rpc.deserialize_properties (olds, news)", "deserialize_properties", "rpc.py"),
    ("  provider.update", "update", PROVIDERS),
    ("    core.canonical (validate news)", "canonical", "pulumi_qboxmail/core.py"),
    ("    core.request_body", "request_body", "pulumi_qboxmail/core.py"),
    ("    HTTP PUT: requests + urllib3 + the round trip", "request|put|send", "requests/"),
    ("  SDK asyncio.new_event_loop + close", "new_event_loop|close", "asyncio/"),
    ("  SDK rpc.serialize_properties (outputs)", "serialize_properties", "rpc.py"),
    *RULE_FRAMES,
)


def load_servicer() -> Any:
    """The plugin's DynamicResourceProviderServicer, without the `main()` that serves gRPC."""
    spec = importlib.util.find_spec("pulumi.dynamic.__main__")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text()
    body, _, tail = source.rstrip().rpartition("\n")
    if tail.strip() != "main()":
        raise RuntimeError(f"{spec.origin} no longer ends with main(): update this script")
    module = ModuleType("pulumi_dynamic_plugin")
    module.__file__ = spec.origin
    exec(compile(body, spec.origin, "exec"), module.__dict__)
    return module.DynamicResourceProviderServicer()


class Context:
    """The bit of grpc.ServicerContext the servicer touches on failure."""

    def abort(self, code: object, details: str) -> None:
        raise RuntimeError(details)


def matches(frame: Any, names: str, paths: str) -> bool:
    where = f"{frame.file_path or ''}:{frame.line_no}"
    return frame.function in names.split("|") and any(p in where for p in paths.split("|"))


def inclusive(root: Any, frame: Frame, handler: Frame | None) -> float:
    """Seconds in frames matching `frame`, outermost only, only under `handler` when given."""
    _, names, paths = frame
    total = 0.0
    stack: list[tuple[Any, bool]] = [(root, handler is None)]
    for _ in range(1_000_000):  # bounded walk
        if not stack:
            return total
        node, inside = stack.pop()
        if handler is not None and matches(node, handler[1], handler[2]):
            inside = True
        if inside and matches(node, names, paths):
            total += node.time
            continue
        stack.extend((child, inside) for child in node.children)
    raise RuntimeError("profile tree too large")


def measure(
    title: str, frames: Sequence[Frame], work: Callable[[Any], None], items: Sequence[Any]
) -> list[str]:
    passes = len(items)
    for item in items[0][:WARMUP]:
        work(item)
    started = time.perf_counter()
    count = 0
    for batch in items:
        for item in batch:
            work(item)
        count += len(batch)
    plain = (time.perf_counter() - started) / count * 1e6
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for batch in items:
        for item in batch:
            work(item)
    profiler.stop()
    session = profiler.last_session
    root = session.root_frame() if session is not None else None
    if root is None or root.time <= 0:
        raise RuntimeError("pyinstrument recorded nothing")
    lines = [
        f"### {title}: {plain:,.0f} µs per resource (in-process, unprofiled, {passes} passes)",
        "",
        "| function (inclusive) | µs per resource | share |",
        "|---|---|---|",
    ]
    handler: Frame | None = None
    for frame in frames:
        label = frame[0]
        if label.startswith("plugin "):
            handler = frame
        share = inclusive(root, frame, handler if label.startswith("  ") else None) / root.time
        lines.append(f"| {label} | {share * plain:,.0f} | {share:.0%} |")
    return [*lines, ""]


def preview(subject: Subject, passes: int) -> list[str]:
    servicer, context = load_servicer(), Context()
    servicer._config = subject.config

    def check_and_diff(pair: tuple[pb.CheckRequest, pb.DiffRequest]) -> None:
        check, diff = pair
        checked = servicer.Check(check, context)
        request = pb.DiffRequest()
        request.CopyFrom(diff)
        request.news.CopyFrom(checked.inputs)
        if servicer.Diff(request, context).changes != DIFF_NONE:
            raise RuntimeError("the unchanged stack is not unchanged")

    title = f"{subject.name}, preview (Check + Diff)"
    return measure(title, PREVIEW, check_and_diff, [subject.preview_requests] * passes)


def apply(subject: Subject, passes: int) -> list[str]:
    servicer, context = load_servicer(), Context()
    servicer._config = subject.config

    def update(request: pb.UpdateRequest) -> None:
        servicer.Update(request, context)

    title = f"{subject.name}, apply (Update, latency 0)"
    return measure(title, APPLY, update, [subject.update_requests] * passes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile the plugin's work in-process.")
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3, help="passes per measurement")
    parser.add_argument("--pass", dest="which", choices=("preview", "apply", "both"))
    args = parser.parse_args(argv)
    which = args.which or "both"
    n, passes = max(args.domains, WARMUP), max(args.passes, 1)
    emulator = Emulator(token=TOKEN, domains=[domain_code(i) for i in range(n)])
    url = emulator.start()
    try:
        both = subjects(url)
        for subject in both:
            prepare(subject, emulator, n, n)
        # The baseline reads these at call time; ours is configured from subject.config.
        os.environ.update(QBOXMAIL_ENDPOINT=url, QBOXMAIL_API_TOKEN=TOKEN)
        for subject in both:
            if which in ("preview", "both"):
                print(*preview(subject, passes), sep="\n", flush=True)
            if which in ("apply", "both"):
                print(*apply(subject, passes), sep="\n", flush=True)
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
