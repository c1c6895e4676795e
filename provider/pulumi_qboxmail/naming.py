"""What each face calls things: the package, the resource type, and a setting.

The core speaks the API's names (`antispam_level`). The dynamic face shows them as they are; the
native face shows the schema's lowerCamelCase (`antispamLevel`). A message is built from parts in
one face's `Names`; no face rewrites another's text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

PACKAGE = "qboxmail"
RESOURCE = "DomainSettings"
TOKEN = f"{PACKAGE}:index:{RESOURCE}"
"""The native resource's type token; the dynamic resource registers under the same module/name."""

PYTHON_CLASS = "QboxDomainSettings"
"""The dynamic face's resource class, as Python programs and its messages name it."""


def pulumi_name(name: str) -> str:
    """The Pulumi schema name of an API name: lowerCamelCase (`max_email_accounts_25gb` ->
    `maxEmailAccounts25gb`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


KNOBS: Mapping[str, str] = {
    "apiToken": "qboxmail:apiToken (or QBOXMAIL_API_TOKEN)",
    "endpoint": "qboxmail:endpoint",
}
"""How advice names a provider setting to check, where nothing tells where it was set."""

_PLACEHOLDER = re.compile(r"\{([a-zA-Z][a-zA-Z0-9_]*)\}")


@dataclass(frozen=True)
class Names:
    """One face's names: its resource, each API field name as that face writes it, and each
    provider setting (an option's key) as its advice names it."""

    resource: str
    fields: Mapping[str, str] = field(default_factory=dict)
    """API name -> this face's name; a name missing here is written as it is."""
    knobs: Mapping[str, str] = field(default_factory=lambda: KNOBS)
    """Option key -> where to check it; a tool that knows where each came from passes its own."""

    def field(self, name: str) -> str:
        return self.fields.get(name, name)

    def say(self, template: str) -> str:
        """One of our own texts in this face's names: `{resource}`, `{<option key>}` and
        `{<api field>}` filled in.

        Only fixed texts of this package are templates; a user's or the API's words never are.
        """

        def fill(match: re.Match[str]) -> str:
            key = match[1]
            if key == "resource":
                return self.resource
            return self.knobs[key] if key in self.knobs else self.field(key)

        return _PLACEHOLDER.sub(fill, template)


PYTHON = Names(PYTHON_CLASS)
"""The dynamic face's names, which are the API's: how every error reads in Python."""
