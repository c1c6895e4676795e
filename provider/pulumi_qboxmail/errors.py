"""Every failure this package reports, under one root, each with a fixed message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus

from pulumi.errors import RunError

from .model import FieldError

KNOBS: Mapping[str, str] = {
    "apiToken": "qboxmail:apiToken (or QBOXMAIL_API_TOKEN)",
    "endpoint": "qboxmail:endpoint",
}
"""How advice names the settings to check; a tool that knows where each came from passes its own
names to `render`."""


class QboxError(Exception):
    """Root of every error raised by pulumi_qboxmail."""

    def render(self, knobs: Mapping[str, str] = KNOBS) -> str:
        """The message, naming each setting it advises to check as `knobs` does."""
        return str(self)


class ConfigurationError(QboxError):
    """The provider's configuration (token, endpoint, timeouts) is missing or unusable."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(key, problem)
        self.key = key
        self.problem = problem

    def __str__(self) -> str:
        return f"qboxmail configuration {self.key}: {self.problem}"


class InvalidSettingsError(QboxError):
    """Inputs broke the schema's rules; raised only where no Pulumi check could catch them first."""

    def __init__(self, domain_code: str, errors: Sequence[FieldError]) -> None:
        super().__init__(domain_code, tuple(errors))
        self.domain_code = domain_code
        self.errors = tuple(errors)

    def __str__(self) -> str:
        return "\n".join(f"QboxDomainSettings {self.domain_code}: {e}" for e in self.errors)


# A RunError too: `pulumi preview` and `up` then show only the message, without a traceback.
class InvalidInputsError(QboxError, RunError):
    """A program gave a QboxDomainSettings resource inputs that break the schema's rules."""

    def __init__(self, resource_name: str, errors: Sequence[FieldError]) -> None:
        super().__init__(resource_name, tuple(errors))
        self.resource_name = resource_name
        self.errors = tuple(errors)

    def __str__(self) -> str:
        count = len(self.errors)
        head = f"QboxDomainSettings {self.resource_name!r} has {count} invalid input"
        return head + ("s:" if count != 1 else ":") + "".join(f"\n  {e}" for e in self.errors)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _status_text(status: int) -> str:
    phrase = _phrase(status)
    return f"HTTP {status} {phrase}" if phrase else f"HTTP {status}"


FieldReason = tuple[str | None, str | None]
"""One item of an API error's `errors` list: (field, description), either possibly absent."""

# Qboxmail's documented message for a status whose HTTP phrase says something else (NOTES.md).
_STATUS_WORDS = {422: "validation failed"}
_SHOWN_LENGTH = 300


def _one_line(text: str) -> str:
    # The API's text is shown as it came, but never as extra lines or a wall of text.
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHOWN_LENGTH else flat[: _SHOWN_LENGTH - 3] + "..."


def _restates_status(status: int, message: str) -> bool:
    said = message.strip().rstrip(".").lower()
    return said in (_phrase(status).lower(), _STATUS_WORDS.get(status))


class ApiError(QboxError):
    """Qboxmail answered, but not with success."""

    summary = "Qboxmail answered with an unexpected status"
    advice = "Check the endpoint and retry; report it if it persists."

    def __init__(
        self,
        domain_code: str,
        status: int,
        message: str = "",
        *,
        errors: Sequence[FieldReason] = (),
        attempts: int = 1,
        elapsed: float = 0.0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(domain_code, status, message)
        self.domain_code = domain_code
        self.status = status
        self.message = message
        self.errors = tuple(errors)
        self.attempts = attempts
        self.elapsed = elapsed
        self.retry_after = retry_after

    def _gave_up(self) -> str:
        text = ""
        if self.attempts > 1:
            text = f"; gave up after {self.attempts} attempts over {self.elapsed:.1f}s"
        if self.retry_after is not None:
            text += f"; Qboxmail asked to wait {self.retry_after:.0f}s, beyond the retry budget"
        return text

    def reasons(self) -> list[str]:
        """Qboxmail's own words, one line each: its message, then every field error."""
        # A message that only names the status ("Forbidden") would repeat our headline.
        said: list[str] = []
        if self.message and not _restates_status(self.status, self.message):
            said.append(f"Qboxmail says: {_one_line(self.message)}")
        for field, text in self.errors:
            if field:
                why = f": {_one_line(text)}" if text else ""
                said.append(f"Qboxmail rejected {_one_line(field)}{why}")
            elif text:
                said.append(f"Qboxmail says: {_one_line(text)}")
        prefix = f"QboxDomainSettings {self.domain_code}:"
        return [f"{prefix} {line} (HTTP {self.status})" for line in said]

    def __str__(self) -> str:
        return self.render()

    def render(self, knobs: Mapping[str, str] = KNOBS) -> str:
        head = (
            f"QboxDomainSettings {self.domain_code}: {self.summary} "
            f"({_status_text(self.status)}){self._gave_up()}. {self.advice.format_map(knobs)}"
        )
        return "\n".join([head, *self.reasons()])


class UnauthorizedError(ApiError):
    """401: the token is missing or wrong."""

    summary = "Qboxmail refused the API token"
    advice = "Check {apiToken}."


class UnexpectedBodyError(ApiError):
    """A success status whose body is not the documented `{"resources": [...]}` envelope."""

    summary = 'Qboxmail answered without the documented {"resources": [...]} envelope'
    advice = "Check that {endpoint} points at the Qboxmail API."


class NoDomainReturnedError(UnexpectedBodyError):
    """A success whose `resources` list is empty: no domain came back for the code asked for."""

    summary = "Qboxmail returned no domain for this code"
    advice = "Check domain_code; report it if the domain exists in the Qboxmail panel."


class WrongDomainReturnedError(UnexpectedBodyError):
    """A success that returned a domain other than the one asked for."""

    advice = "Check that {endpoint} points at the Qboxmail API; report it if it does."

    def __init__(self, domain_code: str, status: int, returned: str) -> None:
        super().__init__(domain_code, status)
        self.returned = returned
        self.summary = f"Qboxmail returned the domain {_one_line(returned)!r} instead"


class ForbiddenError(ApiError):
    """403: the token is valid but may not do this."""

    summary = "the API token is not allowed to manage this domain"
    advice = "Check the domain's plan and the permissions of the token's user."


class NotFoundError(ApiError):
    """404: no such domain, or not visible to this token."""

    summary = "no such domain, or it is not visible to this API token"
    advice = "Check domain_code and which Qboxmail account the token belongs to."


class ApiValidationError(ApiError):
    """422: Qboxmail rejected one or more fields; one line per field."""

    def __init__(self, domain_code: str, errors: Sequence[FieldReason], message: str = "") -> None:
        super().__init__(domain_code, 422, message, errors=errors)

    def __str__(self) -> str:
        if self.errors:
            return "\n".join(self.reasons())
        shown = _one_line(self.message) or "Validation failed"
        prefix = f"QboxDomainSettings {self.domain_code}:"
        return f"{prefix} Qboxmail rejected the request: {shown} (HTTP 422)"


class RateLimitedError(ApiError):
    """429 that outlasted the retry budget."""

    summary = "Qboxmail is rate limiting requests"
    advice = "Retry later, or run pulumi with a lower --parallel."


class ServerError(ApiError):
    """5xx that outlasted the retry budget."""

    summary = "Qboxmail answered with a server error"
    advice = "Retry later; updating settings is safe to repeat."


class TransportError(QboxError):
    """No HTTP answer at all: connection failed, dropped or timed out, after every retry."""

    def __init__(
        self, domain_code: str, endpoint: str, reason: str, *, attempts: int, elapsed: float
    ) -> None:
        super().__init__(domain_code, endpoint, reason)
        self.domain_code = domain_code
        self.endpoint = endpoint
        self.reason = reason
        self.attempts = attempts
        self.elapsed = elapsed

    def __str__(self) -> str:
        return self.render()

    def render(self, knobs: Mapping[str, str] = KNOBS) -> str:
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        return (
            f"QboxDomainSettings {self.domain_code}: no answer from {self.endpoint} "
            f"({self.reason}, no HTTP status); gave up after {tries} over {self.elapsed:.1f}s. "
            f"Check {knobs['endpoint']}, the network and the timeout settings."
        )


class UnexpectedPageError(QboxError):
    """A page of the domain list (`GET /api/domains`) without the documented shape."""

    def __init__(self, page: int, problem: str) -> None:
        super().__init__(page, problem)
        self.page = page
        self.problem = problem

    def __str__(self) -> str:
        return self.render()

    def render(self, knobs: Mapping[str, str] = KNOBS) -> str:
        return (
            f"Qboxmail answered page {self.page} of the domain list (GET /api/domains) with an "
            f"unexpected shape: {self.problem}. Check that {knobs['endpoint']} points at the "
            "Qboxmail API."
        )


class ListChangedError(QboxError):
    """The domain list kept changing while it was walked: what was collected is not the fleet."""

    def __init__(self, walks: int, collected: int, counted: Sequence[int]) -> None:
        super().__init__(walks, collected, tuple(counted))
        self.walks = walks
        self.collected = collected
        self.counted = tuple(counted)
        """Each count the last walk's pages gave, in order, without repeats."""

    def __str__(self) -> str:
        return (
            f"the domain list (GET /api/domains) changed while it was read: {self.walks} walks "
            f"through its pages, the last collected {self.collected} domains where its pages "
            f"counted {', then '.join(map(str, self.counted))} (pagination.total_records). "
            "Retry when no domain is being added or deleted."
        )


class OutputError(QboxError):
    """The export cannot write where it was told to; nothing was written."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.problem}; nothing was written"


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitedError,
}
