"""Stable public path of the dynamic provider, which every stack's state pickles by reference."""

from .dynamic.provider import PROVIDER_KEY, QboxDomainSettingsProvider, build_client, request_body

__all__ = ["PROVIDER_KEY", "QboxDomainSettingsProvider", "build_client", "request_body"]
