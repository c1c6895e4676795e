"""The dynamic face: the `QboxDomainSettings` resource for Python programs, and its provider."""
