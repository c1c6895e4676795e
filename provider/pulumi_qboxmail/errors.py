"""Every failure this package reports, under one root, each with a fixed message."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus

from pulumi.errors import RunError

from .model import FieldError


class QboxError(Exception):
    """Root of every error raised by pulumi_qboxmail."""


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


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


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
        attempts: int = 1,
        elapsed: float = 0.0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(domain_code, status, message)
        self.domain_code = domain_code
        self.status = status
        self.message = message
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

    def __str__(self) -> str:
        detail = f": {self.message}" if self.message and type(self) is ApiError else ""
        return (
            f"QboxDomainSettings {self.domain_code}: {self.summary}{detail} "
            f"({_status_text(self.status)}){self._gave_up()}. {self.advice}"
        )


class UnauthorizedError(ApiError):
    """401: the token is missing or wrong."""

    summary = "Qboxmail refused the API token"
    advice = "Check qboxmail:apiToken (or QBOXMAIL_API_TOKEN)."


class UnexpectedBodyError(ApiError):
    """A success status whose body is not the documented `{"resources": [...]}` envelope."""

    summary = 'Qboxmail answered without the documented {"resources": [...]} envelope'
    advice = "Check that qboxmail:endpoint points at the Qboxmail API."


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

    def __init__(
        self, domain_code: str, errors: Sequence[tuple[str, str]], message: str = ""
    ) -> None:
        super().__init__(domain_code, 422, message)
        self.errors = tuple(errors)

    def __str__(self) -> str:
        prefix = f"QboxDomainSettings {self.domain_code}: Qboxmail rejected"
        if not self.errors:
            return f"{prefix} the request: {self.message or 'Validation failed'} (HTTP 422)"
        return "\n".join(f"{prefix} {field}: {text} (HTTP 422)" for field, text in self.errors)


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
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        return (
            f"QboxDomainSettings {self.domain_code}: no answer from {self.endpoint} "
            f"({self.reason}, no HTTP status); gave up after {tries} over {self.elapsed:.1f}s. "
            "Check qboxmail:endpoint, the network and the timeout settings."
        )


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitedError,
}
