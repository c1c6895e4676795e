"""The docs agree with each other: one set of install instructions, and labelled API notes."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
INSTALL = ROOT / "docs" / "installation-configuration.md"
VENV_COMMANDS = ("python3 -m venv venv", "venv/bin/pip install ")


def test_readme_and_docs_give_one_plugin_path_and_the_two_commands_that_make_it() -> None:
    for path in (README, INSTALL):
        text = path.read_text(encoding="utf-8")
        assert "path: ./venv/bin" in text, path
        assert ".venv/bin" not in text, path
        lines = [line.strip() for line in text.splitlines()]
        for command in VENV_COMMANDS:
            assert any(line.startswith(command) for line in lines), (path, command)
        # The venv comes before the Pulumi.yaml that names it.
        assert text.index(VENV_COMMANDS[1]) < text.index("path: ./venv/bin"), path


def test_the_installed_export_command_is_mentioned_where_users_read() -> None:
    assert "`qboxmail-export`" in README.read_text(encoding="utf-8")
    assert "`qboxmail-export`" in INSTALL.read_text(encoding="utf-8")


def test_the_api_notes_say_what_they_are_in_their_first_lines() -> None:
    notes = (ROOT / "docs" / "qboxmail-api-notes.md").read_text(encoding="utf-8")
    assert "**What this is:** developers' notes on Qboxmail's Management API" in notes[:400]
    copy = (ROOT / "docs" / "qboxmail-api-update-domain.txt").read_text(encoding="utf-8")
    assert copy.startswith("ABOUT THIS FILE: a copy of Qboxmail's public API reference page")
