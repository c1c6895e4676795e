"""Tier 2: the client against the emulator over real HTTP, and its retry policy as a table."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

import pytest
import requests

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
from pulumi_qboxmail.client import Throttle, parse_retry_after, retry_delay, throttled_rate
from pulumi_qboxmail.emulator import Emulator
from pulumi_qboxmail.errors import (
    NoDomainReturnedError,
    UnexpectedBodyError,
    UnexpectedPageError,
    WrongDomainReturnedError,
)

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


@pytest.mark.parametrize(
    ("resources", "kind"),
    [([], NoDomainReturnedError), ([{"code": "D999999997"}], WrongDomainReturnedError), ([{"code": None}], WrongDomainReturnedError), ({"code": "x"}, UnexpectedBodyError), ([[]], UnexpectedBodyError)],
    ids=["empty", "another-code", "null-code", "not-a-list", "not-an-object"],
)  # fmt: skip
def test_get_domain_refuses_an_answer_that_is_not_the_domain_asked_for(
    client: QboxClient, emulator: Emulator, code: str, resources: Any, kind: type
) -> None:
    emulator.fail_next(1, 200, body={"resources": resources, "pagination": {}})
    with pytest.raises(kind) as failure:
        client.get_domain(code)
    assert type(failure.value) is kind
    assert len(emulator.requests) == 1


def test_get_domain_without_a_code_in_the_answer_is_accepted(
    client: QboxClient, emulator: Emulator, code: str
) -> None:
    emulator.fail_next(1, 200, body={"resources": [{"antispam_level": 1}], "pagination": {}})
    assert client.get_domain(code) == {"antispam_level": 1}


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
    received = {k.lower(): v for k, v in request.headers.items()}
    assert received["accept"] == "application/json"
    assert received["content-type"] == "application/json"
    installed = metadata.version("pulumi-qboxmail")
    assert (
        received["user-agent"]
        == f"pulumi-qboxmail/{installed} python-requests/{requests.__version__}"
    )
    assert "x-api-token" not in received  # the log shows it only masked, as `token`


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
    (409, ApiError, "QboxDomainSettings {code}: Qboxmail answered with an unexpected status (HTTP 409 Conflict). Check the endpoint and retry; report it if it persists."),
]  # fmt: skip


@pytest.mark.parametrize(("status", "kind", "text"), STATUS_ERRORS)
def test_non_retryable_status_is_one_request_and_a_clear_error(
    client: QboxClient, emulator: Emulator, code: str, status: int, kind: type, text: str
) -> None:
    emulator.fail_next(1, status)  # the documented body, whose message only names the status
    with pytest.raises(kind) as failure:
        client.update_domain(code, {"antispam_level": 3})
    assert type(failure.value) is kind
    assert str(failure.value) == text.format(code=code)
    assert len(emulator.requests) == 1


FORBIDDEN = "QboxDomainSettings {code}: the API token is not allowed to manage this domain (HTTP 403 Forbidden). Check the domain's plan and the permissions of the token's user."
BAD_REQUEST = "QboxDomainSettings {code}: Qboxmail answered with an unexpected status (HTTP 400 Bad Request). Check the endpoint and retry; report it if it persists."
# body of the answer -> every line of the error: ours first, then Qboxmail's own words
API_REASONS: list[tuple[str, int, Any, list[str]]] = [
    ("403-field-error", 403, {"message": "Forbidden", "errors": [{"field": "catch_all_enabled", "description": "is available only for non trial users"}]},
     [FORBIDDEN, "QboxDomainSettings {code}: Qboxmail rejected catch_all_enabled: is available only for non trial users (HTTP 403)"]),
    ("403-message", 403, {"message": "A billing profile is required", "errors": []},
     [FORBIDDEN, "QboxDomainSettings {code}: Qboxmail says: A billing profile is required (HTTP 403)"]),
    ("400-errors", 400, {"message": "Bad request", "errors": [{"field": "allow_nets", "description": "must be an array"}, {"field": "plan", "description": "is not valid"}]},
     [BAD_REQUEST, "QboxDomainSettings {code}: Qboxmail rejected allow_nets: must be an array (HTTP 400)", "QboxDomainSettings {code}: Qboxmail rejected plan: is not valid (HTTP 400)"]),
    ("null-field", 400, {"message": None, "errors": [{"field": None, "description": "body is not valid JSON"}, {"field": "plan", "description": None}, {"field": None}]},
     [BAD_REQUEST, "QboxDomainSettings {code}: Qboxmail says: body is not valid JSON (HTTP 400)", "QboxDomainSettings {code}: Qboxmail rejected plan (HTTP 400)"]),
    ("multi-line-message", 403, {"message": "Plan limit reached.\nUpgrade\r\nto continue", "errors": "not a list"},
     [FORBIDDEN, "QboxDomainSettings {code}: Qboxmail says: Plan limit reached. Upgrade to continue (HTTP 403)"]),
    ("422-message-and-fields", 422, {"message": "Domain is locked", "errors": [{"field": "plan", "description": "is not valid"}]},
     ["QboxDomainSettings {code}: Qboxmail says: Domain is locked (HTTP 422)", "QboxDomainSettings {code}: Qboxmail rejected plan: is not valid (HTTP 422)"]),
    ("long-message", 403, {"message": "x" * 1000},
     [FORBIDDEN, "QboxDomainSettings {code}: Qboxmail says: " + "x" * 297 + "... (HTTP 403)"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "body", "lines"), [pytest.param(*row[1:], id=row[0]) for row in API_REASONS]
)
def test_every_error_keeps_qboxmails_message_and_each_field_error_one_line_each(
    client: QboxClient, emulator: Emulator, code: str, status: int, body: Any, lines: list[str]
) -> None:
    emulator.fail_next(1, status, body=body)
    with pytest.raises(ApiError) as failure:
        client.update_domain(code, {"antispam_level": 3})
    assert str(failure.value).split("\n") == [line.format(code=code) for line in lines]
    assert len(emulator.requests) == 1


def test_a_server_error_that_outlasts_the_retries_keeps_the_last_answers_message(
    emulator: Emulator, code: str
) -> None:
    client = QboxClient(TOKEN, emulator.url, retry=RetryPolicy(max_attempts=2, base_delay=0.05))
    emulator.fail_next(1, 503, body={"message": "Overloaded", "errors": []})
    emulator.fail_next(1, 503, body={"message": "Maintenance until 14:00 UTC", "errors": []})
    with pytest.raises(ServerError) as failure:
        client.update_domain(code, {"antispam_level": 3})
    lines = str(failure.value).split("\n")
    assert lines[0].startswith(
        f"QboxDomainSettings {code}: Qboxmail answered with a server error (HTTP 503 Service Unavailable); gave up after 2 attempts over "
    )
    assert lines[1:] == [
        f"QboxDomainSettings {code}: Qboxmail says: Maintenance until 14:00 UTC (HTTP 503)"
    ]
    assert len(emulator.requests) == 2


def test_a_token_the_api_echoes_back_is_hidden_in_the_error(
    client: QboxClient, emulator: Emulator, code: str
) -> None:
    body = {
        "message": f"token {TOKEN} is suspended",
        "errors": [{"field": TOKEN, "description": TOKEN}],
    }
    emulator.fail_next(1, 403, body=body)
    with pytest.raises(ForbiddenError) as failure:
        client.update_domain(code, {"antispam_level": 3})
    assert str(failure.value).split("\n")[1:] == [
        f"QboxDomainSettings {code}: Qboxmail says: token <apiToken> is suspended (HTTP 403)",
        f"QboxDomainSettings {code}: Qboxmail rejected <apiToken>: <apiToken> (HTTP 403)",
    ]


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


def test_a_host_that_does_not_resolve_fails_at_once_saying_so() -> None:
    client = QboxClient(TOKEN, "https://api.qboxmail.invalid", retry=RetryPolicy(max_attempts=5))
    with pytest.raises(TransportError) as failure:
        client.get_domain("D123456789")
    assert str(failure.value).startswith(
        "QboxDomainSettings D123456789: no answer from https://api.qboxmail.invalid (host "
        "api.qboxmail.invalid not found (DNS), no HTTP status); gave up after 1 attempt over "
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


LISTED = [f"D30000000{n}" for n in range(7)]


@pytest.fixture(scope="module")
def listed() -> Iterator[Emulator]:
    """An emulator of its own holding exactly the seven LISTED domains."""
    emulator = Emulator(token=TOKEN, domains=LISTED)
    with emulator:
        yield emulator


@pytest.fixture
def list_client(listed: Emulator) -> QboxClient:
    listed.clear_faults()
    listed.clear_log()
    return QboxClient(TOKEN, listed.url, retry=RetryPolicy(max_attempts=3, base_delay=0.05))


def test_list_walks_every_page_once_until_the_last(
    list_client: QboxClient, listed: Emulator
) -> None:
    seen: list[tuple[int, int, int]] = []
    domains = list_client.list_domains(per=3, on_page=lambda *page: seen.append(page))
    assert [d["code"] for d in domains] == LISTED
    assert domains[0] == list_client.get_domain(LISTED[0])
    assert seen == [(1, 3, 3), (2, 3, 6), (3, 3, 7)]
    assert [(r.method, r.path, r.token) for r in listed.requests[:3]] == [
        ("GET", f"/api/domains?page={page}&per=3", "***") for page in (1, 2, 3)
    ]


def test_list_sends_the_query_and_stops_at_an_empty_answer(
    list_client: QboxClient, listed: Emulator
) -> None:
    assert [d["code"] for d in list_client.list_domains(query="0000004")] == [LISTED[4]]
    assert list_client.list_domains(query="no such text") == []
    assert [r.path for r in listed.requests] == [
        "/api/domains?page=1&per=100&query=0000004",
        "/api/domains?page=1&per=100&query=no+such+text",
    ]


def test_list_retries_a_failed_page_and_counts_each_domain_once(
    list_client: QboxClient, listed: Emulator
) -> None:
    listed.fail_next(1, 503)
    assert [d["code"] for d in list_client.list_domains(per=4)] == LISTED
    assert [r.path for r in listed.requests] == [
        "/api/domains?page=1&per=4",
        "/api/domains?page=1&per=4",
        "/api/domains?page=2&per=4",
    ]


def test_list_with_a_refused_token_is_one_request_and_names_the_page(listed: Emulator) -> None:
    listed.clear_log()
    with pytest.raises(UnauthorizedError) as failure:
        QboxClient("wrong", listed.url).list_domains()
    assert str(failure.value) == (
        "QboxDomainSettings domain list page 1: Qboxmail refused the API token "
        "(HTTP 401 Unauthorized). Check qboxmail:apiToken (or QBOXMAIL_API_TOKEN)."
    )
    assert len(listed.requests) == 1


PAGE = {"resources": [{"code": "D300000000"}], "pagination": {"page": 1, "total_pages": 1}}
BAD_PAGES: list[tuple[Any, str]] = [
    ("<html>maintenance</html>", "the body is not JSON"),
    ([PAGE], 'it has no "resources" list'),
    ({"resources": {"code": "D300000000"}, "pagination": PAGE["pagination"]}, 'it has no "resources" list'),
    ({**PAGE, "resources": [{"code": "D300000000"}, {"name": "x.example"}]}, 'resources[1] is not a domain with a "code"'),
    ({**PAGE, "resources": ["D300000000"]}, 'resources[0] is not a domain with a "code"'),
    ({**PAGE, "resources": [{"code": ""}]}, 'resources[0] is not a domain with a "code"'),
    ({"resources": []}, 'it has no "pagination" object'),
    ({**PAGE, "pagination": {"page": 1}}, "pagination.total_pages is not a whole number"),
    ({**PAGE, "pagination": {"page": 1, "total_pages": "2"}}, "pagination.total_pages is not a whole number"),
    ({**PAGE, "pagination": {"page": 1, "total_pages": True}}, "pagination.total_pages is not a whole number"),
    ({**PAGE, "pagination": {"page": 1, "total_pages": -1}}, "pagination.total_pages is not a whole number"),
    ({**PAGE, "pagination": {"page": 2, "total_pages": 3}}, "pagination.page is 2, not the page asked for"),
    ({**PAGE, "pagination": {"page": 1, "total_pages": 1, "total_records": "1"}}, "pagination.total_records is not a whole number"),
    ({**PAGE, "pagination": {"page": 1, "total_pages": 1, "total_records": -1}}, "pagination.total_records is not a whole number"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "problem"), BAD_PAGES)
def test_a_list_page_of_unexpected_shape_is_one_clear_error(
    list_client: QboxClient, listed: Emulator, body: Any, problem: str
) -> None:
    listed.fail_next(1, 200, body=body)
    with pytest.raises(UnexpectedPageError) as failure:
        list_client.list_domains()
    assert str(failure.value) == (
        "Qboxmail answered page 1 of the domain list (GET /api/domains) with an unexpected "
        f"shape: {problem}. Check that qboxmail:endpoint points at the Qboxmail API."
    )
    assert len(listed.requests) == 1


def test_a_list_that_never_ends_is_cut_at_the_page_limit(
    list_client: QboxClient, listed: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pulumi_qboxmail.client.LIST_PAGE_LIMIT", 3)
    for page in (1, 2, 3):
        listed.fail_next(
            1, 200, body={"resources": [], "pagination": {"page": page, "total_pages": page + 1}}
        )
    with pytest.raises(UnexpectedPageError, match="it claims more than 3 pages"):
        list_client.list_domains()
    assert len(listed.requests) == 3


# ---- the fleet's shared back-off (Throttle) ------------------------------------------------------
# accepted per second when refused, seconds since the pause ended -> allowed rate (None: unpaced)
RATE_TABLE: list[tuple[float, float, float | None]] = [
    (10.0, 0.0, 7.0),  # down to 0.7x what Qboxmail accepted
    (10.0, 1.0, 9.62),  # recovering quickly at first...
    (10.0, 2.0, 10.0),  # ...back at the accepted rate at the knee...
    (10.0, 3.0, 10.375),  # ...probing above it slowly...
    (10.0, 4.0, 13.0),  # ...then faster
    (10.0, 7.8, None),  # 8x the accepted rate: pacing is lifted
    (0.0, 0.0, None),  # nothing accepted: nothing to pace to, only the pause holds
    (2.0, 0.0, 1.4),  # scale-free: the same curve at any rate
]


@pytest.mark.parametrize(("accepted", "since", "rate"), RATE_TABLE)
def test_throttled_rate_table(accepted: float, since: float, rate: float | None) -> None:
    found = throttled_rate(accepted, since)
    assert found == (None if rate is None else pytest.approx(rate, abs=0.01))


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_throttle_pauses_every_caller_then_paces_them_and_ignores_stale_refusals() -> None:
    clock = FakeClock()
    throttle = Throttle(clock)
    assert throttle.wait(clock.sleep) == 100.0  # unthrottled: no wait at all
    for _ in range(10):
        throttle.succeeded()
    sent = throttle.wait(clock.sleep)
    throttle.refused_by_rate_limit(sent, 1.0)  # 10 accepted in the last second: pace at 7/s
    # Answers to requests sent before that slow-down say nothing new: no further slow-down.
    throttle.refused_by_rate_limit(sent - 0.5, 0.0)
    starts = [throttle.wait(clock.sleep) for _ in range(3)]
    assert starts[0] == 101.0  # nobody before the Retry-After has passed
    assert starts[1] - starts[0] == pytest.approx(1 / 7)
    assert starts[2] - starts[1] == pytest.approx(1 / throttled_rate(10, 1 / 7), rel=1e-3)


def test_one_429_pauses_the_other_clients_of_the_process_until_retry_after(
    code: str,
) -> None:
    # Two clients to one endpoint, as two providers of one plugin process: one back-off.
    with Emulator(token=TOKEN, domains=[code, "D100000002"]) as url:
        server = Emulator  # for the type checker below
        del server
    emulator = Emulator(token=TOKEN, domains=[code, "D100000002"])
    with emulator as url:
        first, second = QboxClient(TOKEN, url), QboxClient(TOKEN, url)
        assert first.throttle is second.throttle
        emulator.fail_next(1, 429, headers={"Retry-After": "1"})
        with ThreadPoolExecutor(1) as pool:
            refused = pool.submit(first.update_domain, code, {"antispam_level": 1})
            while not emulator.requests:
                time.sleep(0.01)
            time.sleep(0.1)  # the 429 is in: the pause is set
            second.update_domain("D100000002", {"antispam_level": 3})
            refused.result()
    at = [r.at for r in emulator.requests]
    assert len(at) == 3
    assert min(at[1:]) - at[0] >= 1.0  # neither the retry nor the other client's first request
    assert emulator.domains[code]["antispam_level"] == 1
    assert emulator.domains["D100000002"]["antispam_level"] == 3


def test_a_rate_limited_fleet_finishes_though_each_call_may_fail_only_twice() -> None:
    codes = [f"D2000000{i:02d}" for i in range(30)]
    emulator = Emulator(token=TOKEN, domains=codes)
    emulator.rate_limit = 10
    with emulator as url:
        client = QboxClient(TOKEN, url, retry=RetryPolicy(max_attempts=2))
        with ThreadPoolExecutor(30) as pool:
            list(pool.map(lambda c: client.update_domain(c, {"antispam_level": 0}), codes))
    assert emulator.refused > 0  # the limit was met, and calls were refused more than once
    assert all(emulator.domains[c]["antispam_level"] == 0 for c in codes)
    assert len(emulator.requests) - emulator.refused == len(codes)  # one accepted PUT each


def test_a_429_while_other_calls_succeed_does_not_use_up_the_calls_attempts(code: str) -> None:
    emulator = Emulator(token=TOKEN, domains=[code, "D100000002"])
    with emulator as url:
        client = QboxClient(TOKEN, url, retry=RetryPolicy(max_attempts=1, base_delay=0.1))
        emulator.slow_next(1, 0.3)
        emulator.fail_next(1, 429)  # the first request: refused, but only after the second's 204
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(client.update_domain, code, {"antispam_level": 1})
            while not emulator.requests:
                time.sleep(0.01)
            client.update_domain("D100000002", {"antispam_level": 1})
            slow.result()  # with one attempt allowed, only the fleet's progress let it retry
    assert [r.path for r in emulator.requests] == [
        f"/api/domains/{code}",
        "/api/domains/D100000002",
        f"/api/domains/{code}",
    ]


def test_an_api_that_refuses_everything_still_ends_after_max_attempts(code: str) -> None:
    emulator = Emulator(token=TOKEN, domains=[code])
    with emulator as url:
        client = QboxClient(TOKEN, url, retry=RetryPolicy(max_attempts=3, base_delay=0.1))
        emulator.fail_next(1000, 429)
        with ThreadPoolExecutor(4) as pool:
            calls = [pool.submit(client.update_domain, code, {}) for _ in range(4)]
            messages = []
            for call in calls:
                with pytest.raises(RateLimitedError) as failure:
                    call.result()
                messages.append(str(failure.value))
    assert len(emulator.requests) == 12
    for message in messages:
        assert message.startswith(
            f"QboxDomainSettings {code}: Qboxmail is rate limiting requests "
            "(HTTP 429 Too Many Requests); gave up after 3 attempts over "
        )


def test_the_hard_ceiling_ends_a_call_that_the_fleet_keeps_queued(code: str) -> None:
    emulator = Emulator(token=TOKEN, domains=[code])
    with emulator as url:
        policy = RetryPolicy(max_attempts=50, max_elapsed=60, max_throttled=1.5)
        client = QboxClient(TOKEN, url, retry=policy)
        emulator.fail_next(1000, 429, headers={"Retry-After": "1"})
        with pytest.raises(RateLimitedError, match=r"gave up after 2 attempts over 1\.\ds\. "):
            client.update_domain(code, {})
    assert len(emulator.requests) == 2
