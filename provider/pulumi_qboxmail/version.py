"""The release: its version and where the engine downloads its plugin, each declared once here.

A literal, so setuptools reads it for the wheel without importing the package. The schema, the
plugin's GetPluginInfo, pulumi-plugin.json, the plugin tarball's name and, through the schema,
the generated SDKs all take it from here.
"""

from __future__ import annotations

import json

VERSION = "0.1.0"
OWNER = "pulumi-qboxmail"
REPOSITORY = f"https://github.com/{OWNER}/pulumi-qboxmail"
PLUGIN_DOWNLOAD_URL = f"github://api.github.com/{OWNER}"
"""The engine reads a github:// server as <owner>, the repository being pulumi-<package>."""


def plugin_json() -> str:
    """pulumi-plugin.json as this package ships it: checked in, written by `dev.py docs`.

    `resource` is false: Python programs use the dynamic resource, which needs no plugin, so the
    language host must not make the engine fetch one for this package.
    """
    fields = {"resource": False, "name": "qboxmail", "version": VERSION}
    return json.dumps({**fields, "server": PLUGIN_DOWNLOAD_URL}) + "\n"
