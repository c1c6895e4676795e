"""Manage Qboxmail domain settings as code with Pulumi."""

from .client import DEFAULT_ENDPOINT, SANDBOX_ENDPOINT, QboxClient, RetryPolicy
from .errors import (
    ApiError,
    ApiValidationError,
    ConfigurationError,
    ForbiddenError,
    InvalidInputsError,
    InvalidSettingsError,
    NotFoundError,
    QboxError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from .model import DomainSettings, FieldError, validate
from .provider import QboxDomainSettingsProvider
from .resource import QboxDomainSettings, QboxDomainSettingsArgs

__all__ = [
    "DEFAULT_ENDPOINT",
    "SANDBOX_ENDPOINT",
    "ApiError",
    "ApiValidationError",
    "ConfigurationError",
    "DomainSettings",
    "FieldError",
    "ForbiddenError",
    "InvalidInputsError",
    "InvalidSettingsError",
    "NotFoundError",
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
    "validate",
]
