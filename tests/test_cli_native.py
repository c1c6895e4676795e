"""End to end through the real Pulumi CLI: the native provider from a YAML program, and `pulumi import`.

The YAML language host (`pulumi-language-yaml`) loads the schema from the plugin with GetSchema,
type-checks the program against it and registers the resources; the engine starts
`pulumi-resource-qboxmail` itself, as a project plugin (`plugins.providers`), as an ambient
plugin on PATH, or as the released executable installed from its tarball with no Python plugin
anywhere. A missing plugin is looked for in our GitHub releases. Everything talks to the
emulator on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

import dist
from e2e_support import CliEnv
from pulumi_qboxmail.native import schema
from pulumi_qboxmail.tools.emulator import Emulator
from pulumi_qboxmail.version import VERSION

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "yaml" / "Pulumi.yaml"
PLUGIN_DIR = Path(sys.executable).parent  # holds pulumi-resource-qboxmail
MAIN, SHOP = "D300000001", "D300000002"
TOKEN = "qbx-native-e2e-7d41c0"
TYPE = "qboxmail:index:DomainSettings"
SKIP_CHECKPOINTS = {"PULUMI_SKIP_CHECKPOINTS": "true"}
PLUGIN = "pulumi-resource-qboxmail"
OUR_SERVER = "github://api.github.com/pulumi-qboxmail"
OUR_RELEASE = f"api.github.com/repos/pulumi-qboxmail/pulumi-qboxmail/releases/tags/v{VERSION}"
MAIN_BODY = {
    "antispam_level": 3,
    "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
    "force_otp": True,
    "password_expiration": 6,
    "webmail_language": "en",
    "webmail_timezone": "Europe/Rome",
}
SHOP_BODY = {
    "antispam_level": 2,
    "allow_nets": ["198.51.100.7"],
    "force_otp": True,
    "password_expiration": 12,
    "webmail_language": "it",
    "webmail_timezone": "Europe/Rome",
    "max_email_accounts_25gb": 10,
}


@pytest.fixture
def yaml_cli(cli_env: CliEnv) -> CliEnv:
    if shutil.which("pulumi-language-yaml", path=cli_env.env["PATH"]) is None:
        pytest.skip(
            "no pulumi-language-yaml beside the CLI or on PATH (`python3 dev.py cli` builds it); "
            "end-to-end tests are never faked"
        )
    return cli_env


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    server = Emulator(token=TOKEN, domains=[MAIN, SHOP])
    with server:
        yield server


def puts(emulator: Emulator) -> list[tuple[str, Any]]:
    return [(r.path, r.body) for r in emulator.requests if r.method == "PUT"]


def yaml_project(target: Path, *, plugin: bool) -> Path:
    """The YAML example in `target`, using the plugin as a project plugin or as found on PATH."""
    target.mkdir(parents=True)
    project = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    if plugin:
        project["plugins"] = {"providers": [{"name": "qboxmail", "path": str(PLUGIN_DIR)}]}
    (target / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return target


def empty_project(cli: CliEnv, target: Path) -> Path:
    """A YAML project with no resources yet, the plugin found on PATH, as after `pipx install`."""
    cli.env["PATH"] = f"{PLUGIN_DIR}:{cli.env['PATH']}"
    target.mkdir()
    text = f"name: qboxmail-{target.name}\nruntime: yaml\nresources: {{}}\n"
    (target / "Pulumi.yaml").write_text(text, encoding="utf-8")
    return target


def configure(cli: CliEnv, project: Path, url: str, **extra: str) -> None:
    cli.run("stack", "init", "e2e", cwd=project)
    cli.run("config", "set", "qboxmail:endpoint", url, cwd=project)
    cli.run("config", "set", "--secret", "qboxmail:apiToken", TOKEN, cwd=project)
    for key, value in extra.items():
        cli.run("config", "set", key, value, cwd=project)


def test_yaml_program_previews_applies_and_repairs_drift(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    project = yaml_project(tmp_path / "yaml", plugin=True)
    configure(yaml_cli, project, emulator.url, mainDomainCode=MAIN, shopDomainCode=SHOP)

    # Preview calls Create with preview=true: the plugin sends nothing.
    preview = yaml_cli.run("preview", cwd=project).stdout
    assert "+ 3 to create" in preview  # the stack and two domains
    assert emulator.requests == []

    yaml_cli.run("up", "--yes", cwd=project)
    assert sorted(puts(emulator)) == [
        (f"/api/domains/{MAIN}", MAIN_BODY),
        (f"/api/domains/{SHOP}", SHOP_BODY),
    ]
    outputs = json.loads(yaml_cli.run("stack", "output", "--json", cwd=project).stdout)
    assert outputs == {"mainAntispamLevel": 3, "shopAllowNets": ["198.51.100.7"]}

    emulator.clear_log()
    yaml_cli.run("preview", "--expect-no-changes", cwd=project)
    assert emulator.requests == []

    with emulator.lock:
        emulator.domains[MAIN]["antispam_level"] = 1
    refresh = yaml_cli.run("refresh", "--yes", cwd=project).stdout
    assert "antispamLevel" in refresh
    drift = yaml_cli.run("preview", "--diff", cwd=project).stdout
    assert "~ antispamLevel: 1 => 3" in drift
    emulator.clear_log()
    yaml_cli.run("up", "--yes", cwd=project)
    assert puts(emulator) == [(f"/api/domains/{MAIN}", {"antispam_level": 3})]

    state = yaml_cli.run("stack", "export", cwd=project).stdout
    assert TOKEN not in state
    types = [r["type"] for r in json.loads(state)["deployment"]["resources"]]
    assert types.count(TYPE) == 2

    before = json.loads(json.dumps(emulator.domains))
    yaml_cli.run("destroy", "--yes", cwd=project)
    assert emulator.domains == before


def test_a_bad_yaml_value_fails_preview_naming_the_property(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    project = yaml_project(tmp_path / "bad", plugin=True)
    program = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8"))
    program["resources"]["shop"]["properties"]["antispamLevel"] = 7
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False), encoding="utf-8")
    configure(yaml_cli, project, emulator.url, mainDomainCode=MAIN, shopDomainCode=SHOP)
    failed = yaml_cli.run("preview", cwd=project, ok=False)
    assert failed.returncode != 0
    printed = failed.stdout + failed.stderr
    assert "antispamLevel" in printed
    assert (
        "must be one of 0 (disabled), 1 (permissive), 2 (standard), 3 (aggressive); got 7"
        in printed
    )
    assert emulator.requests == []


def test_import_generates_code_whose_next_preview_shows_no_change(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    project = empty_project(yaml_cli, tmp_path / "adopt")
    configure(yaml_cli, project, emulator.url)
    emulator.add_domain(MAIN, antispam_level=3, allow_nets=["192.0.2.0/24"])
    emulator.clear_log()

    generated = project / "generated.yaml"
    yaml_cli.run("import", TYPE, "main", MAIN, "--yes", "--out", str(generated), cwd=project)
    # One Read, one GET, in the import's preview and again in the import itself; nothing written.
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", f"/api/domains/{MAIN}")] * 2
    code = yaml.safe_load(generated.read_text(encoding="utf-8"))
    props = code["resources"]["main"]["properties"]
    assert props["domainCode"] == MAIN
    assert props["antispamLevel"] == 3
    assert props["allowNets"] == ["192.0.2.0/24"]

    program = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8"))
    program["resources"] = code["resources"]
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False), encoding="utf-8")
    emulator.clear_log()
    yaml_cli.run("preview", "--expect-no-changes", cwd=project)
    assert puts(emulator) == []


def test_import_of_a_missing_domain_fails(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    project = empty_project(yaml_cli, tmp_path / "missing")
    configure(yaml_cli, project, emulator.url)
    failed = yaml_cli.run("import", TYPE, "gone", "D000000404", "--yes", cwd=project, ok=False)
    assert failed.returncode != 0
    assert "no such domain, or it is not visible to this API token" in failed.stdout + failed.stderr
    state = yaml_cli.run("stack", "export", cwd=project).stdout
    assert TYPE not in state


def test_import_stores_a_token_set_in_clear_encrypted_and_adopts_only_values_it_accepts(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    project = empty_project(yaml_cli, tmp_path / "refused")
    yaml_cli.run("stack", "init", "e2e", cwd=project)
    # In clear: the CLI asks for --plaintext, or the value arrives from the environment or YAML.
    yaml_cli.run("config", "set", "--plaintext", "qboxmail:apiToken", TOKEN, cwd=project)
    # A typo must not send the stack to the default (production) endpoint.
    yaml_cli.run("config", "set", "qboxmail:endpont", emulator.url, cwd=project)
    emulator.add_domain(
        MAIN, antispam_level=3, allow_nets=["192.168.1.10/24"], max_email_quota=12345
    )
    emulator.clear_log()
    typo = yaml_cli.run("import", TYPE, "main", MAIN, "--yes", cwd=project, ok=False)
    assert typo.returncode != 0
    assert 'is not a qboxmail provider input; did you mean "endpoint"?' in typo.stdout + typo.stderr
    assert emulator.requests == []
    yaml_cli.run("config", "rm", "qboxmail:endpont", cwd=project)
    yaml_cli.run("config", "set", "qboxmail:endpoint", emulator.url, cwd=project)

    generated = project / "generated.yaml"
    imported = yaml_cli.run(
        "import", TYPE, "main", MAIN, "--yes", "--out", str(generated), cwd=project
    )
    printed = imported.stdout + imported.stderr
    assert "the import leaves allowNets unmanaged" in printed
    assert 'item 0 ("192.168.1.10/24") has host bits set' in printed
    assert "the import leaves maxEmailQuota unmanaged" in printed
    code = yaml.safe_load(generated.read_text(encoding="utf-8"))
    props = code["resources"]["main"]["properties"]
    assert props["antispamLevel"] == 3
    assert "allowNets" not in props and "maxEmailQuota" not in props

    program = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8"))
    program["resources"] = code["resources"]
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False), encoding="utf-8")
    emulator.clear_log()
    yaml_cli.run("up", "--yes", "--expect-no-changes", cwd=project)
    assert puts(emulator) == []

    # `pulumi import` itself stores the config as it read it; the next run stores what
    # CheckConfig gave back.
    state = yaml_cli.run("stack", "export", cwd=project).stdout
    assert TOKEN not in state
    resources = json.loads(state)["deployment"]["resources"]
    (provider,) = [r for r in resources if r["type"] == "pulumi:providers:qboxmail"]
    assert set(provider["inputs"]["apiToken"]) == {"4dabf18193072939515e22adb298388d", "ciphertext"}


def domains_program(project: Path, resources: dict[str, Any]) -> None:
    """Write `project`'s program: these resources, the plugin as a project plugin."""
    program = {
        "name": f"qboxmail-{project.name}",
        "runtime": "yaml",
        "plugins": {"providers": [{"name": "qboxmail", "path": str(PLUGIN_DIR)}]},
        "resources": resources,
    }
    project.mkdir(exist_ok=True)
    (project / "Pulumi.yaml").write_text(yaml.safe_dump(program, sort_keys=False), encoding="utf-8")


def domain(code: str, level: int, **options: Any) -> dict[str, Any]:
    resource = {"type": TYPE, "properties": {"domainCode": code, "antispamLevel": level}}
    return {**resource, "options": options} if options else resource


def test_two_resources_with_one_domain_code_fail_preview_naming_both_and_send_nothing(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    project = tmp_path / "twice"
    domains_program(project, {
        "main": domain(MAIN, 2),
        "shop": domain(MAIN, 3, dependsOn=["${main}"]),  # registered second, whatever the order
    })  # fmt: skip
    configure(yaml_cli, project, emulator.url)

    failed = yaml_cli.run("preview", cwd=project, ok=False)

    assert failed.returncode != 0
    assert (
        f"{MAIN} is already managed by 'main' in this stack; 'shop' cannot manage it too: one "
        "domain has one owner, or the two would overwrite each other's settings"
    ) in failed.stdout + failed.stderr
    assert emulator.requests == []


def test_rename_with_alias_takeover_of_a_deleted_resources_domain_and_replacement_still_work(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    third = "D300000003"
    emulator.add_domain(third)
    project = tmp_path / "moves"
    domains_program(project, {"main": domain(MAIN, 2), "shop": domain(SHOP, 2)})
    configure(yaml_cli, project, emulator.url)
    yaml_cli.run("up", "--yes", "--skip-preview", cwd=project)
    old_main = f"urn:pulumi:e2e::qboxmail-moves::{TYPE}::main"

    # main renamed with an alias; shop deleted while a new resource takes its domain over.
    domains_program(project, {
        "primary": domain(MAIN, 2, aliases=[old_main]),
        "branch": domain(SHOP, 3),
    })  # fmt: skip
    emulator.clear_log()
    yaml_cli.run("up", "--yes", "--skip-preview", cwd=project)
    assert puts(emulator) == [(f"/api/domains/{SHOP}", {"antispam_level": 3})]

    # primary moves to another domain (a replacement), branch onto the domain primary leaves.
    domains_program(project, {"primary": domain(third, 2), "branch": domain(MAIN, 3)})
    emulator.clear_log()
    up = yaml_cli.run("up", "--yes", "--skip-preview", cwd=project).stdout
    assert "2 replaced" in up
    assert sorted(puts(emulator)) == [
        (f"/api/domains/{MAIN}", {"antispam_level": 3}),
        (f"/api/domains/{third}", {"antispam_level": 2}),
    ]
    state = json.loads(yaml_cli.run("stack", "export", cwd=project).stdout)["deployment"]
    owned = {r["urn"].rsplit("::", 1)[1]: r["id"] for r in state["resources"] if r["type"] == TYPE}
    assert owned == {"primary": third, "branch": MAIN}


def children_of(pid: int) -> dict[int, str]:
    """The live child processes of `pid`: pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(stat.parent.name)] = cmdline.decode(errors="replace")
    return found


def running(pid: int, command: str) -> bool:
    """Whether `pid` still runs `command` (neither exited, nor a zombie, nor reused)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return state != "Z" and cmdline == command


@contextlib.contextmanager
def up_killed_mid_way(
    yaml_cli: CliEnv, emulator: Emulator, project: Path, env: dict[str, str]
) -> Iterator[tuple[int, str]]:
    """`pulumi up` of `main` then `shop`, SIGKILLed once main's PUT is answered and shop's is in
    flight. Yields the plugin's pid and command line; kills whatever the CLI left running."""
    emulator.slow_next(1, 0.0)
    emulator.slow_next(1, 20.0)  # main's PUT finishes; shop's is in flight when the CLI dies
    command = [str(yaml_cli.cli), "up", "--yes", "--skip-preview", "--non-interactive"]
    cli = subprocess.Popen(command, cwd=project, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    started: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 120
        while len(puts(emulator)) < 2 or not started:
            assert time.monotonic() < deadline and cli.poll() is None, "no two PUTs came"
            started = children_of(cli.pid)
            time.sleep(0.1)
        [(plugin, plugin_command)] = [
            (pid, line) for pid, line in started.items() if "pulumi-resource-qboxmail" in line
        ]
        cli.send_signal(signal.SIGKILL)
        cli.wait()
        yield plugin, plugin_command
    finally:
        cli.kill()
        for pid, line in started.items():  # the language host, if it lingers
            if running(pid, line):
                os.kill(pid, signal.SIGKILL)


def test_the_plugin_of_a_killed_cli_exits_and_the_next_up_converges(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    project = tmp_path / "killed"
    domains_program(
        project, {"main": domain(MAIN, 2), "shop": domain(SHOP, 3, dependsOn=["${main}"])}
    )
    configure(yaml_cli, project, emulator.url)
    with up_killed_mid_way(yaml_cli, emulator, project, yaml_cli.env) as (plugin, command):
        killed = time.monotonic()
        while running(plugin, command):
            assert time.monotonic() - killed < 30, "the plugin outlived its CLI by 30 s"
            time.sleep(0.2)

    # The state kept what finished; what was in flight is a pending operation.
    state = json.loads(yaml_cli.run("stack", "export", cwd=project).stdout)["deployment"]
    assert [r["id"] for r in state["resources"] if r["type"] == TYPE] == [MAIN]
    assert [(op["type"], op["resource"]["urn"].rsplit("::", 1)[1])
            for op in state["pending_operations"]] == [("creating", "shop")]  # fmt: skip

    # Recovery, as the README says: remove the killed CLI's lock, then up again.
    locked = yaml_cli.run("up", "--yes", cwd=project, ok=False)
    assert "the stack is currently locked" in locked.stdout + locked.stderr
    yaml_cli.run("cancel", "--yes", cwd=project)
    emulator.clear_log()
    yaml_cli.run("up", "--yes", "--skip-preview", cwd=project)
    assert puts(emulator) == [(f"/api/domains/{SHOP}", {"antispam_level": 3})]
    yaml_cli.run("refresh", "--clear-pending-creates", "--yes", "--skip-preview", cwd=project)
    state = json.loads(yaml_cli.run("stack", "export", cwd=project).stdout)["deployment"]
    assert not state.get("pending_operations")
    yaml_cli.run("preview", "--expect-no-changes", cwd=project)


def test_with_checkpoints_skipped_a_killed_up_leaves_the_state_as_before_and_the_next_up_converges(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path
) -> None:
    """PULUMI_SKIP_CHECKPOINTS=true: the engine writes the state only when `up` ends. Killed
    mid-way, the state is as before the `up` (here: no domain, no pending operation), although
    main's PUT was answered; the next `up` PUTs both again (create adopts by an idempotent PUT),
    and nothing is lost."""
    project = tmp_path / "skipped"
    domains_program(
        project, {"main": domain(MAIN, 2), "shop": domain(SHOP, 3, dependsOn=["${main}"])}
    )
    configure(yaml_cli, project, emulator.url)
    with up_killed_mid_way(yaml_cli, emulator, project, {**yaml_cli.env, **SKIP_CHECKPOINTS}):
        pass
    assert emulator.domains[MAIN]["antispam_level"] == 2  # main's PUT was answered

    state = json.loads(yaml_cli.run("stack", "export", cwd=project).stdout)["deployment"]
    assert [r for r in state.get("resources") or [] if r["type"] == TYPE] == []
    assert not state.get("pending_operations")

    yaml_cli.run("cancel", "--yes", cwd=project)
    emulator.clear_log()
    skipped = {**yaml_cli.env, **SKIP_CHECKPOINTS}
    up = [str(yaml_cli.cli), "up", "--yes", "--skip-preview", "--non-interactive"]
    subprocess.run(up, cwd=project, env=skipped, check=True, capture_output=True, timeout=300)
    assert sorted(puts(emulator)) == [
        (f"/api/domains/{MAIN}", {"antispam_level": 2}),
        (f"/api/domains/{SHOP}", {"antispam_level": 3}),
    ]
    state = json.loads(yaml_cli.run("stack", "export", cwd=project).stdout)["deployment"]
    assert sorted(r["id"] for r in state["resources"] if r["type"] == TYPE) == [MAIN, SHOP]
    yaml_cli.run("preview", "--expect-no-changes", cwd=project)


# ---- the released plugin ------------------------------------------------------------------------
@pytest.fixture
def released_plugin(tmp_path: Path) -> Path:
    """This platform's plugin tarball as `dev.py dist` builds it (frozen once per source state)."""
    try:
        metadata.version("pyinstaller")
    except metadata.PackageNotFoundError:
        pytest.skip(
            f"PyInstaller is not installed in {sys.executable} (`python3 dev.py test` installs "
            "the dist extra), so the self-contained plugin cannot be built"
        )
    try:
        return dist.plugin_tarball(tmp_path / "dist")
    except dist.DistError as exc:
        pytest.fail(f"the plugin could not be frozen: {exc}")


def without_python_plugin(cli: CliEnv) -> None:
    """PATH as a machine without Python's plugin: the CLI, then what holds no qboxmail plugin."""
    rest = [d for d in cli.env["PATH"].split(os.pathsep)[1:] if not (Path(d) / PLUGIN).exists()]
    cli.env["PATH"] = os.pathsep.join([str(cli.cli.parent), *rest])
    assert shutil.which(PLUGIN, path=cli.env["PATH"]) is None


def test_the_released_plugin_installs_from_its_tarball_and_runs_the_yaml_example_without_python(
    yaml_cli: CliEnv, emulator: Emulator, tmp_path: Path, released_plugin: Path
) -> None:
    # yaml_cli comes first: without a CLI the test skips before anything is frozen.
    without_python_plugin(yaml_cli)
    # The one-file executable unpacks itself here at each start and must clean up at each stop.
    unpacked = tmp_path / "tmp"
    unpacked.mkdir()
    yaml_cli.env["TMPDIR"] = str(unpacked)
    install = ("plugin", "install", "resource", "qboxmail", f"v{VERSION}")
    printed = [yaml_cli.run(*install, "--file", str(released_plugin), cwd=tmp_path)]
    listed = json.loads(yaml_cli.run("plugin", "ls", "--json", cwd=tmp_path).stdout)
    assert [(p["name"], p["kind"], p["version"]) for p in listed] == [
        ("qboxmail", "resource", VERSION)
    ]
    installed = Path(yaml_cli.env["PULUMI_HOME"]) / "plugins" / f"resource-qboxmail-v{VERSION}"
    assert not (installed / dist.executable_name()).read_bytes().startswith(b"#!")  # no script
    served = json.loads(yaml_cli.run("package", "get-schema", "qboxmail", cwd=tmp_path).stdout)
    assert (served["version"], served["pluginDownloadURL"]) == (VERSION, OUR_SERVER)

    project = yaml_project(tmp_path / "yaml", plugin=False)
    configure(yaml_cli, project, emulator.url, mainDomainCode=MAIN, shopDomainCode=SHOP)
    printed.append(yaml_cli.run("preview", cwd=project))
    assert "+ 3 to create" in printed[-1].stdout
    assert emulator.requests == []
    printed.append(yaml_cli.run("up", "--yes", cwd=project))
    assert sorted(puts(emulator)) == [
        (f"/api/domains/{MAIN}", MAIN_BODY),
        (f"/api/domains/{SHOP}", SHOP_BODY),
    ]
    emulator.clear_log()
    printed.append(yaml_cli.run("preview", "--expect-no-changes", cwd=project))
    assert puts(emulator) == []
    for proc in printed:
        assert "from $PATH" not in proc.stdout + proc.stderr
        assert "warning:" not in proc.stdout + proc.stderr
    # The engine waits up to 5 s for a stopped plugin; give a loaded machine as long to finish.
    deadline = time.monotonic() + 5
    while list(unpacked.glob("_MEI*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(unpacked.glob("_MEI*")) == []


def test_a_missing_plugin_is_fetched_from_our_releases_not_pulumis(
    cli_env: CliEnv, tmp_path: Path
) -> None:
    # The README's install command, with the server every generated SDK names (the schema's).
    server = schema.package_schema()["pluginDownloadURL"]
    del cli_env.env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"]
    without_python_plugin(cli_env)
    failed = cli_env.run(
        "plugin",
        "install",
        "resource",
        "qboxmail",
        f"v{VERSION}",
        "--server",
        server,
        cwd=tmp_path,
        ok=False,
    )
    assert failed.returncode != 0
    printed = failed.stdout + failed.stderr
    # No network here: the download fails, and the message shows where it was looked for.
    assert OUR_RELEASE in printed
    assert "repos/pulumi/pulumi-qboxmail" not in printed


def test_a_yaml_program_missing_the_plugin_is_sent_to_our_releases_not_pulumis(
    yaml_cli: CliEnv, tmp_path: Path
) -> None:
    # YAML's SDK, generated from the schema as for any language: a lock file that carries the
    # pluginDownloadURL. Made while the plugin is reachable, then the plugin is taken away.
    project = yaml_project(tmp_path / "yaml", plugin=False)
    sdk = ("package", "gen-sdk", str(PLUGIN_DIR / PLUGIN), "--language", "yaml", "--out", "sdks")
    yaml_cli.run(*sdk, cwd=project)
    lock = yaml.safe_load((project / "sdks" / "yaml" / f"qboxmail-{VERSION}.yaml").read_text())
    assert lock == {
        "packageDeclarationVersion": 1,
        "name": "qboxmail",
        "version": VERSION,
        "downloadUrl": OUR_SERVER,
    }
    del yaml_cli.env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"]
    without_python_plugin(yaml_cli)
    # Nothing listens there: the preview must stop at the plugin, before any call.
    configure(yaml_cli, project, "http://127.0.0.1:9", mainDomainCode=MAIN, shopDomainCode=SHOP)
    failed = yaml_cli.run("preview", cwd=project, ok=False)
    assert failed.returncode != 0
    printed = failed.stdout + failed.stderr
    # No network here: the download fails, and the message shows where it was looked for.
    assert OUR_RELEASE in printed
    assert "repos/pulumi/pulumi-qboxmail" not in printed
