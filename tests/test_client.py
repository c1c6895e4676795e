"""Tier 2: the client against the emulator over real HTTP, and its retry policy as a table."""

from __future__ import annotations

import email.utils
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conftest import TOKEN
from pulumi_qboxmail import (
    ApiError,
    ApiValidationError,
    ConfigurationError,
    ForbiddenError,
    InvalidSettingsError,
    NotFoundError,
    QboxClient,
    RateLimitedError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from pulumi_qboxmail.client import USER_AGENT, parse_retry_after, retry_delay
from pulumi_qboxmail.emulator import Emulator

POLICY = RetryPolicy(max_attempts=5, max_elapsed=60.0, base_delay=0.5, max_delay=20.0)

# attempt, status, Retry-After, elapsed, jitter -> delay or None (give up)
RETRY_TABLE: list[tuple[int, int | None, float | None, float, float, float | None]] = [
    (1, None, None, 0.0, 0.0, 0.25),  # transport failure: retried with backoff
    (1, 500, None, 0.0, 1.0, 0.5),
    (2, 502, None, 0.0, 0.0, 0.5),
    (3, 503, None, 0.0, 0.5, 1.5),
    (4, 504, None, 0.0, 1.0, 4.0),
    (1, 429, 7.0, 0.0, 0.9, 7.0),  # Retry-After wins over backoff
    (1, 429, None, 0.0, 0.0, 0.25),
    (5, 503, None, 0.0, 0.0, None),  # attempts exhausted
    (2, 503, 30.0, 40.0, 0.0, None),  # the wait would cross the time budget
    (2, 503, None, 59.9, 0.0, None),
    (1, 401, None, 0.0, 0.0, None),  # never retried
    (1, 403, None, 0.0, 0.0, None),
    (1, 404, None, 0.0, 0.0, None),
    (1, 422, None, 0.0, 0.0, None),
    (1, 400, None, 0.0, 0.0, None),
]


@pytest.mark.parametrize(("attempt", "status", "after", "elapsed", "jitter", "delay"), RETRY_TABLE)
def test_retry_policy_table(
    attempt: int,
    status: int | None,
    after: float | None,
    elapsed: float,
    jitter: float,
    delay: float | None,
) -> None:
    assert retry_delay(POLICY, attempt, status, after, elapsed, jitter) == delay


def test_backoff_is_capped_by_max_delay() -> None:
    assert retry_delay(RetryPolicy(max_attempts=99, max_elapsed=999), 30, 503, None, 0, 1) == 20.0


def test_retry_after_is_parsed_from_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    in_five = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.0 <= (parse_retry_after(in_five) or 0) <= 5.0


@pytest.fixture
def client(emulator: Emulator, code: str) -> QboxClient:
    return QboxClient(TOKEN, emulator.url, retry=RetryPolicy(max_attempts=3, max_elapsed=5))


def test_get_domain_unwraps_the_resource(client: QboxClient, code: str) -> None:
    domain = client.get_domain(code)
    assert domain["code"] == code
    assert domain["antispam_level"] == 2


def test_update_sends_json_with_the_documented_headers(
    client: QboxClient, emulator: Emulator, code: str
) -> None:
    client.update_domain(code, {"antispam_level": 3})
    request = emulator.requests[-1]
    assert (request.method, request.path, request.body, request.token) == (
        "PUT",
        f"/api/domains/{code}",
        {"antispam_level": 3},
        "***",
    )
    session = client._session()
    assert session.headers["Accept"] == "application/json"
    assert session.headers["Content-Type"] == "application/json"
    assert session.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("pulumi-qboxmail/0.1.0 ")


NOT_CODES = [
    "../../other",
    "D123456789/../../other",
    "D123456789?x=1",
    "d123456789",
    "D12345678",
    "",
]


@pytest.mark.parametrize("method", ["get_domain", "update_domain"])
@pytest.mark.parametrize("bad", NOT_CODES)
def test_a_code_that_is_not_d_and_9_digits_is_refused_before_any_request(
    client: QboxClient, emulator: Emulator, code: str, method: str, bad: str
) -> None:
    call = client.get_domain if method == "get_domain" else lambda c: client.update_domain(c, {})
    with pytest.raises(InvalidSettingsError) as failure:
        call(bad)
    assert str(failure.value) == (
        f"QboxDomainSettings {bad}: domain_code: must be D followed by exactly 9 digits, "
        f'e.g. D123456789; got "{bad}"'
    )
    assert emulator.requests == []


STATUS_ERRORS: list[tuple[int, type[ApiError], str]] = [
    (401, UnauthorizedError, "QboxDomainSettings {code}: Qboxmail refused the API token (HTTP 401 Unauthorized). Check qboxmail:apiToken (or QBOXMAIL_API_TOKEN)."),
    (403, ForbiddenError, "QboxDomainSettings {code}: the API token is not allowed to manage this domain (HTTP 403 Forbidden). Check the domain's plan and the permissions of the token's user."),
    (404, NotFoundError, "QboxDomainSettings {code}: no such domain, or it is not visible to this API token (HTTP 404 Not Found). Check domain_code and which Qboxmail account the token belongs to."),
    (409, ApiError, "QboxDomainSettings {code}: Qboxmail answered with an unexpected status: Conflict (HTTP 409 Conflict). Check the endpoint and retry; report it if it persists."),
]  # fmt: skip


@pytest.mark.parametrize(("status", "kind", "text"), STATUS_ERRORS)
def test_non_retryable_status_is_one_request_and_a_clear_error(
    client: QboxClient, emulator: Emulator, code: str, status: int, kind: type, text: str
) -> None:
    emulator.fail_next(1, status, body={"message": "Conflict", "errors": []})
    with pytest.raises(kind) as failure:
        client.update_domain(code, {"antispam_level": 3})
    assert type(failure.value) is kind
    assert str(failure.value) == text.format(code=code)
    assert len(emulator.requests) == 1


def test_wrong_token_answers_401(emulator: Emulator, code: str) -> None:
    with pytest.raises(UnauthorizedError):
        QboxClient("wrong", emulator.url).get_domain(code)
    assert [r.token for r in emulator.requests] == ["<wrong>"]


def test_validation_error_lists_every_field(client: QboxClient, code: str) -> None:
    with pytest.raises(ApiValidationError) as failure:
        client.update_domain(code, {"antispam_level": 9, "plan": "gold"})
    assert failure.value.errors == (("antispam_level", "is not valid"), ("plan", "is not valid"))
    assert str(failure.value) == (
        f"QboxDomainSettings {code}: Qboxmail rejected antispam_level: is not valid (HTTP 422)\n"
        f"QboxDomainSettings {code}: Qboxmail rejected plan: is not valid (HTTP 422)"
    )


def test_429_is_retried_after_the_advertised_wait(
    client: QboxClient, emulator: Emulator, code: str
) -> None:
    emulator.fail_next(1, 429, headers={"Retry-After": "1"})
    started = time.monotonic()
    client.update_domain(code, {"antispam_level": 1})
    waited = time.monotonic() - started
    assert 1.0 <= waited < 3.0
    assert len(emulator.requests) == 2
    assert emulator.domains[code]["antispam_level"] == 1


def test_endless_503_is_given_up_within_the_bound(emulator: Emulator, code: str) -> None:
    client = QboxClient(
        TOKEN, emulator.url, retry=RetryPolicy(max_attempts=4, max_elapsed=3, base_delay=0.2)
    )
    emulator.fail_next(100, 503)
    started = time.monotonic()
    with pytest.raises(ServerError) as failure:
        client.update_domain(code, {"antispam_level": 1})
    assert time.monotonic() - started < 3
    assert len(emulator.requests) == 4
    message = str(failure.value)
    assert message.startswith(
        f"QboxDomainSettings {code}: Qboxmail answered with a server error "
        "(HTTP 503 Service Unavailable); gave up after 4 attempts over "
    )
    assert message.endswith("s. Retry later; updating settings is safe to repeat.")


def test_rate_limit_outlasting_the_budget_is_reported(emulator: Emulator, code: str) -> None:
    client = QboxClient(TOKEN, emulator.url, retry=RetryPolicy(max_attempts=3, max_elapsed=2))
    emulator.fail_next(1, 429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimitedError) as failure:
        client.update_domain(code, {"antispam_level": 1})
    assert len(emulator.requests) == 1
    assert str(failure.value) == (
        f"QboxDomainSettings {code}: Qboxmail is rate limiting requests "
        "(HTTP 429 Too Many Requests); Qboxmail asked to wait 30s, beyond the retry budget. "
        "Retry later, or run pulumi with a lower --parallel."
    )


def test_dropped_connection_is_retried(client: QboxClient, emulator: Emulator, code: str) -> None:
    emulator.drop_next(1)
    client.update_domain(code, {"antispam_level": 0})
    assert len(emulator.requests) == 2
    assert emulator.domains[code]["antispam_level"] == 0


def test_unreachable_endpoint_is_a_transport_error(code: str) -> None:
    client = QboxClient(
        TOKEN, "http://127.0.0.1:9", retry=RetryPolicy(max_attempts=2, base_delay=0.1)
    )
    with pytest.raises(TransportError) as failure:
        client.get_domain(code)
    text = str(failure.value)
    assert text.startswith(
        f"QboxDomainSettings {code}: no answer from http://127.0.0.1:9 (connection failed or "
        "was dropped, no HTTP status); gave up after 2 attempts over "
    )


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        ("http://api.qboxmail.com", "plain http is allowed only to loopback hosts; use https://api.qboxmail.com"),
        ("http://10.1.2.3:8080", "plain http is allowed only to loopback hosts; use https://10.1.2.3:8080"),
        ("https://api.qboxmail.com/api", "must be a base URL such as https://api.qboxmail.com, without path or query"),
        ("https://api.qboxmail.com?x=1", "must be a base URL such as https://api.qboxmail.com, without path or query"),
        ("https://user:pw@api.qboxmail.com", "must not contain credentials; the token goes in apiToken"),
        ("ftp://api.qboxmail.com", "'ftp://api.qboxmail.com' is not an http(s) URL"),
    ],
)  # fmt: skip
def test_unsafe_or_malformed_endpoint_is_refused_before_connecting(
    endpoint: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as failure:
        QboxClient(TOKEN, endpoint)
    assert str(failure.value) == f"qboxmail configuration qboxmail:endpoint: {problem}"


@pytest.mark.parametrize(
    ("endpoint", "normalized"),
    [
        ("https://sandbox.qboxmail.com/", "https://sandbox.qboxmail.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://127.0.0.5", "http://127.0.0.5"),
        ("http://[::1]:81/", "http://[::1]:81"),
    ],
)
def test_safe_endpoints_are_normalized(endpoint: str, normalized: str) -> None:
    assert QboxClient(TOKEN, endpoint).endpoint == normalized


def test_token_never_appears_in_repr_errors_or_pickles(emulator: Emulator, code: str) -> None:
    client = QboxClient(TOKEN, emulator.url, retry=RetryPolicy(max_attempts=2, base_delay=0.05))
    texts = [repr(client), str(client)]
    for status in (401, 403, 404, 422, 500):
        emulator.fail_next(2 if status == 500 else 1, status)
        try:
            client.update_domain(code, {"antispam_level": 1})
        except Exception as exc:
            texts += [str(exc), repr(exc), repr(exc.args)]
    assert len(texts) == 17
    assert not [text for text in texts if TOKEN in text]
    with pytest.raises(TypeError, match="never pickled"):
        import pickle

        pickle.dumps(client)


def test_many_threads_at_once_never_mix_bodies(emulator: Emulator, code: str) -> None:
    codes = [f"D2{n:08d}" for n in range(40)]
    for each in codes:
        emulator.add_domain(each)
    client = QboxClient(TOKEN, emulator.url)

    def put(index: int) -> None:
        client.update_domain(codes[index], {"max_email_accounts": index, "company": f"c{index}"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(len(codes))))
    seen: dict[str, Any] = {r.path.rsplit("/", 1)[1]: r.body for r in emulator.requests}
    assert seen == {c: {"max_email_accounts": i, "company": f"c{i}"} for i, c in enumerate(codes)}
