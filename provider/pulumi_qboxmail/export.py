"""Export the live domains as a fleet file, a Pulumi program, or a Pulumi import file.

    python -m pulumi_qboxmail export [CODE ...] [--query TEXT] [--format fleet|python|import]
                                     [--output PATH] [--force] [--per N]

A tool beside the product: it reads the token, endpoint, timeouts and retry bounds from the same
QBOXMAIL_* environment variables as the provider, reads the domains with `GET /api/domains` page
by page (or one GET per code given), and never sends a write request.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import yaml

from . import core
from .client import QboxClient, domain_code
from .config import build_client
from .errors import ConfigurationError, OutputError, QboxError
from .model import FIELDS, PULUMI_NAMES, SETTINGS

FORMATS = ("fleet", "python", "import")
IMPORT_TYPE = "qboxmail:index:DomainSettings"
DEFAULT_PER = 100
PREFIX = "qboxmail export: "


@dataclass(frozen=True)
class Domain:
    """One exported domain: its code, unique resource name, own name and live settings."""

    code: str
    name: str
    domain: str
    settings: dict[str, Any]
    """Canonical settings under API names, in schema order, `domain_code` aside."""


@dataclass(frozen=True)
class Export:
    """What an export found, ready to be written in any format."""

    domains: list[Domain]
    returned: tuple[str, ...]
    """The settings the API returned for at least one domain, in schema order."""
    left_out: list[str]
    """`CODE setting: problem` for each live value the provider's rules reject."""
    endpoint: str
    made_at: datetime

    @property
    def not_returned(self) -> list[str]:
        """The settings the API did not return for any domain, so not exported."""
        return [name for name in SETTINGS if name not in self.returned]


def resource_base(name: str, code: str) -> str:
    """A domain name as a resource name: lower-case ASCII letters, digits and single hyphens.

    International names go through IDNA first (`bücher.de` -> `xn-bcher-kva-de`); a name with
    nothing left falls back to the lower-cased code.
    """
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = name
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or code.lower()


def unique_names(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Resource names for `(domain name, code)` pairs, in order; a later duplicate gets `-2`,
    `-3`, ... (the first free one)."""
    taken: set[str] = set()
    names: list[str] = []
    for name, code in pairs:
        base = candidate = resource_base(name, code)
        suffix = 2
        while candidate in taken:
            candidate, suffix = f"{base}-{suffix}", suffix + 1
        taken.add(candidate)
        names.append(candidate)
    return names


def build(live: Iterable[Mapping[str, Any]], endpoint: str, made_at: datetime) -> Export:
    """The export of domains as the API returned them, ordered by resource name, then code."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    left_out: list[str] = []
    for item in live:
        code = str(item["code"])
        adopted = core.adopt(code, item)
        left_out += [f"{code} {error}" for error in adopted.left_out]
        if any(error.field == "domain_code" for error in adopted.left_out):
            continue  # no resource can hold a code the provider refuses
        settings = adopted.inputs
        del settings["domain_code"]
        found.append((str(item.get("name") or code), code, settings))
    # Sorted before naming, so a repeated name's suffix always goes to the same domain.
    found.sort(key=lambda entry: (resource_base(entry[0], entry[1]), entry[1]))
    names = unique_names((name, code) for name, code, _ in found)
    domains = [
        Domain(code, resource, name, settings)
        for resource, (name, code, settings) in zip(names, found, strict=True)
    ]
    returned = tuple(name for name in FIELDS if any(name in d.settings for d in domains))
    return Export(domains, returned, left_out, endpoint, made_at)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def policy(export: Export) -> dict[str, Any]:
    """Per returned setting, the value most domains share; absent when most lack the setting.

    A tie goes to the value whose JSON text sorts first (`false` before `true`, `"12h"` before
    `"24h"`), so the same domains always give the same policy.
    """
    shared: dict[str, Any] = {}
    for name in export.returned:
        counts = Counter(_key(d.settings.get(name)) for d in export.domains)
        best = min(counts, key=lambda key: (-counts[key], key))
        if best != _key(None):
            shared[name] = json.loads(best)
    return shared


def overrides(domain: Domain, shared: Mapping[str, Any], returned: Sequence[str]) -> dict[str, Any]:
    """Where a domain differs from the policy; None where it lacks a policy setting."""
    return {
        name: domain.settings.get(name)
        for name in returned
        if _key(domain.settings.get(name)) != _key(shared.get(name))
    }


def header(export: Export) -> list[str]:
    """The facts every format states first, as lines of text without comment markers."""
    made = export.made_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    count = len(export.domains)
    paragraphs = [
        f"Exported by `python -m pulumi_qboxmail export` from {export.endpoint} at {made}: "
        f"{count} domain{'' if count == 1 else 's'}.",
        "Not exported, because the API does not return them: "
        f"{', '.join(export.not_returned) or 'none'}. The postmaster password and the action "
        "flags are never read back either.",
    ]
    if export.left_out:
        paragraphs.append(
            "Left out, because the live value breaks the provider's rule: "
            + "; ".join(export.left_out)
            + "."
        )
    return [line for text in paragraphs for line in textwrap.wrap(text, 96)]


def _comment(lines: Iterable[str]) -> str:
    return "".join(f"# {line}\n" for line in lines)


def render_fleet(export: Export) -> str:
    """A fleet file as examples/fleet reads it: `policy:` plus each domain's `overrides:`."""
    shared = policy(export)
    note = (
        "policy: per exported setting, the value most domains share (a tie goes to the value "
        "whose JSON text sorts first). Each domain lists only where it differs, under "
        "overrides; null means the API did not return that setting for the domain, so it stays "
        "unmanaged there. `domain` is the domain's own name, for reading only."
    )
    document = {
        "policy": shared,
        "domains": [
            {
                "code": d.code,
                "name": d.name,
                "domain": d.domain,
                "overrides": overrides(d, shared, export.returned),
            }
            for d in export.domains
        ],
    }
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return _comment([*header(export), *textwrap.wrap(note, 96)]) + "\n" + body


def render_python(export: Export) -> str:
    """A standalone Pulumi program: one QboxDomainSettings per domain, with its live settings."""
    lines = [
        _comment(header(export)).rstrip("\n"),
        "# Each resource adopts its domain with the values it has: the first `pulumi up` sends",
        "# them unchanged.",
        '"""Qboxmail domains adopted as code: one QboxDomainSettings per domain."""',
        "",
        "from pulumi_qboxmail import QboxDomainSettings",
    ]
    for d in export.domains:
        lines += ["", f"# {d.domain!r}", "QboxDomainSettings(", f"    {d.name!r},"]
        lines.append(f"    domain_code={d.code!r},")
        lines += [f"    {name}={value!r}," for name, value in d.settings.items()]
        lines.append(")")
    return "\n".join(lines) + "\n"


def render_import(export: Export) -> str:
    """A `pulumi import --file` file for the native provider's DomainSettings resources."""
    resources = [
        {
            "type": IMPORT_TYPE,
            "name": d.name,
            "id": d.code,
            "properties": [PULUMI_NAMES[name] for name in ("domain_code", *d.settings)],
        }
        for d in export.domains
    ]
    return json.dumps({"resources": resources}, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Export], str]] = {
    "fleet": render_fleet,
    "python": render_python,
    "import": render_import,
}


def fetch(
    client: QboxClient,
    codes: Sequence[str],
    query: str | None,
    per: int,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """The live domains: one GET per code given, else the list (matching `query`) page by page."""
    if not codes:

        def on_page(page: int, total: int, count: int) -> None:
            if progress is not None:
                progress(f"page {page}/{max(total, 1)}, {count} domains")

        return client.list_domains(query=query, per=per, on_page=on_page)
    live = []
    for index, code in enumerate(codes, 1):
        # The code asked for, not whatever the answer says: it is the one the user checked.
        live.append({**client.get_domain(code), "code": code})
        if progress is not None:
            progress(f"domain {index}/{len(codes)}")
    return live


def check_codes(codes: Sequence[str]) -> list[str]:
    """The codes given, without repeats; InvalidSettingsError before any request if one is bad."""
    return [domain_code(code) for code in dict.fromkeys(codes)]


def check_output(path: str | None, force: bool) -> None:
    """Refuse, before any request, an output that exists (without --force) or cannot be made."""
    if path is None or path == "-":
        return
    target = Path(path)
    if target.is_dir():
        raise OutputError(path, "it is a directory")
    if target.exists() and not force:
        raise OutputError(path, "it exists; pass --force to overwrite it")
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(path, f"the directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(path, f"the directory {folder} is not writable")


def write(text: str, path: str | None, force: bool, stdout: IO[str]) -> None:
    """Write the whole text at once: a failure leaves no partial file behind."""
    if path is None or path == "-":
        stdout.write(text)
        stdout.flush()
        return
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        if force:
            os.replace(temporary, target)
        else:
            os.link(temporary, target)  # fails if the file appeared meanwhile: never overwrite
    except OSError as exc:
        raise OutputError(path, exc.strerror or type(exc).__name__) from None
    finally:
        temporary.unlink(missing_ok=True)


def parser(prog: str = "qboxmail-export") -> argparse.ArgumentParser:
    """The command line of the export."""
    cli = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Export live Qboxmail domains as a fleet file (default), a Pulumi program or a "
            "Pulumi import file. The token and endpoint come from QBOXMAIL_API_TOKEN and "
            "QBOXMAIL_ENDPOINT, as for the provider."
        ),
    )
    add = cli.add_argument
    add("codes", nargs="*", metavar="CODE", help="domains to export (default: all the token sees)")
    add("--query", metavar="TEXT", help="export the domains whose code or name contains TEXT")
    add("--format", choices=FORMATS, default="fleet", help="what to write (default: fleet)")
    add("--output", "-o", metavar="PATH", help="file to write; - or none for stdout")
    add("--force", action="store_true", help="overwrite PATH if it exists")
    add(
        "--per",
        type=int,
        default=DEFAULT_PER,
        metavar="N",
        help=f"domains per list page, one request each (default: {DEFAULT_PER})",
    )
    return cli


def run(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    prog: str = "qboxmail-export",
) -> int:
    """Run the export command; 0 on success, 1 with one line per problem on stderr."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    cli = parser(prog)
    args = cli.parse_args(argv)
    if args.codes and args.query is not None:
        cli.error("give domain codes or --query, not both")
    if args.per < 1:
        cli.error("--per must be at least 1")
    progress = None
    if err.isatty():

        def progress(text: str) -> None:
            err.write(f"\r{PREFIX}{text}\033[K")
            err.flush()

    try:
        codes = check_codes(args.codes)
        check_output(args.output, args.force)
        client = build_client(None, os.environ if environ is None else environ)
        if client is None:
            raise ConfigurationError(
                "QBOXMAIL_API_TOKEN", "is not set; the export reads the token from it only"
            )
        live = fetch(client, codes, args.query, args.per, progress)
        if progress is not None:
            err.write("\n")
        export = build(live, client.endpoint, datetime.now(timezone.utc))
        write(RENDERERS[args.format](export), args.output, args.force, out)
    except QboxError as exc:
        if progress is not None:
            err.write("\n")
        for line in str(exc).splitlines():
            err.write(f"{PREFIX}{line}\n")
        return 1
    return 0


def main() -> int:
    """The `qboxmail-export` console script."""
    return run()
