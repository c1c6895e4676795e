"""Fleet: one shared settings policy for many Qboxmail domains, with per-domain overrides.

fleet.yaml holds a `policy:` mapping and a `domains:` list of `{code, name, overrides}`; each
domain gets the policy merged with its overrides (overrides win). Point the `fleetFile` config
key or the FLEET_FILE environment variable at another file to use it instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import pulumi
import yaml

from pulumi_qboxmail import Claims, QboxDomainSettings, QboxDomainSettingsArgs, validate

HERE = Path(__file__).resolve().parent


def load_fleet(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """Each domain's name and merged settings; one RunError listing every problem in the file,
    a domain listed twice included."""
    fleet = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    policy = fleet.get("policy") or {}
    domains: list[tuple[str, dict[str, Any]]] = []
    problems: list[str] = []
    claims = Claims()  # a domain listed twice would get two owners fighting over its settings
    for index, entry in enumerate(fleet.get("domains") or []):
        code = entry.get("code")
        name = str(entry.get("name") or code)
        settings = {**policy, **(entry.get("overrides") or {})}
        if code is not None:
            settings["domain_code"] = code
        # Checked here, before any resource registers, so one run reports every typo in the file.
        _, errors = validate(settings)
        if not errors:
            errors = claims.claim(code, index, name)
        problems += [f"{name} ({code}): {error.field}: {error.message}" for error in errors]
        domains.append((name, settings))
    if problems:
        listing = "\n  ".join(problems)
        raise pulumi.RunError(f"{path} has {len(problems)} invalid setting(s):\n  {listing}")
    return domains


config = pulumi.Config()
# Relative paths resolve against this directory, whatever the current directory is.
fleet_file = HERE / (config.get("fleetFile") or os.environ.get("FLEET_FILE") or "fleet.yaml")

summary: dict[str, Any] = {}
for name, settings in load_fleet(fleet_file):
    domain = QboxDomainSettings(name, **cast(QboxDomainSettingsArgs, settings))
    summary[name] = {
        "code": domain.domain_code,
        "antispam_level": domain.antispam_level,
        "force_otp": domain.force_otp,
        "password_expiration": domain.password_expiration,
        "webmail_language": domain.webmail_language,
        "webmail_timezone": domain.webmail_timezone,
    }

pulumi.export("domains", summary)
