"""Manage Qboxmail domain settings as code with Pulumi."""

from .claims import Claims
from .client import DEFAULT_ENDPOINT, SANDBOX_ENDPOINT, QboxClient, RetryPolicy
from .dynamic.resource import QboxDomainSettings, QboxDomainSettingsArgs
from .errors import (
    ApiError,
    ApiValidationError,
    ConfigurationError,
    FieldError,
    ForbiddenError,
    InvalidInputsError,
    InvalidSettingsError,
    NoDomainReturnedError,
    NotFoundError,
    OutputError,
    QboxError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnauthorizedError,
    UnexpectedBodyError,
    UnexpectedPageError,
    WrongDomainReturnedError,
)
from .model import DomainSettings, validate
from .provider import QboxDomainSettingsProvider

__all__ = [
    "DEFAULT_ENDPOINT",
    "SANDBOX_ENDPOINT",
    "ApiError",
    "ApiValidationError",
    "Claims",
    "ConfigurationError",
    "DomainSettings",
    "FieldError",
    "ForbiddenError",
    "InvalidInputsError",
    "InvalidSettingsError",
    "NoDomainReturnedError",
    "NotFoundError",
    "OutputError",
    "QboxClient",
    "QboxDomainSettings",
    "QboxDomainSettingsArgs",
    "QboxDomainSettingsProvider",
    "QboxError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "UnauthorizedError",
    "UnexpectedBodyError",
    "UnexpectedPageError",
    "WrongDomainReturnedError",
    "validate",
]
