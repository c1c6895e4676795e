"""A fleet applied by the real engine against an emulator that allows `rate` requests a second.

One scenario for both faces, used by `test_cli_rate_limit.py` (which asserts on it) and
`benchmarks/rate_limit.py` (which prints it as a benchmark row): `up` N new domains at
`--parallel P`, each create one PUT, and measure the wall time against N / rate, the floor the
rate limit allows, and the share of requests answered 429.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from e2e_support import CliEnv, inline_stack
from pulumi_qboxmail.tools.emulator import Emulator

TOKEN = "qbx-rate-limit-5e0d"
NATIVE_TYPE = "qboxmail:index:DomainSettings"


@dataclass(frozen=True)
class Outcome:
    """What one rate-limited `up` did."""

    face: str
    domains: int
    rate: float
    parallel: int
    wall: float
    """Seconds of the `up` command, engine start and program included."""
    api_wall: float
    """Seconds from the first request to the last, what the rate limit governs."""
    requests: int
    refused: int
    applied: int
    """Domains whose setting the emulator holds afterwards."""

    @property
    def floor(self) -> float:
        return self.domains / self.rate

    @property
    def share(self) -> float:
        return self.refused / self.requests if self.requests else 0.0

    def row(self) -> str:
        return (
            f"| {self.face} | {self.domains} | {self.rate:g}/s | {self.parallel} | "
            f"{self.wall:.1f} s (API {self.api_wall:.1f} s) | {self.wall / self.floor:.2f}x "
            f"(API {self.api_wall / self.floor:.2f}x) | {self.refused} of {self.requests} "
            f"({self.share:.0%}) |"
        )


ROW_HEADER = (
    "| face | N | rate | --parallel | wall | ratio to N / rate | 429 share |\n"
    "| --- | --- | --- | --- | --- | --- | --- |"
)


def codes(count: int) -> list[str]:
    return [f"D7{i:08d}" for i in range(count)]


def _outcome(
    face: str, emulator: Emulator, count: int, rate: float, parallel: int, wall: float
) -> Outcome:
    at = [r.at for r in emulator.requests]
    applied = sum(emulator.domains[c]["antispam_level"] == 0 for c in codes(count))
    return Outcome(
        face,
        count,
        rate,
        parallel,
        wall,
        max(at) - min(at) if at else 0.0,
        len(at),
        emulator.refused,
        applied,
    )


def _emulator(count: int, rate: float) -> Emulator:
    emulator = Emulator(token=TOKEN, domains=codes(count))
    emulator.rate_limit = rate
    return emulator


def native_up(cli: CliEnv, plugin_dir: Path, count: int, rate: float, parallel: int) -> Outcome:
    """`pulumi up` of a YAML program of `count` DomainSettings through the native plugin."""
    project = cli.home / "rate-limited-yaml"
    project.mkdir()
    resources: dict[str, Any] = {
        code: {"type": NATIVE_TYPE, "properties": {"domainCode": code, "antispamLevel": 0}}
        for code in codes(count)
    }
    program = {
        "name": "rate-limited",
        "runtime": "yaml",
        "plugins": {"providers": [{"name": "qboxmail", "path": str(plugin_dir)}]},
        "resources": resources,
    }
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False), "utf-8")
    emulator = _emulator(count, rate)
    with emulator as url:
        cli.run("stack", "init", "e2e", cwd=project)
        cli.run("config", "set", "qboxmail:endpoint", url, cwd=project)
        cli.run("config", "set", "--secret", "qboxmail:apiToken", TOKEN, cwd=project)
        started = time.monotonic()
        cli.run("up", "--yes", "--skip-preview", "--parallel", str(parallel), cwd=project)
        wall = time.monotonic() - started
    return _outcome("native (YAML)", emulator, count, rate, parallel, wall)


def dynamic_up(cli: CliEnv, count: int, rate: float, parallel: int) -> Outcome:
    """`up` of an inline Python program of `count` QboxDomainSettings (the dynamic face)."""

    def program() -> None:
        from pulumi_qboxmail import QboxDomainSettings

        for code in codes(count):
            QboxDomainSettings(code, domain_code=code, antispam_level=0)

    emulator = _emulator(count, rate)
    with emulator as url:
        stack = inline_stack(
            cli,
            "rate-limited",
            program,
            config={"qboxmail:endpoint": url},
            secrets={"qboxmail:apiToken": TOKEN},
        )
        started = time.monotonic()
        stack.up(parallel=parallel)
        wall = time.monotonic() - started
    return _outcome("dynamic (Python)", emulator, count, rate, parallel, wall)
