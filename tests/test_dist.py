"""scripts/dist.py: the plugin tarball's name and layout, as the engine and the workflow expect."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

import dist
from pulumi_qboxmail.version import VERSION


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small file in the frozen plugin's place: the packing is under test, not PyInstaller."""
    binary = tmp_path / "frozen"
    binary.write_bytes(b"\x7fELF stand-in")
    monkeypatch.setattr(dist, "plugin_binary", lambda: binary)
    return binary


def test_the_tarball_is_named_as_the_engine_asks_for_this_platform(
    stand_in: Path, tmp_path: Path
) -> None:
    path = dist.plugin_tarball(tmp_path / "out")
    os_name, arch = dist.target()
    assert path.name == f"pulumi-resource-qboxmail-v{VERSION}-{os_name}-{arch}.tar.gz"
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_the_tarball_holds_the_executable_and_the_license_only(
    stand_in: Path, tmp_path: Path
) -> None:
    with tarfile.open(dist.plugin_tarball(tmp_path / "out")) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert sorted(members) == ["LICENSE", dist.executable_name()]
        plugin = members[dist.executable_name()]
        assert plugin.isfile() and plugin.mode == 0o755
        assert tar.extractfile(plugin).read() == stand_in.read_bytes()  # type: ignore[union-attr]
        license_text = tar.extractfile("LICENSE").read()  # type: ignore[union-attr]
    assert license_text == (dist.ROOT / "LICENSE").read_bytes()


def test_the_same_executable_packs_to_the_same_bytes(stand_in: Path, tmp_path: Path) -> None:
    first = dist.plugin_tarball(tmp_path / "a").read_bytes()
    second = dist.plugin_tarball(tmp_path / "b").read_bytes()
    assert first == second


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", ("linux", "amd64")),
        ("Linux", "aarch64", ("linux", "arm64")),
        ("Darwin", "arm64", ("darwin", "arm64")),
        ("Darwin", "x86_64", ("darwin", "amd64")),
        ("Windows", "AMD64", ("windows", "amd64")),
        ("Windows", "ARM64", ("windows", "arm64")),
    ],
)
def test_platforms_are_named_as_pulumi_names_them(
    monkeypatch: pytest.MonkeyPatch, system: str, machine: str, expected: tuple[str, str]
) -> None:
    monkeypatch.setattr(dist.platform, "system", lambda: system)
    monkeypatch.setattr(dist.platform, "machine", lambda: machine)
    assert dist.target() == expected


def test_an_unknown_platform_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dist.platform, "system", lambda: "SunOS")
    monkeypatch.setattr(dist.platform, "machine", lambda: "sparc")
    with pytest.raises(dist.DistError, match="no Pulumi plugin platform for SunOS/sparc"):
        dist.target()


def test_the_version_is_read_without_importing_the_package() -> None:
    assert dist.version() == VERSION


def test_an_argument_it_does_not_know_is_refused_before_anything_is_built(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dist, "plugin_tarball", lambda _out: pytest.fail("built"))
    assert dist.main(["wheel"]) == 2
    assert "python scripts/dist.py plugin" in capsys.readouterr().err
