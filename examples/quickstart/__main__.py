"""Quickstart: manage the settings of one existing Qboxmail domain as code."""

import pulumi

from pulumi_qboxmail import QboxDomainSettings

config = pulumi.Config()

domain = QboxDomainSettings(
    "domain",
    domain_code=config.require("domainCode"),  # pulumi config set domainCode <code>
    antispam_level=3,
    allow_nets=["192.0.2.0/24", "2001:db8::/32"],
    force_otp=True,
    password_expiration=6,
    webmail_language="en",
    webmail_timezone="Europe/Rome",
    # Optional: pulumi config set --secret postmasterPassword <password>
    postmaster_password=config.get_secret("postmasterPassword"),
)

pulumi.export("domain_code", domain.domain_code)
pulumi.export("antispam_level", domain.antispam_level)
pulumi.export("allow_nets", domain.allow_nets)
