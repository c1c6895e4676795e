"""The QboxDomainSettings resource; its typed inputs and outputs are generated (`_generated.py`)."""

import functools
import weakref
from collections.abc import Awaitable
from typing import Any, overload

import pulumi
import pulumi.dynamic
from pulumi.output import Unknown
from pulumi.runtime.settings import get_monitor
from typing_extensions import Unpack

from .. import core
from ..claims import FIELD, Claims
from ..errors import FieldError, InvalidInputsError
from ..model import CONFIRMATIONS, FIELDS, SECRET_FIELDS
from ..naming import PACKAGE, RESOURCE
from ._generated import QboxDomainSettingsArgs, QboxDomainSettingsOutputs
from .provider import QboxDomainSettingsProvider
from .serialize import pickler_kept

__all__ = ["QboxDomainSettings", "QboxDomainSettingsArgs"]


LATER = (pulumi.Output, Awaitable)
"""What a program may give that is known only once it resolves."""

_UNKNOWN = Unknown()  # type: ignore[no-untyped-call]  # the SDK leaves its constructor untyped


def _checked(resource_name: str, props: dict[str, Any]) -> dict[str, Any]:
    """`props` with each value inside an Output checked once it resolves; plain values checked now.

    The program process checks what a program gives, so a user's unit tests under mocks fail on
    bad settings too; the plugin's own check, in its own process, stays the engine's only one.
    A list keeps its shape: each Output item is checked in its place once it resolves, and the
    list is not made unknown as a whole, so preview still shows (and checks) its known items.
    A failure never shows a value that resolved as a secret.
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
    for confirmation, confirmed in CONFIRMATIONS.items():
        waits = (confirmed, None) in later and (confirmation, None) not in later
        if waits and confirmation in given:
            later.append((confirmation, None))  # compared with its field once that resolves
    checked = dict(props)
    for name, index in later:
        if index is None:
            confirmed = CONFIRMATIONS.get(name, "")
            pair = {confirmed: given[confirmed]} if confirmed in given else {}
            resolved = _with_secrecy(pulumi.Output.all(**{name: given[name], **pair}))
            checked[name] = resolved.apply(functools.partial(_check_value, resource_name, name))
        else:
            items = checked[name] = list(checked[name])
            check = functools.partial(_check_item, resource_name, name, now[name], index)
            items[index] = _with_secrecy(items[index]).apply(check)
    return checked


def _with_secrecy(value: Any) -> pulumi.Output[list[Any]]:
    """A later value, resolved beside whether it is a secret: `[value, secret]`."""
    later = pulumi.Output.from_input(value)
    secrecy: pulumi.Output[bool] = pulumi.Output.from_input(later.is_secret())
    return pulumi.Output.all(later, secrecy)


def _check_value(resource_name: str, name: str, resolved: list[Any]) -> Any:
    """The resolved value of `name` (beside the field it confirms, if any), once checked."""
    values, secret = resolved
    failures = core.check(values, {name} if secret else ()).failures
    _raise_failures(resource_name, failures, name)
    return values[name]


def _check_item(
    resource_name: str, name: str, known: list[Any], index: int, resolved: list[Any]
) -> Any:
    """A resolved list item, once checked in its place among the list's other known items."""
    item, secret = resolved
    items = list(known)
    items[index] = item
    failures = core.check({name: items}, {name} if secret else ()).failures
    _raise_failures(resource_name, failures, name)
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


class QboxDomainSettings(
    QboxDomainSettingsOutputs, pulumi.dynamic.Resource, module=PACKAGE, name=RESOURCE
):
    """The settings of one existing Qboxmail domain, managed as code.

    Creating the resource adopts the domain: one PUT sets the settings given here. Only the
    settings you give are managed; removing one stops managing it and leaves its live value.
    Deleting the resource (or `pulumi destroy`) leaves the live domain and its settings untouched
    and only drops them from the stack. `postmaster_password` is always stored as a secret.

    Its inputs are the keys of `QboxDomainSettingsArgs` (name, type, description); each one's
    rule is in the "Fields" table of the project's README.md.
    """

    # Seen at run time on the class itself too, as on any class that declares them.
    __annotations__ = dict(QboxDomainSettingsOutputs.__annotations__)

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
        stored = [name for name in SECRET_FIELDS if name not in CONFIRMATIONS]
        secret = pulumi.ResourceOptions(additional_secret_outputs=stored)
        # The SDK's serialize_provider, run in here, leaves the pickler one wrapper deeper on
        # every call (pulumi/pulumi#17803): serialize.py keeps it as it was.
        with pickler_kept():
            super().__init__(
                QboxDomainSettingsProvider(),
                resource_name,
                props,
                pulumi.ResourceOptions.merge(opts, secret),
            )
