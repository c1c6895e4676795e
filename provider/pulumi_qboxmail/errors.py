"""Every failure this package reports, as data: each face renders it in its own `Names`.

`str()` of any of them is its text in Python's names (the dynamic face's, which are the API's);
the native face calls `render` with its own. Our fixed texts name the resource as `{resource}`
and a setting as `{<api name>}`; what a user or Qboxmail wrote is never such a template.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

from pulumi.errors import RunError

from .naming import PYTHON, Names

SECRET = "[secret]"
"""What a message shows in place of a value the user or the schema marked secret."""


def shown(value: Any) -> str:
    """A rejected value as a message may show it, compactly; never called for a secret one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = f"a {type(value).__name__} that cannot be shown"
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a value, or with one item of a list value."""

    reason: str
    """The rule's words, a template in our names (see the module docstring)."""
    got: str | None = None
    """The value as it may be shown: `shown(value)`, `SECRET`, or None to say nothing of it."""
    detail: str = ""
    """Words drawn from the value (a parser's complaint, a suggestion): shown only with it."""
    item: int | None = None
    """The index of the bad item, for a list."""
    literal: bool = False
    """The reason is text as it is, maybe holding a user's words: never filled in as a template."""

    def masked(self, got: str | None) -> Problem:
        """This problem with nothing of the value shown but `got`."""
        return replace(self, got=got, detail="")

    def render(self, names: Names) -> str:
        text = (self.reason if self.literal else names.say(self.reason)) + self.detail
        if self.item is not None:
            shown_item = "" if self.got is None else f" ({self.got})"
            return f"item {self.item}{shown_item} {text}"
        return text if self.got is None else f"{text}; got {self.got}"


class FieldError:
    """One bad input: the field (an API name, or a name as the user wrote it) and its problems.

    `FieldError(field, "text")` is a problem in words alone, shown as they are. Two failures are
    equal when they say the same about the same field.
    """

    __slots__ = ("field", "problems")

    def __init__(self, field: str, problems: str | Iterable[Problem]) -> None:
        self.field = field
        if isinstance(problems, str):
            problems = [Problem(problems, literal=True)]
        self.problems = tuple(problems)

    def masked(self, got: str | None) -> FieldError:
        """This failure with nothing of the value shown but `got` (`SECRET`, or None)."""
        return FieldError(self.field, (p.masked(got) for p in self.problems))

    def render(self, names: Names = PYTHON) -> str:
        """What is wrong, in a face's names, without the field's name."""
        return "; ".join(problem.render(names) for problem in self.problems)

    @property
    def message(self) -> str:
        return self.render(PYTHON)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldError):
            return NotImplemented
        return (self.field, self.message) == (other.field, other.message)

    def __hash__(self) -> int:
        return hash((self.field, self.message))


class QboxError(Exception):
    """Root of every error raised by pulumi_qboxmail."""

    def render(self, names: Names = PYTHON) -> str:
        """The message in a face's names; `str()` is Python's."""
        return super().__str__()

    def __str__(self) -> str:
        return self.render(PYTHON)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass's own __str__ would be what Python shows, never what another face renders.
        if "__str__" in vars(cls):
            raise TypeError(f"{cls.__name__} must say its message in render(names), not __str__")


class ConfigurationError(QboxError):
    """The provider's configuration (token, endpoint, timeouts) is missing or unusable."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(key, problem)
        self.key = key
        self.problem = problem

    def render(self, names: Names = PYTHON) -> str:
        return f"qboxmail configuration {self.key}: {self.problem}"


class InvalidSettingsError(QboxError):
    """Inputs broke the schema's rules; raised only where no Pulumi check could catch them first."""

    def __init__(self, domain_code: str, errors: Sequence[FieldError]) -> None:
        super().__init__(domain_code, tuple(errors))
        self.domain_code = domain_code
        self.errors = tuple(errors)

    def render(self, names: Names = PYTHON) -> str:
        return "\n".join(
            f"{names.resource} {self.domain_code}: {names.field(e.field)}: {e.render(names)}"
            for e in self.errors
        )


# A RunError too: `pulumi preview` and `up` then show only the message, without a traceback.
class InvalidInputsError(QboxError, RunError):
    """A program gave the dynamic resource inputs that break the schema's rules."""

    def __init__(self, resource_name: str, errors: Sequence[FieldError]) -> None:
        super().__init__(resource_name, tuple(errors))
        self.resource_name = resource_name
        self.errors = tuple(errors)

    def render(self, names: Names = PYTHON) -> str:
        count = len(self.errors)
        head = f"{names.resource} {self.resource_name!r} has {count} invalid input"
        lines = (f"\n  {names.field(e.field)}: {e.render(names)}" for e in self.errors)
        return head + ("s:" if count != 1 else ":") + "".join(lines)


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

    def reasons(self, names: Names = PYTHON) -> list[str]:
        """Qboxmail's own words, one line each: its message, then every field error."""
        # A message that only names the status ("Forbidden") would repeat our headline.
        said: list[str] = []
        if self.message and not _restates_status(self.status, self.message):
            said.append(f"Qboxmail says: {_one_line(self.message)}")
        for field, text in self.errors:
            if field:
                why = f": {_one_line(text)}" if text else ""
                said.append(f"Qboxmail rejected {_one_line(names.field(field))}{why}")
            elif text:
                said.append(f"Qboxmail says: {_one_line(text)}")
        prefix = f"{names.resource} {self.domain_code}:"
        return [f"{prefix} {line} (HTTP {self.status})" for line in said]

    def render(self, names: Names = PYTHON) -> str:
        head = (
            f"{names.resource} {self.domain_code}: {self._summary(names)} "
            f"({_status_text(self.status)}){self._gave_up()}. {names.say(self.advice)}"
        )
        return "\n".join([head, *self.reasons(names)])

    def _summary(self, names: Names) -> str:
        return names.say(self.summary)


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
    advice = "Check {domain_code}; report it if the domain exists in the Qboxmail panel."


class WrongDomainReturnedError(UnexpectedBodyError):
    """A success that returned a domain other than the one asked for."""

    advice = "Check that {endpoint} points at the Qboxmail API; report it if it does."

    def __init__(self, domain_code: str, status: int, returned: str) -> None:
        super().__init__(domain_code, status)
        self.returned = returned

    def _summary(self, names: Names) -> str:
        return f"Qboxmail returned the domain {_one_line(self.returned)!r} instead"


class ForbiddenError(ApiError):
    """403: the token is valid but may not do this."""

    summary = "the API token is not allowed to manage this domain"
    advice = "Check the domain's plan and the permissions of the token's user."


class NotFoundError(ApiError):
    """404: no such domain, or not visible to this token."""

    summary = "no such domain, or it is not visible to this API token"
    advice = "Check {domain_code} and which Qboxmail account the token belongs to."


class ApiValidationError(ApiError):
    """422: Qboxmail rejected one or more fields; one line per field."""

    def __init__(self, domain_code: str, errors: Sequence[FieldReason], message: str = "") -> None:
        super().__init__(domain_code, 422, message, errors=errors)

    def render(self, names: Names = PYTHON) -> str:
        if self.errors:
            return "\n".join(self.reasons(names))
        said = _one_line(self.message) or "Validation failed"
        return (
            f"{names.resource} {self.domain_code}: Qboxmail rejected the request: {said} (HTTP 422)"
        )


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

    def render(self, names: Names = PYTHON) -> str:
        tries = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        return (
            f"{names.resource} {self.domain_code}: no answer from {self.endpoint} "
            f"({self.reason}, no HTTP status); gave up after {tries} over {self.elapsed:.1f}s. "
            + names.say("Check {endpoint}, the network and the timeout settings.")
        )


class UnexpectedPageError(QboxError):
    """A page of the domain list (`GET /api/domains`) without the documented shape."""

    def __init__(self, page: int, problem: str) -> None:
        super().__init__(page, problem)
        self.page = page
        self.problem = problem

    def render(self, names: Names = PYTHON) -> str:
        return (
            f"Qboxmail answered page {self.page} of the domain list (GET /api/domains) with an "
            f"unexpected shape: {self.problem}. "
            + names.say("Check that {endpoint} points at the Qboxmail API.")
        )


class ListChangedError(QboxError):
    """The domain list kept changing while it was walked: what was collected is not the fleet."""

    def __init__(self, walks: int, collected: int, counted: Sequence[int]) -> None:
        super().__init__(walks, collected, tuple(counted))
        self.walks = walks
        self.collected = collected
        self.counted = tuple(counted)
        """Each count the last walk's pages gave, in order, without repeats."""

    def render(self, names: Names = PYTHON) -> str:
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

    def render(self, names: Names = PYTHON) -> str:
        return f"cannot write {self.path}: {self.problem}; nothing was written"


ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    429: RateLimitedError,
}
