"""The one way this package talks to the Qboxmail Management API."""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from .errors import (
    ERRORS_BY_STATUS,
    ApiError,
    ApiValidationError,
    ConfigurationError,
    ServerError,
    TransportError,
    UnexpectedBodyError,
)

DEFAULT_ENDPOINT = "https://api.qboxmail.com"
SANDBOX_ENDPOINT = "https://sandbox.qboxmail.com"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

log = logging.getLogger("pulumi_qboxmail")


def _version() -> str:
    try:
        return metadata.version("pulumi-qboxmail")
    except metadata.PackageNotFoundError:
        return "0+unknown"


USER_AGENT = f"pulumi-qboxmail/{_version()} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts and total time both bound the retries."""

    max_attempts: int = 5
    max_elapsed: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 20.0


def retry_delay(
    policy: RetryPolicy,
    attempt: int,
    status: int | None,
    retry_after: float | None,
    elapsed: float,
    jitter: float,
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up.

    `attempt` is the number of attempts made so far, `status` None means no HTTP answer,
    `retry_after` is the server's Retry-After in seconds, `jitter` is in [0, 1).
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


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP date; None when absent or garbled."""
    if not value:
        return None
    try:
        return float(Retry().parse_retry_after(value))
    except InvalidHeader:
        return None


def check_endpoint(endpoint: str) -> str:
    """The endpoint as a bare base URL; ConfigurationError when unsafe or not a base URL."""
    parts = urlsplit(endpoint.strip())
    key = "qboxmail:endpoint"
    if "@" in parts.netloc:
        raise ConfigurationError(key, "must not contain credentials; the token goes in apiToken")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(key, f"{endpoint!r} is not an http(s) URL")
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(exc: requests.RequestException, read_timeout: float) -> str:
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
    ) -> None:
        if not token:
            raise ConfigurationError("qboxmail:apiToken", "is empty")
        self.endpoint = check_endpoint(endpoint)
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry or RetryPolicy()
        self._token = token
        self._sleep = sleep
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
        return session

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
        """GET /api/domains/{code}, unwrapped from its `resources` envelope."""
        response = self.request("GET", code)
        try:
            resource = response.json()["resources"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            resource = None
        if not isinstance(resource, dict):
            raise UnexpectedBodyError(code, response.status_code)
        return resource

    def update_domain(self, code: str, body: Mapping[str, Any]) -> None:
        """PUT /api/domains/{code}; any 2xx is success and its body is ignored."""
        self.request("PUT", code, body)

    def request(
        self, method: str, code: str, body: Mapping[str, Any] | None = None
    ) -> requests.Response:
        """Send one API call with the retry policy; return a 2xx response or raise a QboxError."""
        url = f"{self.endpoint}/api/domains/{code}"
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            status: int | None = None
            retry_after: float | None = None
            response: requests.Response | None = None
            failure: requests.RequestException | None = None
            try:
                response = self._session().request(
                    method, url, json=body, timeout=self.timeout, allow_redirects=False
                )
                status = response.status_code
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            except requests.RequestException as exc:
                failure = exc
            elapsed = time.monotonic() - started
            log.debug("%s %s -> %s (attempt %d)", method, url, status or type(failure), attempt)
            if status is not None and 200 <= status < 300:
                return response  # type: ignore[return-value]
            delay = retry_delay(self.retry, attempt, status, retry_after, elapsed, random.random())
            if isinstance(failure, requests.exceptions.SSLError):
                delay = None  # no retry fixes a certificate
            if delay is None:
                if failure is not None:
                    raise TransportError(
                        code,
                        self.endpoint,
                        _describe(failure, self.timeout[1]),
                        attempts=attempt,
                        elapsed=elapsed,
                    ) from None
                assert response is not None
                budget = self.retry.max_elapsed
                too_long = retry_after is not None and elapsed + retry_after > budget
                wait = retry_after if too_long and status in RETRY_STATUSES else None
                raise _api_error(code, response, attempt, elapsed, wait)
            self._sleep(delay)


def _api_error(
    code: str,
    response: requests.Response,
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
    message = str(payload.get("message") or "")
    status = response.status_code
    if status == 422:
        errors = payload.get("errors")
        pairs = [
            (str(item.get("field", "?")), str(item.get("description", "is not valid")))
            for item in (errors if isinstance(errors, list) else [])
            if isinstance(item, dict)
        ]
        return ApiValidationError(code, pairs, message)
    kind = ERRORS_BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(
        code, status, message, attempts=attempts, elapsed=elapsed, retry_after=beyond_budget
    )
