"""The typed inputs and outputs of QboxDomainSettings: GENERATED from `model.py` by
`python3 dev.py docs`. Do not edit; a test fails when this file and the model differ.
"""

from collections.abc import Sequence

import pulumi
from typing_extensions import Required, TypedDict


class QboxDomainSettingsArgs(TypedDict, total=False):
    """Inputs of QboxDomainSettings: `domain_code` plus any settings to manage."""

    domain_code: Required[pulumi.Input[str]]
    """Code of the domain to manage; changing it replaces the resource."""
    postmaster_password: pulumi.Input[str] | None
    """Postmaster password; secret, sent only when it changes."""
    postmaster_password_confirmation: pulumi.Input[str] | None
    """Confirmation of postmaster_password; filled in automatically."""
    catch_all_enabled: pulumi.Input[bool] | None
    """Enable catch-all for the domain."""
    catch_all_destination: pulumi.Input[str] | None
    """Catch-all destination email address."""
    default_quota: pulumi.Input[int] | None
    """Default quota in bytes for new email accounts."""
    antispam_level: pulumi.Input[int] | None
    """Antispam level."""
    allow_nets: pulumi.Input[Sequence[pulumi.Input[str]]] | None
    """Allowed IP addresses or networks; compared as a set."""
    imap_disabled: pulumi.Input[bool] | None
    """Disable IMAP on all email accounts of the domain."""
    pop_disabled: pulumi.Input[bool] | None
    """Disable POP on all email accounts of the domain."""
    smtp_disabled: pulumi.Input[bool] | None
    """Disable SMTP on all email accounts of the domain."""
    webmail_disabled: pulumi.Input[bool] | None
    """Disable webmail access on all email accounts of the domain."""
    chat: pulumi.Input[bool] | None
    """Enable chat on the Qboxmail webmail."""
    activesync: pulumi.Input[bool] | None
    """Enable ActiveSync on domain accounts."""
    meeting: pulumi.Input[bool] | None
    """Enable meeting video chat on the Qboxmail webmail."""
    calendar: pulumi.Input[bool] | None
    """Enable calendar on the Qboxmail webmail."""
    dav: pulumi.Input[bool] | None
    """Enable the DAV service on domain accounts."""
    max_email_accounts: pulumi.Input[int] | None
    """Max number of email accounts; -1 means no limit."""
    max_email_accounts_25gb: pulumi.Input[int] | None
    """Max number of 25 GB email accounts; -1 means no limit."""
    max_email_accounts_50gb: pulumi.Input[int] | None
    """Max number of 50 GB email accounts; -1 means no limit."""
    max_email_accounts_100gb: pulumi.Input[int] | None
    """Max number of 100 GB email accounts; -1 means no limit."""
    max_email_accounts_archive: pulumi.Input[int] | None
    """Max number of archived email accounts; -1 means no limit."""
    max_email_quota: pulumi.Input[int] | None
    """Max quota in bytes for email accounts of the domain."""
    api_enabled: pulumi.Input[bool] | None
    """Enable API access on domain accounts."""
    password_change_disabled: pulumi.Input[bool] | None
    """Password policy: users may not change their password."""
    password_recovery_disabled: pulumi.Input[bool] | None
    """Password policy: users may not recover their password."""
    password_expiration: pulumi.Input[int] | None
    """Password policy: months until a password expires."""
    force_password_first_login: pulumi.Input[bool] | None
    """Password policy: users set a new password on first login."""
    block_old_password: pulumi.Input[bool] | None
    """Password policy: users may not reuse old passwords."""
    force_otp: pulumi.Input[bool] | None
    """Password policy: require two-factor authentication."""
    hide_from_addressbook_company: pulumi.Input[bool] | None
    """Hide new accounts from the company address book."""
    plan: pulumi.Input[str] | None
    """Domain plan."""
    destroy_sessions_on_password_expiration: pulumi.Input[bool] | None
    """Password policy: end user sessions when the password expires."""
    antimalware_premium: pulumi.Input[bool] | None
    """Enable premium antimalware when the plan allows it."""
    limit_tracemail_21_days: pulumi.Input[bool] | None
    """Limit Tracemail retention to 21 days."""
    company: pulumi.Input[str] | None
    """Company name associated with the domain."""
    telephone: pulumi.Input[str] | None
    """Company telephone."""
    address: pulumi.Input[str] | None
    """Company address."""
    city: pulumi.Input[str] | None
    """Company city."""
    zip: pulumi.Input[str] | None
    """Company ZIP code."""
    state: pulumi.Input[str] | None
    """Company state."""
    country: pulumi.Input[str] | None
    """Company country."""
    language: pulumi.Input[str] | None
    """Default language for users of the domain."""
    timezone: pulumi.Input[str] | None
    """Default time zone for users of the domain."""
    webmail_language: pulumi.Input[str] | None
    """Default webmail language."""
    webmail_time_format: pulumi.Input[str] | None
    """Default webmail time format."""
    webmail_date_format: pulumi.Input[str] | None
    """Default webmail date format."""
    webmail_timezone: pulumi.Input[str] | None
    """Default webmail time zone."""
    webmail_signature_template: pulumi.Input[str] | None
    """Default webmail signature template."""
    apply_signature_new_emails: pulumi.Input[bool] | None
    """Apply the signature template to new email accounts."""
    allow_nets_apply_to_all: pulumi.Input[bool] | None
    """Action: also apply allow_nets to existing accounts when it changes."""
    default_quota_apply_to_all: pulumi.Input[bool] | None
    """Action: also apply default_quota to existing accounts when it changes."""
    password_policies_apply_to_all: pulumi.Input[bool] | None
    """Action: also apply password policies to existing accounts on change."""
    outbound_limit: pulumi.Input[int] | None
    """Outbound limit id; 0 restores the default limit."""
    force_new_password: pulumi.Input[bool] | None
    """Action: force every user to change password, once, when it turns true."""


class QboxDomainSettingsOutputs:
    """The outputs of QboxDomainSettings: every input, as stored."""

    domain_code: pulumi.Output[str]
    """Code of the domain to manage; changing it replaces the resource."""
    postmaster_password: pulumi.Output[str | None]
    """Postmaster password; secret, sent only when it changes."""
    postmaster_password_confirmation: pulumi.Output[str | None]
    """Confirmation of postmaster_password; filled in automatically."""
    catch_all_enabled: pulumi.Output[bool | None]
    """Enable catch-all for the domain."""
    catch_all_destination: pulumi.Output[str | None]
    """Catch-all destination email address."""
    default_quota: pulumi.Output[int | None]
    """Default quota in bytes for new email accounts."""
    antispam_level: pulumi.Output[int | None]
    """Antispam level."""
    allow_nets: pulumi.Output[list[str] | None]
    """Allowed IP addresses or networks; compared as a set."""
    imap_disabled: pulumi.Output[bool | None]
    """Disable IMAP on all email accounts of the domain."""
    pop_disabled: pulumi.Output[bool | None]
    """Disable POP on all email accounts of the domain."""
    smtp_disabled: pulumi.Output[bool | None]
    """Disable SMTP on all email accounts of the domain."""
    webmail_disabled: pulumi.Output[bool | None]
    """Disable webmail access on all email accounts of the domain."""
    chat: pulumi.Output[bool | None]
    """Enable chat on the Qboxmail webmail."""
    activesync: pulumi.Output[bool | None]
    """Enable ActiveSync on domain accounts."""
    meeting: pulumi.Output[bool | None]
    """Enable meeting video chat on the Qboxmail webmail."""
    calendar: pulumi.Output[bool | None]
    """Enable calendar on the Qboxmail webmail."""
    dav: pulumi.Output[bool | None]
    """Enable the DAV service on domain accounts."""
    max_email_accounts: pulumi.Output[int | None]
    """Max number of email accounts; -1 means no limit."""
    max_email_accounts_25gb: pulumi.Output[int | None]
    """Max number of 25 GB email accounts; -1 means no limit."""
    max_email_accounts_50gb: pulumi.Output[int | None]
    """Max number of 50 GB email accounts; -1 means no limit."""
    max_email_accounts_100gb: pulumi.Output[int | None]
    """Max number of 100 GB email accounts; -1 means no limit."""
    max_email_accounts_archive: pulumi.Output[int | None]
    """Max number of archived email accounts; -1 means no limit."""
    max_email_quota: pulumi.Output[int | None]
    """Max quota in bytes for email accounts of the domain."""
    api_enabled: pulumi.Output[bool | None]
    """Enable API access on domain accounts."""
    password_change_disabled: pulumi.Output[bool | None]
    """Password policy: users may not change their password."""
    password_recovery_disabled: pulumi.Output[bool | None]
    """Password policy: users may not recover their password."""
    password_expiration: pulumi.Output[int | None]
    """Password policy: months until a password expires."""
    force_password_first_login: pulumi.Output[bool | None]
    """Password policy: users set a new password on first login."""
    block_old_password: pulumi.Output[bool | None]
    """Password policy: users may not reuse old passwords."""
    force_otp: pulumi.Output[bool | None]
    """Password policy: require two-factor authentication."""
    hide_from_addressbook_company: pulumi.Output[bool | None]
    """Hide new accounts from the company address book."""
    plan: pulumi.Output[str | None]
    """Domain plan."""
    destroy_sessions_on_password_expiration: pulumi.Output[bool | None]
    """Password policy: end user sessions when the password expires."""
    antimalware_premium: pulumi.Output[bool | None]
    """Enable premium antimalware when the plan allows it."""
    limit_tracemail_21_days: pulumi.Output[bool | None]
    """Limit Tracemail retention to 21 days."""
    company: pulumi.Output[str | None]
    """Company name associated with the domain."""
    telephone: pulumi.Output[str | None]
    """Company telephone."""
    address: pulumi.Output[str | None]
    """Company address."""
    city: pulumi.Output[str | None]
    """Company city."""
    zip: pulumi.Output[str | None]
    """Company ZIP code."""
    state: pulumi.Output[str | None]
    """Company state."""
    country: pulumi.Output[str | None]
    """Company country."""
    language: pulumi.Output[str | None]
    """Default language for users of the domain."""
    timezone: pulumi.Output[str | None]
    """Default time zone for users of the domain."""
    webmail_language: pulumi.Output[str | None]
    """Default webmail language."""
    webmail_time_format: pulumi.Output[str | None]
    """Default webmail time format."""
    webmail_date_format: pulumi.Output[str | None]
    """Default webmail date format."""
    webmail_timezone: pulumi.Output[str | None]
    """Default webmail time zone."""
    webmail_signature_template: pulumi.Output[str | None]
    """Default webmail signature template."""
    apply_signature_new_emails: pulumi.Output[bool | None]
    """Apply the signature template to new email accounts."""
    allow_nets_apply_to_all: pulumi.Output[bool | None]
    """Action: also apply allow_nets to existing accounts when it changes."""
    default_quota_apply_to_all: pulumi.Output[bool | None]
    """Action: also apply default_quota to existing accounts when it changes."""
    password_policies_apply_to_all: pulumi.Output[bool | None]
    """Action: also apply password policies to existing accounts on change."""
    outbound_limit: pulumi.Output[int | None]
    """Outbound limit id; 0 restores the default limit."""
    force_new_password: pulumi.Output[bool | None]
    """Action: force every user to change password, once, when it turns true."""
