"""Export the live domains as a fleet file, a Pulumi program, or a Pulumi import file.

    python -m pulumi_qboxmail export [CODE ...] [--query TEXT]
                                     [--format fleet|yaml|python|import] [--output PATH]
                                     [--force] [--allow-empty] [--stack NAME] [--per N]

A tool beside the product. Inside a Pulumi project it reads the token, endpoint, timeouts and
retry bounds from the current stack's `qboxmail:*` config (through the Automation API, secrets
included), with the provider's QBOXMAIL_* environment variables as the fallback, in the
provider's own precedence (config.OPTIONS). It reads the domains with `GET /api/domains` page by
page (or one GET per code given), and never sends a write request.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import stat
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import yaml

from .. import core
from ..client import QboxClient, domain_code
from ..config import OPTIONS, build_client
from ..errors import ConfigurationError, OutputError, QboxError
from ..model import FIELDS, ID_FIELD, PULUMI_NAMES, SETTINGS
from ..naming import PYTHON, TOKEN

FORMATS = ("fleet", "yaml", "python", "import")
IMPORT_TYPE = TOKEN
DEFAULT_PER = 100
PREFIX = "qboxmail export: "
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml", "Pulumi.json")
STDOUT = ("-", "/dev/stdout")
RESERVED = frozenset({*PULUMI_NAMES.values(), "pulumi"})
"""Names a resource never gets: the YAML program's variables (and Pulumi YAML's own `pulumi`)."""


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
    project: str = "qboxmail-fleet"
    """The Pulumi project name a YAML program gets."""
    plugins: Any = None
    """The `plugins` a YAML program keeps from the project it replaces, if any."""

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


def unique_names(pairs: Iterable[tuple[str, str]], reserved: Iterable[str] = ()) -> list[str]:
    """Resource names for `(domain name, code)` pairs, in order; a later duplicate, or a name
    `reserved`, gets `-2`, `-3`, ... (the first free one)."""
    taken: set[str] = set(reserved)
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
        if any(error.field == ID_FIELD for error in adopted.left_out):
            continue  # no resource can hold a code the provider refuses
        settings = adopted.inputs
        del settings[ID_FIELD]
        found.append((str(item.get("name") or code), code, settings))
    # Sorted before naming, so a repeated name's suffix always goes to the same domain.
    found.sort(key=lambda entry: (resource_base(entry[0], entry[1]), entry[1]))
    names = unique_names(((name, code) for name, code, _ in found), RESERVED)
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


def printable(text: str) -> str:
    """`text` with every character that is not printable (line and paragraph separators, NEL,
    controls, format characters, lone surrogates) as a Python-style escape: safe in a comment."""
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


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
    # Escaped before wrapping, which would turn a tab or carriage return into a plain space.
    return [line for text in paragraphs for line in textwrap.wrap(printable(text), 96)]


def _comment(lines: Iterable[str]) -> str:
    # Escaped here, so no text from the API can end a comment line early in any format.
    return "".join(f"# {printable(line)}\n" for line in lines)


class _Dumper(yaml.SafeDumper):
    """Writes a string with any character that is not printable double-quoted, where YAML
    escapes it: PyYAML's plain or single-quoted style would keep a NEL raw and lose it."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = None if value.isprintable() else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def _yaml(document: Any) -> str:
    text: str = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text


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
    return _comment([*header(export), *textwrap.wrap(note, 96)]) + "\n" + _yaml(document)


def _interpolation_safe(value: Any) -> Any:
    # Pulumi YAML reads `${...}` in any string as an expression; `$$` is a literal `$`.
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [_interpolation_safe(item) for item in value]
    return value


def render_yaml(export: Export) -> str:
    """A Pulumi YAML program: the policy as `variables`, one DomainSettings per domain whose
    properties use them where the domain has the policy's value."""
    shared = policy(export)
    resources: dict[str, Any] = {}
    for d in export.domains:
        properties: dict[str, Any] = {PULUMI_NAMES[ID_FIELD]: d.code}
        for name, value in d.settings.items():
            same = name in shared and _key(value) == _key(shared[name])
            pulumi_name = PULUMI_NAMES[name]
            properties[pulumi_name] = f"${{{pulumi_name}}}" if same else _interpolation_safe(value)
        resources[d.name] = {"type": IMPORT_TYPE, "properties": properties}
    document: dict[str, Any] = {
        "name": export.project,
        "runtime": "yaml",
        "description": "Qboxmail domains adopted as code: one DomainSettings per domain.",
    }
    if export.plugins is not None:
        document["plugins"] = export.plugins
    if shared:
        document["variables"] = {
            PULUMI_NAMES[name]: _interpolation_safe(value) for name, value in shared.items()
        }
    document["resources"] = resources
    note = (
        "variables: per exported setting, the value most domains share (a tie goes to the value "
        "whose JSON text sorts first); a domain with another value has it written out, and a "
        "domain for which the API did not return a setting leaves it unmanaged."
    )
    return _comment([*header(export), *textwrap.wrap(note, 96)]) + "\n" + _yaml(document)


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
            "properties": [PULUMI_NAMES[name] for name in (ID_FIELD, *d.settings)],
        }
        for d in export.domains
    ]
    return json.dumps({"resources": resources}, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[Export], str]] = {
    "fleet": render_fleet,
    "yaml": render_yaml,
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


def _output_kind(path: str, force: bool) -> str:
    """How to write `path`: `new`, `replace` (a regular file, with --force) or `stream` (an
    existing FIFO or character device, written into as it is); OutputError otherwise."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as exc:  # e.g. a name too long for the file system
        raise OutputError(path, exc.strerror or type(exc).__name__) from None
    if info is not None and stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:
            info = None
        if info is None or stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
            # Replacing the link would drop it; writing through it would replace its target.
            raise OutputError(path, "it is a symbolic link; give the path it points to")
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(path, "it is a directory")
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
            return "stream"
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(path, "it is neither a regular file, a FIFO nor a character device")
        if not force:
            raise OutputError(path, "it exists; pass --force to overwrite it")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise OutputError(path, f"the directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(path, f"the directory {folder} is not writable")
    return "new" if info is None else "replace"


def check_output(path: str | None, force: bool) -> None:
    """Refuse, before any request, an output that cannot be written: an existing file without
    --force, a directory, a link, a missing or read-only directory, a name too long."""
    if path is not None and path not in STDOUT:
        _output_kind(path, force)


def write(text: str, path: str | None, force: bool, stdout: IO[str]) -> None:
    """Write the whole text at once: a failure leaves no partial file behind.

    A regular file is written to a temporary file made exclusively (mkstemp, short-named) beside
    it, then linked in place (a new file, never overwriting one that appeared meanwhile) or
    renamed over it (with --force). A FIFO or character device is written into, never replaced.
    """
    if path is None or path in STDOUT:
        stdout.write(text)
        stdout.flush()
        return
    data = text.encode("utf-8")
    kind = _output_kind(path, force)  # again: the path may have changed during the requests
    try:
        if kind == "stream":
            _write_into(path, data)
            return
        fd, temporary = tempfile.mkstemp(
            prefix=".qbx-", suffix=".tmp", dir=os.path.dirname(path) or "."
        )
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # as a new file gets, not mkstemp's 0600
            if kind == "replace":
                os.replace(temporary, path)  # a rename: replaces a link itself, never its target
            else:
                os.link(temporary, path)  # fails if the file appeared meanwhile: never overwrite
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    except OSError as exc:
        raise OutputError(path, exc.strerror or type(exc).__name__) from None


def _write_into(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a file since it was checked
            raise OutputError(path, "it was replaced by a regular file while the export ran")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


@dataclass
class Source:
    """Where the export's settings come from: a stack's `qboxmail:*` config, else the
    environment, looked up with the provider's own options and precedence."""

    config: dict[str, str] = field(default_factory=dict)
    stack: str | None = None
    project: Path | None = None
    """The project file (Pulumi.yaml) the export runs under, if any."""

    def knob(self, key: str, environ: Mapping[str, str]) -> str:
        """The setting `key` as the user set it: the stack config key, the variable or the
        default, named so that they can find it."""
        option = next(option for option in OPTIONS if option.key == key)
        knob = option.find(self.config, environ)[1]
        if knob == option.env:
            return knob
        if knob != "default":
            return f"{knob} (stack {self.stack})"
        where = f"qboxmail:{key} in stack {self.stack} or " if self.stack else ""
        value = f"the default, {option.default}" if option.default else "not set"
        return f"{key} ({value}; set {where}{option.env})"

    def knobs(self, environ: Mapping[str, str]) -> dict[str, str]:
        return {key: self.knob(key, environ) for key in ("apiToken", "endpoint")}


def find_project(start: Path) -> Path | None:
    """The Pulumi project file of `start` or its nearest parent that has one, as `pulumi` does."""
    for folder in (start, *start.parents):
        for name in PROJECT_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def read_source(start: Path, stack: str | None, environ: Mapping[str, str]) -> Source:
    """The current (or given) stack's `qboxmail:*` config when `start` is in a Pulumi project,
    read with the Automation API (secrets decrypted); an empty Source outside any project."""
    project = find_project(start)
    if project is None:
        if stack is not None:
            raise ConfigurationError(f"--stack {stack}", f"there is no Pulumi project in {start}")
        return Source()
    # Imported only here: it costs a second, and outside a project it is not needed.
    from pulumi import automation as auto

    where = f"the stack config of {project}"
    try:
        workspace = auto.LocalWorkspace(work_dir=str(project.parent), env_vars=dict(environ))
        if stack is None:
            current = workspace.stack()
            if current is None:
                return Source(project=project)  # no stack selected: the environment only
            stack = current.name
        values = workspace.get_all_config(stack)
    except FileNotFoundError:
        raise ConfigurationError(where, "no `pulumi` CLI on PATH to read it with") from None
    except auto.errors.CommandError as exc:
        said = str(exc).split(" stderr: ", 1)[-1].strip().splitlines() or ["pulumi failed"]
        raise ConfigurationError(where, f"`pulumi` could not read it: {said[0]}") from None
    config = {k: str(v.value) for k, v in values.items() if k.startswith("qboxmail:")}
    return Source(config, stack, project)


def project_keys(source: Source, path: str | None, start: Path) -> tuple[str, Any]:
    """The name (and plugins) a YAML program gets: the current project's, so the program can
    replace its Pulumi.yaml; else the name of the directory it is written to."""
    if source.project is not None:
        with contextlib.suppress(OSError, yaml.YAMLError, AttributeError):
            settings = yaml.safe_load(source.project.read_text(encoding="utf-8"))
            return str(settings["name"]), settings.get("plugins")
    folder = start / os.path.dirname(path) if path not in (None, *STDOUT) else start
    return resource_base(folder.resolve().name, "qboxmail-fleet"), None


def parser(prog: str = "qboxmail-export") -> argparse.ArgumentParser:
    """The command line of the export."""
    cli = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Export live Qboxmail domains as a fleet file (default), a Pulumi YAML or Python "
            "program, or a Pulumi import file. Inside a Pulumi project the token, endpoint and "
            "other settings come from the current stack's qboxmail:* config, else from the "
            "provider's QBOXMAIL_* environment variables."
        ),
    )
    add = cli.add_argument
    add("codes", nargs="*", metavar="CODE", help="domains to export (default: all the token sees)")
    add("--query", metavar="TEXT", help="export the domains whose code or name contains TEXT")
    add("--format", choices=FORMATS, default="fleet", help="what to write (default: fleet)")
    add("--output", "-o", metavar="PATH", help="file to write; -, /dev/stdout or none for stdout")
    add("--force", action="store_true", help="overwrite PATH if it is a regular file")
    add("--allow-empty", action="store_true", help="write the file even when no domain is found")
    add("--stack", metavar="NAME", help="read this stack's config (default: the current stack)")
    add(
        "--per",
        type=int,
        default=DEFAULT_PER,
        metavar="N",
        help=f"domains per list page, one request each (default: {DEFAULT_PER})",
    )
    return cli


def _no_token(source: Source) -> ConfigurationError:
    if source.stack is not None:
        return ConfigurationError(
            "qboxmail:apiToken",
            f"is set neither in stack {source.stack} nor as QBOXMAIL_API_TOKEN; run `pulumi "
            "config set --secret qboxmail:apiToken <token>`",
        )
    if source.project is not None:
        problem = (
            f"is not set, and no stack of {source.project} is selected to read qboxmail:apiToken "
            "from; run `pulumi stack select` or pass --stack"
        )
    else:
        problem = "is not set; outside a Pulumi project the export reads the token from it only"
    return ConfigurationError("QBOXMAIL_API_TOKEN", problem)


def run(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    prog: str = "qboxmail-export",
    cwd: Path | None = None,
) -> int:
    """Run the export command; 0 on success, 1 with one line per problem on stderr."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    env = os.environ if environ is None else environ
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

    source = Source()
    start = Path.cwd() if cwd is None else cwd
    try:
        codes = check_codes(args.codes)
        check_output(args.output, args.force)
        source = read_source(start, args.stack, env)
        client = build_client(source.config, env)
        if client is None:
            raise _no_token(source)
        live = fetch(client, codes, args.query, args.per, progress)
        if progress is not None:
            err.write("\n")
        project, plugins = project_keys(source, args.output, start)
        export = build(live, client.endpoint, datetime.now(timezone.utc))
        export = dataclasses.replace(export, project=project, plugins=plugins)
        if not export.domains and not args.allow_empty:
            what = f"matching {args.query!r} " if args.query else ""
            raise OutputError(
                args.output or "-",
                f"the export found no domain {what}at {client.endpoint}; pass --allow-empty to "
                "write an empty file",
            )
        write(RENDERERS[args.format](export), args.output, args.force, out)
    except QboxError as exc:
        if progress is not None:
            err.write("\n")
        for line in exc.render(dataclasses.replace(PYTHON, knobs=source.knobs(env))).splitlines():
            err.write(f"{PREFIX}{line}\n")
        return 1
    count = len(export.domains)
    written = "stdout" if args.output in (None, *STDOUT) else args.output
    err.write(
        f"{PREFIX}wrote {count} domain{'' if count == 1 else 's'} ({args.format}) to {written}, "
        f"read from {client.endpoint} as set by {source.knob('endpoint', env)}\n"
    )
    return 0


def main() -> int:
    """The `qboxmail-export` console script."""
    return run()
