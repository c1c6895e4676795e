"""The QboxDomainSettings resource and its typed inputs."""

import functools
import weakref
from collections.abc import Awaitable, Sequence
from typing import Any, overload

import pulumi
import pulumi.dynamic
from pulumi.output import Unknown
from pulumi.runtime.settings import get_monitor
from typing_extensions import Required, TypedDict, Unpack

from . import core
from .claims import FIELD, Claims
from .core import CONFIRMATION, PASSWORD
from .errors import InvalidInputsError
from .model import FIELDS, SECRET_FIELDS, FieldError
from .provider import QboxDomainSettingsProvider
from .serialize import pickler_kept


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


LATER = (pulumi.Output, Awaitable)
"""What a program may give that is known only once it resolves."""

_UNKNOWN = Unknown()  # type: ignore[no-untyped-call]  # the SDK leaves its constructor untyped


def _checked(resource_name: str, props: dict[str, Any]) -> dict[str, Any]:
    """`props` with each value inside an Output checked once it resolves; plain values checked now.

    The program process checks what a program gives, so a user's unit tests under mocks fail on
    bad settings too; the plugin's own check, in its own process, stays the engine's only one.
    A list keeps its shape: each Output item is checked in its place once it resolves, and the
    list is not made unknown as a whole, so preview still shows (and checks) its known items.
    """
    given = {name: value for name, value in props.items() if value is not None}
    # What is known now, with an Unknown standing in for each later value: core.check then
    # checks every name, and every known value, list items included.
    now: dict[str, Any] = {}
    later: list[tuple[str, int | None]] = []
    for name, value in given.items():
        if isinstance(value, list | tuple):
            now[name] = [_UNKNOWN if core.holds(item, LATER) else item for item in value]
            later += [(name, i) for i, item in enumerate(value) if core.holds(item, LATER)]
        elif core.holds(value, LATER):
            now[name] = _UNKNOWN
            later.append((name, None))
        else:
            now[name] = value
    _raise_failures(resource_name, core.check(now).failures)
    if (PASSWORD, None) in later and CONFIRMATION in given and (CONFIRMATION, None) not in later:
        later.append((CONFIRMATION, None))  # compared with the password once that resolves
    checked = dict(props)
    for name, index in later:
        if index is None:
            pair = name == CONFIRMATION and PASSWORD in given
            sources = {name: given[name], **({PASSWORD: given[PASSWORD]} if pair else {})}
            resolved = pulumi.Output.all(**sources)
            checked[name] = resolved.apply(functools.partial(_check_value, resource_name, name))
        else:
            items = checked[name] = list(checked[name])
            check = functools.partial(_check_item, resource_name, name, now[name], index)
            items[index] = pulumi.Output.from_input(items[index]).apply(check)
    return checked


def _check_value(resource_name: str, name: str, resolved: dict[str, Any]) -> Any:
    """The resolved value of `name` (beside the password, for its confirmation), once checked."""
    _raise_failures(resource_name, core.check(resolved).failures, name)
    return resolved[name]


def _check_item(resource_name: str, name: str, known: list[Any], index: int, item: Any) -> Any:
    """A resolved list item, once checked in its place among the list's other known items."""
    items = list(known)
    items[index] = item
    _raise_failures(resource_name, core.check({name: items}).failures, name)
    return item


def _raise_failures(resource_name: str, failures: list[FieldError], only: str = "") -> None:
    """Raise InvalidInputsError for the failures (of the field `only`, when given), if any."""
    failures = [e for e in failures if not only or e.field == only]
    if failures:
        raise InvalidInputsError(resource_name, failures)


_RUNS: weakref.WeakKeyDictionary[object, Claims] = weakref.WeakKeyDictionary()
_NO_MONITOR = Claims()


def _claims_of_this_run() -> Claims:
    """The claims of the program run now: one per resource monitor.

    The Automation API gives each run, and `set_mocks` each set of mocks, a monitor of its own,
    so stacks run one after another in one process never see each other's claims.
    """
    monitor = get_monitor()
    if monitor is None:
        return _NO_MONITOR
    return _RUNS.setdefault(monitor, Claims())


def _claimed(resource_name: str, owner: object, code: Any) -> Any:
    """`code`, claimed for this resource now if known, or once it resolves if later."""
    if core.holds(code, LATER):
        claim = functools.partial(_claimed, resource_name, owner)
        return pulumi.Output.from_input(code).apply(claim)
    _raise_failures(resource_name, _claims_of_this_run().claim(code, owner, resource_name))
    return code


class QboxDomainSettings(pulumi.dynamic.Resource, module="qboxmail", name="DomainSettings"):
    """The settings of one existing Qboxmail domain, managed as code.

    Creating the resource adopts the domain: one PUT sets the settings given here. Only the
    settings you give are managed; removing one stops managing it and leaves its live value.
    Deleting the resource (or `pulumi destroy`) leaves the live domain and its settings untouched
    and only drops them from the stack. `postmaster_password` is always stored as a secret.

    Its inputs are the keys of `QboxDomainSettingsArgs` (name, type, description); each one's
    rule is in the "Fields" table of the project's README.md.
    """

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

    @overload
    def __init__(
        self,
        resource_name: str,
        args: QboxDomainSettingsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        resource_name: str,
        args: None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[QboxDomainSettingsArgs],
    ) -> None: ...

    def __init__(
        self,
        resource_name: str,
        args: QboxDomainSettingsArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        """Manage the settings of one Qboxmail domain: `domain_code` plus any setting to manage.

        The inputs are those of `QboxDomainSettingsArgs`, given as keyword arguments or as one
        `args` dict; each rule is in the README's "Fields" table. Plain values are checked here,
        every problem at once, and values inside Outputs once they resolve: a bad one raises
        `InvalidInputsError` naming this resource, also under `pulumi.runtime.set_mocks`.
        """
        props: dict[str, Any] = dict.fromkeys(FIELDS)
        props.update(args or {})
        props.update(kwargs)
        props = _checked(resource_name, props)
        # One owner per domain in a run; under a parent, a name is only unique beside it.
        parent = id(opts.parent) if opts is not None and opts.parent is not None else None
        props[FIELD] = _claimed(resource_name, (parent, resource_name), props[FIELD])
        for name in SECRET_FIELDS:
            if props[name] is not None:
                props[name] = pulumi.Output.secret(props[name])
        secret = pulumi.ResourceOptions(additional_secret_outputs=[SECRET_FIELDS[0]])
        # The SDK's serialize_provider, run in here, leaves the pickler one wrapper deeper on
        # every call (pulumi/pulumi#17803): serialize.py keeps it as it was.
        with pickler_kept():
            super().__init__(
                QboxDomainSettingsProvider(),
                resource_name,
                props,
                pulumi.ResourceOptions.merge(opts, secret),
            )
