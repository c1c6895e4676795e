"""The one way this package talks to the Qboxmail Management API."""

from __future__ import annotations

import bisect
import ipaddress
import logging
import math
import random
import re
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import InvalidHeader, NameResolutionError
from urllib3.util.retry import Retry

from .errors import (
    ERRORS_BY_STATUS,
    ApiError,
    ApiValidationError,
    ConfigurationError,
    FieldReason,
    InvalidSettingsError,
    ListChangedError,
    NoDomainReturnedError,
    ServerError,
    TransportError,
    UnexpectedBodyError,
    UnexpectedPageError,
    WrongDomainReturnedError,
)
from .model import DOMAIN_CODE, validate
from .version import VERSION

DEFAULT_ENDPOINT = "https://api.qboxmail.com"
SANDBOX_ENDPOINT = "https://sandbox.qboxmail.com"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
LIST_PATH = "/api/domains"
LIST_PAGE_LIMIT = 100_000
"""Most pages of the domain list: a server that keeps raising total_pages cannot loop forever."""
LIST_WALKS = 3
"""Most walks through the domain list while domains are added or deleted under it."""

log = logging.getLogger("pulumi_qboxmail")


USER_AGENT = f"pulumi-qboxmail/{VERSION} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries: its own failed attempts and its own retry time bound it.

    A 429 answered while other calls of the fleet succeed is not the call's failure, and time
    spent queued behind the shared Throttle is not its retry time; `max_throttled` is the hard
    ceiling on the whole call, queueing included, so a fleet that never gets through ends.
    """

    max_attempts: int = 5
    max_elapsed: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_throttled: float = 600.0


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    status: int | None,
    retry_after: float | None,
    elapsed: float,
    jitter: float,
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up.

    `attempt` is the number of the call's failed attempts so far (see RetryPolicy), `status`
    None means no HTTP answer, `retry_after` is the server's Retry-After in seconds, `elapsed`
    the call's own seconds (queueing behind the Throttle aside), `jitter` is in [0, 1). For a
    429 the wait is the whole fleet's (Throttle), not this call's alone.
    """
    if status is not None and status not in RETRY_STATUSES:
        return None
    if attempt >= policy.max_attempts:
        return None
    if retry_after is not None:
        delay = retry_after
    else:
        # Equal jitter: never hammers at once, never waits longer than the exponential cap.
        cap = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
        delay = cap / 2 + jitter * cap / 2
    if elapsed + delay > policy.max_elapsed:
        return None
    return delay


# ---- the fleet's shared back-off ---------------------------------------------------------------
THROTTLE_BETA = 0.7
"""After a 429, the send rate drops to this share of the rate Qboxmail was accepting."""
THROTTLE_GROWTH = 0.0375
"""CUBIC's C per second cubed, times that rate: back at it 2 s after the pause, then probing."""
THROTTLE_WINDOW = 1.0
"""Seconds of accepted requests that measure the rate Qboxmail accepts."""
THROTTLE_MEMORY = 4096
"""Accepted requests remembered: the most per THROTTLE_WINDOW that the Throttle can measure."""
THROTTLE_LIFT = 8.0
"""Once the allowed rate reaches this many times the accepted one, pacing stops altogether."""


def throttled_rate(accepted: float, since: float) -> float | None:
    """Requests per second allowed `since` seconds after a throttle's pause ended, or None.

    `accepted` is how many requests per second Qboxmail accepted when it refused one. The rate
    starts at THROTTLE_BETA of it, climbs back to it (CUBIC's concave part), stays near it for a
    while, then probes above it (the convex part); None (no pacing) once far above, or when
    nothing was accepted, since pacing a server that accepts nothing only delays the failure.
    """
    if accepted <= 0:
        return None
    knee = ((1 - THROTTLE_BETA) / THROTTLE_GROWTH) ** (1 / 3)
    rate = accepted * (1 + THROTTLE_GROWTH * (max(since, 0.0) - knee) ** 3)
    return None if rate >= THROTTLE_LIFT * accepted else rate


class Throttle:
    """One back-off shared by every call of every client of a process to one endpoint.

    Unthrottled, `wait` returns at once. A 429 pauses every caller until its Retry-After (or the
    refused call's own backoff) has passed, then paces them at `throttled_rate`, which recovers
    gradually. Only a 429 for a request sent after the last slow-down slows down further: the
    others were in flight already and say nothing new.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # Appended without the lock (deque appends are atomic): the unthrottled path stays free.
        self._accepted_at: deque[float] = deque(maxlen=THROTTLE_MEMORY)
        self._paused_until = 0.0
        self._limited = False
        self._base = 0.0  # the accepted rate that the current pacing recovers towards
        self._since = 0.0  # when that recovery started (the end of the pause)
        self._epoch = -math.inf  # when the send rate last went down
        self._next = 0.0  # earliest start of the next paced request
        self._generation = 0

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Block until this caller may send; return the time it may send at (its ticket)."""
        now = self._clock()
        if not self._limited and now >= self._paused_until:
            return now
        while True:
            with self._lock:
                now = self._clock()
                if not self._limited and now >= self._paused_until:
                    return now
                start = max(now, self._paused_until, self._next)
                rate = self._rate(start)
                self._next = start + (1 / rate if rate else 0.0)
                generation = self._generation
            if start > now:
                sleep(start - now)
            with self._lock:
                # A pause or a slow-down that came while this caller slept voids its slot.
                if generation == self._generation:
                    return start

    def _rate(self, now: float) -> float | None:
        if not self._limited:
            return None
        rate = throttled_rate(self._base, now - self._since)
        if rate is None:
            self._limited = False
        return rate

    def succeeded(self) -> None:
        self._accepted_at.append(self._clock())

    @property
    def last_accepted(self) -> float:
        """When a request last succeeded: a caller that sees it move knows the fleet progressed."""
        try:
            return self._accepted_at[-1]
        except IndexError:
            return -math.inf

    def refused_by_rate_limit(self, sent_at: float, pause: float) -> None:
        """A 429 for a request sent at `sent_at`: pause everyone `pause` s and slow down."""
        with self._lock:
            now = self._clock()
            times = list(self._accepted_at)
            recent = len(times) - bisect.bisect_right(times, now - THROTTLE_WINDOW)
            accepted = recent / THROTTLE_WINDOW
            until = max(self._paused_until, now + pause)
            if until > self._paused_until:
                self._paused_until = until
                self._next = until
                self._generation += 1
            if sent_at >= self._epoch:
                self._epoch = now
                self._base = accepted
                self._generation += 1
            elif accepted > self._base:
                # Answers of one burst arrive in any order: what was accepted meanwhile counts.
                self._base = accepted
            else:
                return
            self._since = self._paused_until
            self._limited = throttled_rate(self._base, 0.0) is not None


_THROTTLES: dict[str, Throttle] = {}
_THROTTLES_LOCK = threading.Lock()


def shared_throttle(endpoint: str) -> Throttle:
    """The process's one Throttle for `endpoint`, so every client to it backs off together."""
    with _THROTTLES_LOCK:
        return _THROTTLES.setdefault(endpoint, Throttle())


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP date; None when absent or garbled."""
    if not value:
        return None
    try:
        return float(Retry().parse_retry_after(value))
    except InvalidHeader:
        return None


# Whatever precedes the last "@" of the authority: "user:password@" with or without a scheme.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@")


def redact_userinfo(endpoint: str) -> str:
    """The endpoint with any credentials in it replaced by `***`, for messages."""
    return _USERINFO.sub(lambda match: f"{match[1] or ''}***@", endpoint)


def check_endpoint(endpoint: str) -> str:
    """The endpoint as a bare base URL; ConfigurationError when unsafe or not a base URL."""
    parts = urlsplit(endpoint.strip())
    key = "qboxmail:endpoint"
    if "@" in parts.netloc:
        raise ConfigurationError(key, "must not contain credentials; the token goes in apiToken")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(key, f"{redact_userinfo(endpoint)!r} is not an http(s) URL")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        shown = parts.netloc.rpartition(":")[2]
        raise ConfigurationError(key, f"must have a port from 1 to 65535, or none; got {shown!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigurationError(
            key, f"must be a base URL such as {DEFAULT_ENDPOINT}, without path or query"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            key,
            f"plain http is allowed only to loopback hosts; use https://{parts.netloc}",
        )
    return f"{parts.scheme}://{parts.netloc}"


# What an HTTP field value may carry (RFC 9110) and an API token plausibly holds: visible ASCII,
# with spaces or tabs only inside. Anything else is a copy-and-paste accident.
_TOKEN_CHAR = re.compile(r"[\t\x20-\x7e]")


def check_token(token: str) -> str:
    """The token stripped; ConfigurationError (never echoing it) if no header can carry it."""
    key = "qboxmail:apiToken"
    stripped = token.strip()
    if not stripped:
        raise ConfigurationError(key, "is empty")
    for position, char in enumerate(stripped, start=1):
        if not _TOKEN_CHAR.fullmatch(char):
            name = unicodedata.name(char, "")
            shown = f"U+{ord(char):04X} {name}".rstrip()
            raise ConfigurationError(
                key,
                f"has a character the X-Api-Token header cannot carry ({shown}, character "
                f"{position}); set the token again, without quotes or line breaks",
            )
    return stripped


def domain_code(code: str) -> str:
    """The code, when it is one (D and 9 digits); InvalidSettingsError before it can reach a URL."""
    # Unchecked, "../../other" would send the token to another path of the API. A guard at the
    # URL, not a second validation: the schema's own pattern, and its message only on failure.
    if isinstance(code, str) and re.fullmatch(DOMAIN_CODE, code):
        return code
    raise InvalidSettingsError(str(code), validate({"domain_code": code})[1])


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unresolved(exc: requests.RequestException | None) -> bool:
    """True when the endpoint's host name did not resolve: no retry makes a typo resolve."""
    cause = exc.args[0] if exc is not None and exc.args else None
    return isinstance(getattr(cause, "reason", None), NameResolutionError)


def _describe(exc: requests.RequestException, read_timeout: float, host: str) -> str:
    if _unresolved(exc):
        return f"host {host} not found (DNS)"
    if isinstance(exc, requests.exceptions.SSLError):
        cause = re.search(r"certificate verify failed: ([^(')\]]+)", str(exc))
        detail = f": {cause[1].strip()}" if cause else ""
        return f"TLS certificate verification failed{detail}"
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.ReadTimeout):
        return f"no answer within the {read_timeout:g}s read timeout"
    return "connection failed or was dropped"


class QboxClient:
    """A thread-safe client: one session per thread, so concurrent requests never mix."""

    def __init__(
        self,
        token: str,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        throttle: Throttle | None = None,
    ) -> None:
        self._token = check_token(token)
        self.endpoint = check_endpoint(endpoint)
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.throttle = throttle or shared_throttle(self.endpoint)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"QboxClient(endpoint={self.endpoint!r}, token=<hidden>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("QboxClient holds an API token and is never pickled")

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(
                {
                    "X-Api-Token": self._token,
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                }
            )
            self._read_environment_once(session)
            self._local.session = session
            self._local.templates = {}
        return session

    def _prepared(
        self,
        session: requests.Session,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        body: Mapping[str, Any] | None,
    ) -> requests.PreparedRequest:
        """The request as `session` would prepare it, from a copy of one prepared per method.

        Preparing afresh re-checks every header, cookie and auth setting on each call, though
        this session's are fixed when it is made: 50-70 µs of a PUT's ~450 µs of CPU, against
        10 µs for the copy. The endpoint is a bare base URL and a domain code is D and 9
        digits, so a path needs no quoting; query parameters do.
        """
        templates: dict[str, requests.PreparedRequest] = self._local.templates
        template = templates.get(method)
        if template is None:
            template = requests.Request(
                method, f"{self.endpoint}/", headers=session.headers, auth=session.auth
            ).prepare()
            templates[method] = template
        prepared = template.copy()
        if params:
            prepared.prepare_url(f"{self.endpoint}{path}", params)
        else:
            prepared.url = f"{template.url}{path.removeprefix('/')}"
        prepared.prepare_body(None, None, json=body)
        return prepared

    def _read_environment_once(self, session: requests.Session) -> None:
        """Settle now what requests otherwise reads from the environment on every request:
        proxies (and no_proxy), REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, and .netrc credentials.

        The answers depend only on the host, which never changes, and reading them scans all of
        os.environ twice per request: a third of the HTTP threads' CPU in a 32-way apply.
        """
        url = f"{self.endpoint}/api/domains/"
        settings = session.merge_environment_settings(url, {}, None, None, None)
        netrc = requests.utils.get_netrc_auth(url)
        session.trust_env = False
        session.proxies = settings["proxies"]
        session.verify = settings["verify"]
        if netrc:
            session.auth = netrc

    def get_domain(self, code: str) -> dict[str, Any]:
        """GET /api/domains/{code}, unwrapped from its `resources` envelope.

        An empty `resources` and a returned `code` other than the one asked for are errors.
        """
        response = self.request("GET", domain_code(code))
        try:
            resources = response.json()["resources"]
        except (ValueError, KeyError, TypeError):
            resources = None
        if resources == []:
            raise NoDomainReturnedError(code, response.status_code)
        resource = resources[0] if isinstance(resources, list) else None
        if not isinstance(resource, dict):
            raise UnexpectedBodyError(code, response.status_code)
        if "code" in resource and resource["code"] != code:
            raise WrongDomainReturnedError(code, response.status_code, str(resource["code"]))
        return resource

    def list_domains(
        self,
        *,
        query: str | None = None,
        per: int = 100,
        on_page: Callable[[int, int, int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Every domain the token sees (matching `query`): GET /api/domains page by page.

        Walks pages until `page >= total_pages`; `on_page(page, total_pages, domains so far)` is
        called after each. A domain seen twice (the list shifted during the walk) counts once.
        A walk whose pages disagree on `total_records`, or that collects another number of
        domains, saw the list change (pages shift, a domain can be skipped): it walks again, and
        raises ListChangedError after LIST_WALKS such walks.
        """
        for _ in range(LIST_WALKS):
            found, counts = self._walk(query, per, on_page)
            if set(counts) in ({None}, {len(found)}):
                return list(found.values())
        raise ListChangedError(
            LIST_WALKS, len(found), [n for n in dict.fromkeys(counts) if n is not None]
        )

    def _walk(
        self, query: str | None, per: int, on_page: Callable[[int, int, int], None] | None
    ) -> tuple[dict[str, dict[str, Any]], list[int | None]]:
        """One walk: the domains by code, and each page's `total_records` (None if not said)."""
        found: dict[str, dict[str, Any]] = {}
        counts: list[int | None] = []
        page = 1
        while True:
            params: dict[str, str | int] = {"page": page, "per": per}
            if query:
                params["query"] = query
            subject = f"domain list page {page}"
            response = self.request("GET", subject, path=LIST_PATH, params=params)
            resources, total_pages, total_records = _list_page(response, page)
            counts.append(total_records)
            for resource in resources:
                found.setdefault(resource["code"], resource)
            if on_page is not None:
                on_page(page, total_pages, len(found))
            if page >= total_pages:
                return found, counts
            if page >= LIST_PAGE_LIMIT:
                raise UnexpectedPageError(page, f"it claims more than {LIST_PAGE_LIMIT} pages")
            page += 1

    def update_domain(self, code: str, body: Mapping[str, Any]) -> None:
        """PUT /api/domains/{code}; any 2xx is success and its body is ignored."""
        self.request("PUT", domain_code(code), body)

    def request(
        self,
        method: str,
        code: str,
        body: Mapping[str, Any] | None = None,
        *,
        path: str | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> requests.Response:
        """Send one API call with the retry policy; return a 2xx response or raise a QboxError.

        `code` names what errors are about; the call goes to `path` (the domain's own by default).
        """
        path = path or f"/api/domains/{code}"
        url = f"{self.endpoint}{path}"
        throttle = self.throttle
        started = time.monotonic()
        queued = 0.0  # behind the shared Throttle: the fleet's waiting, not this call's retrying
        attempt = failures = 0
        progress = throttle.last_accepted
        while True:
            attempt += 1
            status: int | None = None
            retry_after: float | None = None
            response: requests.Response | None = None
            failure: requests.RequestException | None = None
            before = time.monotonic()
            sent_at = throttle.wait()
            queued += time.monotonic() - before
            try:
                session = self._session()
                prepared = self._prepared(session, method, path, params, body)
                response = session.send(prepared, timeout=self.timeout, allow_redirects=False)
                status = response.status_code
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            except requests.RequestException as exc:
                failure = exc
            total = time.monotonic() - started
            log.debug("%s %s -> %s (attempt %d)", method, url, status or type(failure), attempt)
            if status is not None and 200 <= status < 300:
                throttle.succeeded()
                return response  # type: ignore[return-value]
            # A 429 while other calls get through is the fleet's pace, not this call's failure.
            if status != 429 or throttle.last_accepted == progress:
                failures += 1
            progress = throttle.last_accepted
            elapsed = total - queued
            delay = retry_delay(self.retry, failures, status, retry_after, elapsed, random.random())
            if isinstance(failure, requests.exceptions.SSLError) or _unresolved(failure):
                delay = None  # no retry fixes a certificate or a misspelt host
            if status == 429 and delay is not None and total + delay > self.retry.max_throttled:
                delay = None
            if status == 429 and delay is not None:
                # Everyone waits what this call would have waited. A call that gives up holds
                # nobody back: the wait it refused would only stall the calls that can finish.
                throttle.refused_by_rate_limit(sent_at, delay)
            if delay is None:
                if failure is not None:
                    raise TransportError(
                        code,
                        self.endpoint,
                        _describe(failure, self.timeout[1], urlsplit(self.endpoint).netloc),
                        attempts=attempt,
                        elapsed=total,
                    ) from None
                assert response is not None
                budget = self.retry.max_elapsed
                too_long = retry_after is not None and elapsed + retry_after > budget
                wait = retry_after if too_long and status in RETRY_STATUSES else None
                raise _api_error(code, response, self._token, attempt, total, wait)
            if status != 429:
                self._sleep(delay)


def _list_page(
    response: requests.Response, page: int
) -> tuple[list[dict[str, Any]], int, int | None]:
    """The domains, `pagination.total_pages` and `total_records` (None when absent) of a list
    page; UnexpectedPageError if malformed."""
    try:
        payload = response.json()
    except ValueError:
        raise UnexpectedPageError(page, "the body is not JSON") from None
    resources = payload.get("resources") if isinstance(payload, dict) else None
    pagination = payload.get("pagination") if isinstance(payload, dict) else None
    if not isinstance(resources, list):
        raise UnexpectedPageError(page, 'it has no "resources" list')
    for index, item in enumerate(resources):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str) or not item["code"]:
            raise UnexpectedPageError(page, f'resources[{index}] is not a domain with a "code"')
    if not isinstance(pagination, dict):
        raise UnexpectedPageError(page, 'it has no "pagination" object')
    total_pages = pagination.get("total_pages")
    if isinstance(total_pages, bool) or not isinstance(total_pages, int) or total_pages < 0:
        raise UnexpectedPageError(page, "pagination.total_pages is not a whole number")
    echoed = pagination.get("page", page)
    if echoed != page:
        raise UnexpectedPageError(page, f"pagination.page is {echoed!r}, not the page asked for")
    total_records = pagination.get("total_records")
    if total_records is not None and (
        isinstance(total_records, bool) or not isinstance(total_records, int) or total_records < 0
    ):
        raise UnexpectedPageError(page, "pagination.total_records is not a whole number")
    return resources, total_pages, total_records


def _said(value: Any, token: str) -> str | None:
    # An API that echoes the token back must not get it into an error message.
    return None if value in (None, "") else str(value).replace(token, "<apiToken>")


def _reason(item: Any, token: str) -> FieldReason | None:
    """One item of an error's `errors` list as (field, description); None when it says nothing."""
    if isinstance(item, dict):
        field, text = (_said(item.get(key), token) for key in ("field", "description"))
    elif isinstance(item, str):
        field, text = None, _said(item, token)
    else:
        return None
    return None if field is None and text is None else (field, text)


def _api_error(
    code: str,
    response: requests.Response,
    token: str,
    attempts: int,
    elapsed: float,
    beyond_budget: float | None = None,
) -> ApiError:
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    message = _said(payload.get("message"), token) or ""
    listed = payload.get("errors")
    found = (_reason(item, token) for item in (listed if isinstance(listed, list) else []))
    reasons = [reason for reason in found if reason is not None]
    status = response.status_code
    if status == 422:
        return ApiValidationError(code, reasons, message)
    kind = ERRORS_BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(
        code,
        status,
        message,
        errors=reasons,
        attempts=attempts,
        elapsed=elapsed,
        retry_after=beyond_budget,
    )
