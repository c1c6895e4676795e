"""Local emulator of the Qboxmail Management API: GET/PUT /api/domains/{code} and the
paginated domain list GET /api/domains, for tests."""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import ipaddress
import json
import math
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.error
import urllib.request
import zoneinfo
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

# Settings a GET returns (docs/qboxmail-api-notes.md), with a new domain's values; the others
# are write-only.
MAX_ACCOUNTS = (
    *("max_email_accounts", "max_email_accounts_archive", "max_email_accounts_25gb"),
    *("max_email_accounts_50gb", "max_email_accounts_100gb"),
)
DEFAULTS: dict[str, Any] = {
    "antispam_level": 2,
    "allow_nets": [],
    **dict.fromkeys(("imap_disabled", "pop_disabled", "smtp_disabled", "webmail_disabled"), False),
    **dict.fromkeys(("calendar", "meeting", "activesync", "chat", "dav"), False),
    "default_quota": 1073741824,
    **dict.fromkeys(MAX_ACCOUNTS, -1),
    "max_email_quota": 53687091200,
}
FIXED = dict(status="enabled", status_detail="ok", is_healthy=True, customer_code="C000000001")
# Read-only GET fields a seeded domain (or the state file) may override.
READ_ONLY = ("name", *FIXED, "created_at", "updated_at")
# Actions, not settings: validated, never stored. The password is never stored either.
UNSTORED = {"allow_nets_apply_to_all", "default_quota_apply_to_all", "force_new_password"}
UNSTORED |= {"password_policies_apply_to_all", "postmaster_password"}
UNSTORED |= {"postmaster_password_confirmation"}
MESSAGES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found"}
MESSAGES |= {405: "Method not allowed", 422: "Validation failed"}
DOMAIN_PATH = re.compile(r"/api/domains/([^/]+)/?")
SIDE_DOOR = re.compile(r"/_emulator/domains/([^/]+)")
"""Where `set` changes a domain behind the stack's back: not the API, never logged or faulted."""
LIST_PATH = re.compile(r"/api/domains/?")
LIST_PER = 25  # the documented default page size
# The API's own rule for a code, kept here on purpose: the emulator never imports the package's
# model, so the tests compare the package against an independent reading of the API docs.
DOMAIN_CODE = re.compile(r"D[0-9]{9}")
"""A domain code as the API's Update domain page defines it: D and 9 digits."""
PASSWORD_RULE = "must be at least 8 characters and contain at least one letter and one number"

Check = Callable[[Any], "str | None"]


def _rule(ok: Callable[[Any], bool], problem: str) -> Check:
    """A check reporting `problem` unless `ok(value)`."""
    return lambda value: None if ok(value) else problem


def _integer(bits: int = 32, *, allowed: Iterable[int] = (), minimum: int | None = None) -> Check:
    """A check for a JSON integer of the given width, optional value set and minimum."""
    limit, values = 2 ** (bits - 1), frozenset(allowed)

    def check(value: Any) -> str | None:
        # json.loads turns 3.0 into a float, so a float here was written as one.
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        if not -limit <= value < limit:
            return "is out of range"
        if values and value not in values:
            return "is not valid"
        if minimum is not None and value < minimum:
            return f"must be greater than or equal to {minimum}"
        return None

    return check


def _choice(*values: str) -> Check:
    return _rule(lambda v: isinstance(v, str) and v in values, "is not valid")


def _is_password(v: Any) -> bool:
    text = v if isinstance(v, str) else ""
    return len(text) >= 8 and any(c.isalpha() for c in text) and any(c.isdigit() for c in text)


def _is_email(v: Any) -> bool:
    if not isinstance(v, str) or v.count("@") != 1 or any(c.isspace() for c in v):
        return False
    local, _, domain = v.partition("@")
    return bool(local) and "." in domain


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _is_network(v: Any) -> bool:
    try:
        return isinstance(v, str) and bool(ipaddress.ip_network(v, strict=False))
    except ValueError:
        return False


def _is_flag(v: Any) -> bool:
    # boolean[] on the Update domain page, a flag in docs/qboxmail-api-notes.md: accept both.
    return isinstance(v, bool) or (isinstance(v, list) and all(isinstance(x, bool) for x in v))


def _allow_nets(value: Any) -> str | None:
    if not isinstance(value, list):
        return "must be an array"
    return None if all(_is_network(v) for v in value) else "contains an invalid address"


BOOLEANS = (
    *("catch_all_enabled", "imap_disabled", "pop_disabled", "smtp_disabled", "webmail_disabled"),
    *("chat", "activesync", "meeting", "calendar", "dav", "api_enabled", "force_otp"),
    *("password_change_disabled", "password_recovery_disabled", "force_password_first_login"),
    *("block_old_password", "hide_from_addressbook_company", "antimalware_premium"),
    *("destroy_sessions_on_password_expiration", "limit_tracemail_21_days"),
    *("apply_signature_new_emails", "default_quota_apply_to_all", "force_new_password"),
    "password_policies_apply_to_all",
)
STRINGS = ("company", "telephone", "address", "city", "zip", "state", "country")
# Documented as int32 but reaching 100 GB: 64-bit, like every byte count.
MAX_QUOTAS = (
    *(52428800, 1073741824, 2147483648, 3221225472, 4294967296, 5368709120, 6442450944),
    *(7516192768, 8589934592, 17179869184, 26843545600, 53687091200, 107374182400),
)
DATE_FORMATS = (
    *("YYYY/MM/DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD MMM YYYY", "MMM DD YYYY", "DD.MM.YYYY"),
)
_boolean = _rule(lambda v: isinstance(v, bool), "must be a boolean")
_string = _rule(lambda v: isinstance(v, str), "must be a string")
_timezone = _rule(lambda v: isinstance(v, str) and v in _zones(), "is not a valid timezone")
RULES: dict[str, Check] = {
    **dict.fromkeys(BOOLEANS, _boolean),
    **dict.fromkeys((*STRINGS, "webmail_signature_template"), _string),
    **dict.fromkeys(MAX_ACCOUNTS, _integer(minimum=-1)),
    "postmaster_password": _rule(_is_password, PASSWORD_RULE),
    "postmaster_password_confirmation": _string,  # compared with the password in validate()
    "catch_all_destination": _rule(_is_email, "is not a valid email"),
    "default_quota": _integer(64, minimum=0),
    "antispam_level": _integer(allowed=(0, 1, 2, 3)),
    "allow_nets": _allow_nets,
    "max_email_quota": _integer(64, allowed=MAX_QUOTAS),
    "password_expiration": _integer(allowed=(-1, 3, 6, 12)),
    "plan": _choice("basic", "professional", "enterprise"),
    "language": _choice("it", "en", "es"),
    "timezone": _timezone,
    "webmail_language": _choice("it", "en", "nl", "sv", "es", "pt", "de", "gr", "fr"),
    "webmail_time_format": _choice("12h", "24h"),
    "webmail_date_format": _choice(*DATE_FORMATS),
    "webmail_timezone": _timezone,
    "allow_nets_apply_to_all": _rule(_is_flag, "must be a boolean"),
    "outbound_limit": _integer(minimum=0),
}


def validate(body: Mapping[str, Any]) -> list[dict[str, str]]:
    """Return one error per rejected field of a PUT body, in body order."""
    errors = []
    for name, value in body.items():
        check = RULES.get(name)
        if check is None:
            problem: str | None = "is not a valid field"
        elif name == "postmaster_password_confirmation":
            same = isinstance(value, str) and value == body.get("postmaster_password")
            problem = None if same else "doesn't match postmaster_password"
        else:
            problem = check(value)
        if problem:
            errors.append({"field": name, "description": problem})
    return errors


def _error(status: int) -> dict[str, Any]:
    try:
        message = MESSAGES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        message = "Error"
    return {"message": message, "errors": []}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class StartError(Exception):
    """The emulator cannot start as asked: a bad domain code or an unusable state file."""


def _load_state(path: Path) -> dict[str, dict[str, Any]]:
    """The domains saved in a state file; StartError, in one line, when it cannot be used."""
    try:
        state = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise StartError(f"--state {path}: cannot read it: {exc.strerror}") from None
    except ValueError as exc:
        raise StartError(f"--state {path}: not a JSON file: {exc}") from None
    if not isinstance(state, dict):
        found = type(state).__name__
        raise StartError(f"--state {path}: must hold a JSON object of domains, not a {found}")
    for code, settings in state.items():
        _check_code(code, f"--state {path}:")
        if not isinstance(settings, dict):
            raise StartError(f"--state {path}: the settings of {code} must be a JSON object")
    return state


def _check_code(code: Any, where: str) -> None:
    if not isinstance(code, str) or not DOMAIN_CODE.fullmatch(code):
        raise StartError(f"{where} {json.dumps(code)} is not a domain code (D and 9 digits)")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it, with the token masked."""

    method: str
    path: str
    body: Any
    token: str
    at: float = field(default=0.0, compare=False)
    """Wall-clock arrival time (time.time()), to measure the gaps between retries."""
    headers: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Every header received except X-Api-Token, which `token` shows masked."""


@dataclass(frozen=True)
class _Fault:
    status: int  # 0 means: drop the connection without answering
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None


class Emulator:
    """An in-process Qboxmail API server with inspectable state, request log and fault injection."""

    def __init__(
        self,
        *,
        token: str = "test-token",
        domains: Iterable[str] = (),
        state_file: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token, self.host, self.port = token, host, port
        self.state_file = Path(state_file) if state_file is not None else None
        self.url = ""
        self.domains: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        self.latency = 0.0
        self.rate_limit: float | None = None
        """Requests per second accepted (a bucket of one second's worth); 429 beyond it."""
        self.refused = 0
        """API requests answered 429 by `rate_limit`."""
        self._tokens = 0.0
        self._filled_at = 0.0
        self.lock = threading.Lock()
        self._slow: deque[float] = deque()
        self._faults: deque[_Fault] = deque()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._state_stamp: tuple[int, int] | None = None  # the state file as last read or written
        if self.state_file is not None and self.state_file.exists():
            for code, settings in _load_state(self.state_file).items():
                self.add_domain(code, **settings)
        for code in domains:
            _check_code(code, "--domain")
            if code not in self.domains:
                self.add_domain(code)
        if self.state_file is not None:
            # Written now, so a path that cannot be written fails the start, not every PUT.
            try:
                self._save(self.domains)
            except OSError as exc:
                problem = f"--state {self.state_file}: cannot write it: {exc.strerror}"
                raise StartError(problem) from None

    def add_domain(self, code: str, **settings: Any) -> None:
        """Create (or reset) a domain with default settings, overridden by `settings`."""
        now = _now()
        domain = {**copy.deepcopy(DEFAULTS), "created_at": now, "updated_at": now, **settings}
        with self.lock:
            self.domains[code] = domain

    def seed(self, domains: Mapping[str, Mapping[str, Any]]) -> None:
        """Add many domains at once: code -> settings and read-only fields such as `name`."""
        for code, settings in domains.items():
            self.add_domain(code, **settings)

    def set_settings(self, code: str, settings: Mapping[str, Any]) -> list[dict[str, str]]:
        """Change stored settings as the Qboxmail panel would: checked by the API's rules,
        never logged as an API request. The errors, one per bad field; none when applied."""
        errors = validate(settings)
        errors += [
            {"field": name, "description": "is an action, not a stored setting"}
            for name in settings
            if name in UNSTORED
        ]
        if errors:
            return errors
        with self.lock:
            self._reread_if_edited()
            if code not in self.domains:
                return [{"field": "domain_code", "description": f"{code} is not a domain here"}]
            changed = {**self.domains[code], **settings, "updated_at": _now()}
            self._save({**self.domains, code: changed})
            self.domains[code] = changed
        return []

    def fail_next(
        self, count: int, status: int, headers: Mapping[str, str] | None = None, body: Any = None
    ) -> None:
        """Answer the next `count` API requests with `status` (body defaults to the error shape)."""
        fault = _Fault(status, dict(headers or {}), _error(status) if body is None else body)
        with self.lock:
            self._faults.extend([fault] * count)

    def slow_next(self, count: int, seconds: float) -> None:
        """Answer the next `count` API requests only after `seconds` more (exactly per request)."""
        with self.lock:
            self._slow.extend([seconds] * count)

    def drop_next(self, count: int) -> None:
        """Close the connection of the next `count` API requests without answering."""
        with self.lock:
            self._faults.extend([_Fault(0)] * count)

    def clear_log(self) -> None:
        """Forget the recorded requests."""
        with self.lock:
            self.requests.clear()

    def clear_faults(self) -> None:
        """Forget queued faults and drops and stop adding latency."""
        with self.lock:
            self._faults.clear()
            self._slow.clear()
            self.latency = 0.0

    def start(self) -> str:
        """Serve in a daemon thread and return the base URL."""
        if self._server is None:
            self._server = _Server(self, (self.host, self.port))
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"http://{host}:{self._server.server_port}"
            # A short poll interval keeps stop() fast (shutdown waits for one poll).
            serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
            self._thread = threading.Thread(target=serve, name="qboxmail-emulator", daemon=True)
            self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and cut kept-alive connections so no client talks to a stopped server."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self.lock:
            sockets = list(server.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        """Serve for the duration of a with-block, yielding the URL."""
        with self as url:
            yield url

    def _mask(self, token: str | None) -> str:
        return "<missing>" if token is None else "***" if token == self.token else "<wrong>"

    def _record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def _over_rate_limit(self) -> _Fault | None:
        """A 429 with Retry-After (whole seconds) when `rate_limit` allows no request now."""
        with self.lock:
            rate = self.rate_limit
            if not rate:
                return None
            now = time.monotonic()
            if self._filled_at == 0.0:
                self._tokens, self._filled_at = rate, now
            self._tokens = min(rate, self._tokens + (now - self._filled_at) * rate)
            self._filled_at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            self.refused += 1
            wait = max(1, math.ceil((1 - self._tokens) / rate))
        return _Fault(429, {"Retry-After": str(wait)}, _error(429))

    def _next_fault(self) -> _Fault | None:
        """Pop this request's queued fault and slowness, then wait the latency and slowness."""
        # Taken before waiting, so a late answer never takes what a later caller queued.
        with self.lock:
            fault = self._faults.popleft() if self._faults else None
            slow = self._slow.popleft() if self._slow else 0.0
        if self.latency + slow > 0:
            time.sleep(self.latency + slow)
        return fault

    def _answer(
        self, method: str, path: str, token: str | None, raw: bytes, query: str = ""
    ) -> tuple[int, Any]:
        """Status and JSON body (None for no body) for an API request."""
        if token != self.token:
            return 401, _error(401)
        with self.lock:
            self._reread_if_edited()
        if LIST_PATH.fullmatch(path):
            return self._list(query) if method == "GET" else (405, _error(405))
        match = DOMAIN_PATH.fullmatch(path)
        if match is None:
            return 404, _error(404)
        if method not in ("GET", "PUT"):
            return 405, _error(405)
        code = unquote(match[1])
        with self.lock:
            if code not in self.domains:
                return 404, _error(404)
            if method == "GET":
                return 200, {"resources": [self._public(code)], "pagination": {}}
        body = _parse(raw)
        if not isinstance(body, dict):
            return 400, _error(400)
        errors = validate(body)
        if errors:
            return 422, {"message": MESSAGES[422], "errors": errors}
        with self.lock:
            domain = self.domains.get(code)
            if domain is None:  # removed by the test while we validated
                return 404, _error(404)
            changes = {k: v for k, v in body.items() if k not in UNSTORED}
            changes["updated_at"] = _now()
            if "postmaster_password" in body:
                changes["postmaster_password_changed_at"] = changes["updated_at"]
            # Saved first: a PUT the state file cannot record answers 500 and changes nothing.
            self._save({**self.domains, code: {**domain, **changes}})
            domain.update(changes)
        return 204, None

    def _list(self, query: str) -> tuple[int, Any]:
        """One page of the domains, in code order, whose code or name contains `query`."""
        args = {name: values[-1] for name, values in parse_qs(query).items()}
        try:
            page, per = int(args.get("page", 1)), int(args.get("per", LIST_PER))
        except ValueError:
            return 400, _error(400)
        if page < 1 or per < 1:
            return 400, _error(400)
        text = args.get("query")
        needle = (text or "").lower()
        with self.lock:
            codes = [
                code
                for code in sorted(self.domains)
                if needle in code.lower() or needle in str(self._name(code)).lower()
            ]
            shown = [self._public(code) for code in codes[(page - 1) * per : page * per]]
        pagination = {
            "per": per,
            "page": page,
            "total_pages": -(-len(codes) // per),
            "total_records": len(codes),
            "query": text,
            **dict.fromkeys(("filter", "status", "sort_field", "sort")),
        }
        return 200, {"resources": shown, "pagination": pagination}

    def _name(self, code: str) -> Any:
        return self.domains[code].get("name", f"{code.lower()}.example.test")

    def _public(self, code: str) -> dict[str, Any]:
        domain = self.domains[code]
        shown = {"code": code, "name": self._name(code), **FIXED}
        shown |= {k: domain[k] for k in READ_ONLY if k in domain}
        return copy.deepcopy(shown | {k: domain[k] for k in DEFAULTS if k in domain})

    def _save(self, domains: Mapping[str, Any]) -> None:
        """Write `domains` as the state, atomically; the caller holds the lock (PUT order)."""
        if self.state_file is None:
            return
        text = json.dumps(domains, indent=2, sort_keys=True) + "\n"
        tmp = self.state_file.with_name(f".{self.state_file.name}.tmp")
        tmp.write_text(text, "utf-8")
        os.replace(tmp, self.state_file)
        self._state_stamp = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.state_file) if self.state_file is not None else None
        except OSError:
            return None
        return None if stat is None else (stat.st_mtime_ns, stat.st_size)

    def _reread_if_edited(self) -> None:
        """Take in a state file edited by hand since it was last read or written; the caller
        holds the lock. An edit it cannot use is reported on stderr once and changes nothing."""
        if self.state_file is None:
            return
        stamp = self._stamp()
        if stamp is None or stamp == self._state_stamp:
            return
        self._state_stamp = stamp
        try:
            edited = _load_state(self.state_file)
        except StartError as exc:
            print(f"emulator: the edited state file is ignored: {exc}", file=sys.stderr)
            return
        self.domains = {code: {**copy.deepcopy(DEFAULTS), **edited[code]} for code in edited}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 resets bursts of concurrent clients

    def __init__(self, emulator: Emulator, address: tuple[str, int]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.emulator = emulator
        self.open_sockets: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn), slow on some hosts.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.socket.getsockname()[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # client went away: not our problem
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.emulator.lock:
            self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(ConnectionError):
            super().finish()
        with self.server.emulator.lock:
            self.server.open_sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        emulator = self.server.emulator
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return self._send(400, _error(400))
        raw = self.rfile.read(length) if length > 0 else b""
        token = self.headers.get("X-Api-Token")
        parts = urlsplit(self.path)
        path = parts.path
        side_door = SIDE_DOOR.fullmatch(path)
        if side_door is not None:
            return self._side_door(unquote(side_door[1]), token, raw)
        shown = {k: v for k, v in self.headers.items() if k.lower() != "x-api-token"}
        request = RecordedRequest(
            self.command, self.path, _parse(raw), emulator._mask(token), time.time(), shown
        )
        emulator._record(request)
        if not (path == "/api" or path.startswith("/api/")):
            return self._send(404, _error(404))
        fault = emulator._over_rate_limit() or emulator._next_fault()
        if fault is not None and fault.status == 0:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault is not None:
            return self._send(fault.status, fault.body, fault.headers)
        try:
            status, body = emulator._answer(self.command, path, token, raw, parts.query)
        except Exception:
            self._send(500, _error(500))
            raise
        return self._send(status, body)

    do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

    def _side_door(self, code: str, token: str | None, raw: bytes) -> None:
        emulator = self.server.emulator
        if token != emulator.token:
            return self._send(401, _error(401))
        body = _parse(raw)
        if self.command != "PATCH" or not isinstance(body, dict):
            return self._send(400, _error(400))
        errors = emulator.set_settings(code, body)
        if errors:
            return self._send(422, {"message": MESSAGES[422], "errors": errors})
        return self._send(204, None)

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        headers = dict(headers or {})
        bodiless = status < 200 or status in (204, 304)
        if bodiless or body is None:
            data = b""
        elif isinstance(body, (bytes, str)):
            data = body.encode() if isinstance(body, str) else body
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if not bodiless:  # RFC 9110 forbids Content-Length on 1xx/204
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _settings(pairs: Iterable[str], where: str) -> dict[str, Any]:
    """NAME=VALUE words as settings: VALUE as JSON when it is JSON (3, true, [...]), else text."""
    settings: dict[str, Any] = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name:
            raise StartError(f"{where} {json.dumps(pair)} is not NAME=VALUE")
        try:
            settings[name] = json.loads(text)
        except ValueError:
            settings[name] = text
    return settings


def _domains_with_settings(words: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`--domain` words: each code, then the NAME=VALUE settings that follow it."""
    given: dict[str, list[str]] = {}
    code = None
    for word in words:
        if "=" not in word:
            _check_code(word, "--domain")
            code = word
            given.setdefault(code, [])
        elif code is None:
            raise StartError(f"--domain {json.dumps(word)}: a setting follows a domain code")
        else:
            given[code].append(word)
    return {code: _settings(pairs, f"--domain {code}:") for code, pairs in given.items()}


def _must(errors: list[dict[str, str]], where: str) -> None:
    if errors:
        shown = "; ".join(f"{e['field']}: {e['description']}" for e in errors)
        raise StartError(f"{where} {shown}")


def set_main(argv: Sequence[str]) -> int:
    """`set CODE NAME=VALUE ...`: change a running emulator's domain behind the stack's back."""
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_qboxmail.emulator set",
        description="Change settings of a domain in a running emulator, as the Qboxmail panel "
        "would: the next `pulumi refresh` sees the change (for settings GET returns).",
    )
    endpoint = os.environ.get("QBOXMAIL_ENDPOINT") or "http://127.0.0.1:8080"
    parser.add_argument("--url", default=endpoint, help="the emulator (default: %(default)s)")
    parser.add_argument("--token", default="test-token", help="its token (default: %(default)s)")
    parser.add_argument("code", metavar="CODE")
    parser.add_argument("settings", nargs="+", metavar="NAME=VALUE", help="VALUE is JSON or text")
    args = parser.parse_args(argv)
    try:
        settings = _settings(args.settings, "")
    except StartError as exc:
        print(f"{parser.prog}: error:{exc}", file=sys.stderr)
        return 2
    request = urllib.request.Request(
        f"{args.url.rstrip('/')}/_emulator/domains/{args.code}",
        data=json.dumps(settings).encode(),
        headers={"X-Api-Token": args.token, "Content-Type": "application/json"},
        method="PATCH",
    )
    try:
        with urllib.request.urlopen(request, timeout=10):
            pass
    except urllib.error.HTTPError as exc:
        answer = _parse(exc.read())
        errors = answer.get("errors") if isinstance(answer, dict) else None
        shown = "; ".join(f"{e['field']}: {e['description']}" for e in errors or [])
        print(f"{parser.prog}: error: HTTP {exc.code}: {shown or exc.reason}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{parser.prog}: error: no emulator at {args.url}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.code}: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in settings.items()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator from the command line until SIGINT or SIGTERM; or `set`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["set"]:
        return set_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_qboxmail.emulator",
        description="Local emulator of the Qboxmail Management API; prints its URL first. "
        "`python -m pulumi_qboxmail.emulator set CODE NAME=VALUE ...` changes a domain of a "
        "running one behind the stack's back.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    add("--port", type=int, default=0, help="port to bind, 0 for any free one (default: 0)")
    add("--token", default="test-token", help="expected X-Api-Token (default: %(default)s)")
    add(
        "--domain",
        action="extend",
        nargs="+",
        default=[],
        metavar="CODE [NAME=VALUE ...]",
        help="domain(s) to create, each code followed by any settings it starts with, e.g. "
        "D123456789 antispam_level=3 'allow_nets=[\"192.0.2.0/24\"]' (VALUE is JSON, or text)",
    )
    add(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="also create N domains with default settings, D100000001 onwards",
    )
    add("--state", metavar="FILE", help="JSON file to load domains from and save after each PUT")
    add("--latency", type=float, default=0.0, metavar="SECONDS", help="delay before each answer")
    add(
        "--rate-limit",
        type=float,
        metavar="PER_SECOND",
        help="accept this many requests per second, answer 429 with Retry-After beyond it",
    )
    args = parser.parse_args(argv)
    try:
        given = _domains_with_settings(args.domain)
        seeded = [f"D{100_000_000 + i}" for i in range(1, args.seed + 1)]
        emulator = Emulator(
            token=args.token,
            domains=[*seeded, *given],
            state_file=args.state,
            host=args.host,
            port=args.port,
        )
        for code, settings in given.items():
            if settings:
                _must(emulator.set_settings(code, settings), f"--domain {code}:")
    except StartError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    emulator.latency = args.latency
    emulator.rate_limit = args.rate_limit
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        print(emulator.start(), flush=True)
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    while not stopping.wait(1.0):
        pass
    emulator.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
