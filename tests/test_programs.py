"""The example programs under `pulumi.runtime.set_mocks`: what they register, and how they fail.

Each test runs a program with `runpy.run_path`, the way the Pulumi Python runtime does, and looks
at what reached the resource monitor: the raw RegisterResourceRequest (a MockMonitor subclass
keeps it), so secret wrappers and `additionalSecretOutputs` are visible as the engine sees them.
"""

from __future__ import annotations

import base64
import pickle
import runpy
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import dill
import pulumi
import pytest
import yaml
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.stack import Stack

from pulumi_qboxmail import QboxDomainSettingsProvider

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"
FLEET = ROOT / "examples" / "fleet"
TYPE = "pulumi-python:dynamic/qboxmail:DomainSettings"
PROVIDER = serialize_provider(QboxDomainSettingsProvider())
SECRET_OUTPUTS = ["postmaster_password"]

# What the quickstart registers besides domain_code. Numbers are doubles on the wire.
QUICKSTART_SETTINGS: dict[str, Any] = {
    "antispam_level": 3.0,
    "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
    "force_otp": True,
    "password_expiration": 6.0,
    "webmail_language": "en",
    "webmail_timezone": "Europe/Rome",
}

# fleet.yaml's policy, restated as registered, and each domain's overrides on top of it.
FLEET_POLICY: dict[str, Any] = {
    "antispam_level": 2.0,
    "allow_nets": ["192.0.2.0/24", "198.51.100.7"],
    "force_otp": True,
    "password_expiration": 6.0,
    "block_old_password": True,
    "force_password_first_login": True,
    "webmail_language": "en",
    "webmail_time_format": "24h",
    "webmail_timezone": "Europe/Rome",
}
FLEET_DOMAINS: dict[str, dict[str, Any]] = {
    "example.com": {"domain_code": "D100000001"},
    "example.it": {"domain_code": "D100000002", "webmail_language": "it"},
    "example.es": {
        "domain_code": "D100000003",
        "antispam_level": 3.0,
        "webmail_language": "es",
        "webmail_timezone": "Europe/Madrid",
    },
    "example.net": {
        "domain_code": "D100000004",
        "force_otp": False,
        "webmail_time_format": "12h",
        "webmail_timezone": "America/New_York",
    },
}


class EngineLikeMocks(pulumi.runtime.Mocks):
    """Answers as the engine does for a dynamic resource: its outputs are its inputs."""

    def __init__(self, preview: bool) -> None:
        self.preview = preview

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = {k: v for k, v in args.inputs.items() if k != "__provider"}
        # A resource about to be created has no id yet during a preview.
        return ("" if self.preview else outputs["domain_code"]), outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps the raw RegisterResourceRequest of every custom resource."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.requests.append(request)
        return super().RegisterResource(request)

    def registered(self) -> dict[str, dict[str, Any]]:
        """Name -> inputs as sent, secret wrappers kept, unknowns kept as Unknown."""
        found: dict[str, dict[str, Any]] = {}
        for request in self.requests:
            assert request.type == TYPE
            found[request.name] = rpc.deserialize_properties(request.object, keep_unknowns=True)
        return found


class ProgramRun:
    """One program run under fresh mocks: the monitor that saw it and the stack's exports."""

    def __init__(
        self,
        program: Path,
        *,
        project: str,
        preview: bool = False,
        config: Mapping[str, str] | None = None,
        secret_keys: Sequence[str] = (),
    ) -> None:
        self.program = program
        self.exports: dict[str, Any] = {}
        pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys))
        mocks = EngineLikeMocks(preview)
        self.monitor = RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(
            mocks, project=project, stack="test", preview=preview, monitor=self.monitor
        )

    def execute(self) -> ProgramRun:
        """Run the program directory as `pulumi up` (or `preview`) would; raise what it raises."""

        @pulumi.runtime.test
        def run() -> pulumi.Output[None]:
            runpy.run_path(str(self.program), run_name="__main__")
            stack = cast(Stack, settings.get_root_resource())
            return pulumi.Output.all(**stack.outputs).apply(self.exports.update)

        run()
        return self

    def inputs(self) -> dict[str, dict[str, Any]]:
        """Name -> inputs without the serialized provider."""
        return {
            name: {k: v for k, v in inputs.items() if k != "__provider"}
            for name, inputs in self.monitor.registered().items()
        }


def _reset_runtime() -> None:
    # set_mocks, the root stack resource and the config live in process-wide state.
    settings.reset_options()
    pulumi.runtime.set_all_config({}, [])


@pytest.fixture(autouse=True)
def clean_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Give every test a runtime with no mocks, no stack, no config and no FLEET_FILE."""
    monkeypatch.delenv("FLEET_FILE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    _reset_runtime()
    yield
    _reset_runtime()


def run_quickstart(config: Mapping[str, str] | None = None, **kwargs: Any) -> ProgramRun:
    """The quickstart as `pulumi up` runs it after `pulumi config set domainCode D123456789`."""
    config = {"qboxmail-quickstart:domainCode": "D123456789", **(config or {})}
    return ProgramRun(QUICKSTART, project="qboxmail-quickstart", config=config, **kwargs).execute()


def run_fleet(**kwargs: Any) -> ProgramRun:
    return ProgramRun(FLEET, project="qboxmail-fleet", **kwargs).execute()


def assert_doubles(inputs: Mapping[str, Any]) -> None:
    """Every number a program registers reaches the engine as a double, never as an int."""
    for name, value in inputs.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert type(value) is float, name


def test_quickstart_registers_the_configured_domain_with_its_settings() -> None:
    run = run_quickstart(config={"qboxmail-quickstart:domainCode": "D000000042"})

    assert run.inputs() == {"domain": {"domain_code": "D000000042", **QUICKSTART_SETTINGS}}
    assert_doubles(run.inputs()["domain"])
    assert run.exports == {
        "domain_code": "D000000042",
        "antispam_level": 3,
        "allow_nets": ["192.0.2.0/24", "2001:db8::/32"],
    }


def test_quickstart_without_a_domain_code_fails_saying_which_config_to_set() -> None:
    run = ProgramRun(QUICKSTART, project="qboxmail-quickstart")
    with pytest.raises(pulumi.ConfigMissingError) as info:
        run.execute()

    assert str(info.value) == (
        "Missing required configuration variable 'qboxmail-quickstart:domainCode'\n"
        "\tplease set a value using the command "
        "`pulumi config set qboxmail-quickstart:domainCode <value>`"
    )
    assert run.monitor.requests == []  # never a placeholder domain


@pytest.mark.parametrize("project_file", ["Pulumi.yaml", "examples/quickstart/Pulumi.yaml"])
def test_quickstart_reads_the_domain_code_of_whichever_project_runs_it(project_file: str) -> None:
    project = yaml.safe_load((ROOT / project_file).read_text(encoding="utf-8"))["name"]
    run = ProgramRun(QUICKSTART, project=project, config={f"{project}:domainCode": "D000000007"})

    assert run.execute().inputs()["domain"]["domain_code"] == "D000000007"


def test_the_root_and_the_quickstart_are_distinct_projects_so_stacks_never_share_state() -> None:
    names = [
        yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))["name"]
        for path in ("Pulumi.yaml", "examples/quickstart/Pulumi.yaml", "examples/fleet/Pulumi.yaml")
    ]
    assert len(set(names)) == 3, names


def test_quickstart_registers_a_plain_tiny_by_reference_provider_without_the_token() -> None:
    token = "qbx-token-never-in-state-7d41"
    run = run_quickstart(
        config={"qboxmail:apiToken": token, "qboxmail:endpoint": "http://127.0.0.1:9"},
        secret_keys=["qboxmail:apiToken"],
    )

    [request] = run.monitor.requests
    provider = run.monitor.registered()["domain"]["__provider"]
    assert not rpc.is_rpc_secret(provider)  # serialize_as_secret_always = False
    assert provider == PROVIDER
    assert len(provider) < 200  # a class pickled by value would be kilobytes
    pickled = base64.b64decode(provider)
    assert b"pulumi_qboxmail.provider" in pickled and b"QboxDomainSettingsProvider" in pickled
    assert type(dill.loads(pickled)) is QboxDomainSettingsProvider
    # The program never reads the token: it must not ride along anywhere in the registration.
    assert token.encode() not in request.SerializeToString()


@pytest.mark.parametrize("secret_config", [True, False], ids=["secret-config", "plain-config"])
def test_quickstart_registers_the_postmaster_password_as_a_secret(secret_config: bool) -> None:
    key = "qboxmail-quickstart:postmasterPassword"
    run = run_quickstart(
        config={key: "Postmaster2024x"}, secret_keys=[key] if secret_config else []
    )

    [request] = run.monitor.requests
    registered = run.monitor.registered()["domain"]
    # config.get_secret wraps it even when the config value itself was not marked secret; the
    # resource's own wrap of a plain string is test_a_plain_string_password_is_registered_as_a_secret.
    assert registered["postmaster_password"] == rpc.wrap_rpc_secret("Postmaster2024x")
    assert list(request.additionalSecretOutputs) == SECRET_OUTPUTS
    assert run.inputs()["domain"] == {
        "domain_code": "D123456789",
        "postmaster_password": rpc.wrap_rpc_secret("Postmaster2024x"),
        **QUICKSTART_SETTINGS,
    }
    assert "Postmaster2024x" not in str(run.exports)


PLAIN_PASSWORD_PROGRAM = """\
from pulumi_qboxmail import QboxDomainSettings, QboxDomainSettingsArgs

QboxDomainSettings("keywords", domain_code="D100000011", postmaster_password="Plain2024pass")
QboxDomainSettings(
    "args",
    QboxDomainSettingsArgs(
        domain_code="D100000012",
        postmaster_password="Plain2024pass",
        postmaster_password_confirmation="Plain2024pass",
    ),
)
"""


def test_a_plain_string_password_is_registered_as_a_secret(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text(PLAIN_PASSWORD_PROGRAM, encoding="utf-8")
    run = ProgramRun(tmp_path, project="plain-password").execute()

    secret = rpc.wrap_rpc_secret("Plain2024pass")
    assert run.inputs() == {
        "keywords": {"domain_code": "D100000011", "postmaster_password": secret},
        "args": {
            "domain_code": "D100000012",
            "postmaster_password": secret,
            "postmaster_password_confirmation": secret,
        },
    }
    for request in run.monitor.requests:
        assert list(request.additionalSecretOutputs) == SECRET_OUTPUTS


def test_quickstart_without_password_registers_none_but_still_lists_it_secret() -> None:
    run = run_quickstart()

    [request] = run.monitor.requests
    assert "postmaster_password" not in run.monitor.registered()["domain"]
    assert list(request.additionalSecretOutputs) == SECRET_OUTPUTS


def test_fleet_registers_one_resource_per_domain_with_policy_merged_under_overrides() -> None:
    run = run_fleet()

    expected = {name: {**FLEET_POLICY, **own} for name, own in FLEET_DOMAINS.items()}
    assert [request.name for request in run.monitor.requests] == list(FLEET_DOMAINS)
    assert run.inputs() == expected
    for inputs in run.inputs().values():
        assert_doubles(inputs)
    for request in run.monitor.requests:
        assert list(request.additionalSecretOutputs) == SECRET_OUTPUTS
    for inputs in run.monitor.registered().values():
        assert inputs["__provider"] == PROVIDER


def test_fleet_exports_a_summary_of_the_applied_settings() -> None:
    run = run_fleet()

    assert run.exports == {
        "domains": {
            "example.com": {
                "code": "D100000001",
                "antispam_level": 2,
                "force_otp": True,
                "password_expiration": 6,
                "webmail_language": "en",
                "webmail_timezone": "Europe/Rome",
            },
            "example.it": {
                "code": "D100000002",
                "antispam_level": 2,
                "force_otp": True,
                "password_expiration": 6,
                "webmail_language": "it",
                "webmail_timezone": "Europe/Rome",
            },
            "example.es": {
                "code": "D100000003",
                "antispam_level": 3,
                "force_otp": True,
                "password_expiration": 6,
                "webmail_language": "es",
                "webmail_timezone": "Europe/Madrid",
            },
            "example.net": {
                "code": "D100000004",
                "antispam_level": 2,
                "force_otp": False,
                "password_expiration": 6,
                "webmail_language": "en",
                "webmail_timezone": "America/New_York",
            },
        }
    }


def test_fleet_inputs_pass_the_provider_check_as_the_engine_sends_them() -> None:
    run = run_fleet()

    provider = QboxDomainSettingsProvider()
    for name, inputs in run.monitor.registered().items():
        result = provider.check({}, {k: rpc.unwrap_rpc_secret(v) for k, v in inputs.items()})
        assert result.failures == [], name


BAD_FLEET = """\
policy:
  antispam_level: 2
  webmail_time_format: 24h
domains:
  - code: D200000001
    name: good.example
    overrides: {}
  - code: D200000002
    name: typo.example
    overrides:
      force_otpp: true
  - code: D2000003
    name: short-code.example
    overrides:
      antispam_level: 7
      webmail_timezone: Europe/Rom
"""


def failed_fleet(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, preview: bool = False
) -> tuple[Path, str, ProgramRun]:
    """The fleet run on a fleet file of `text`: the file, the RunError's message, and the run."""
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("FLEET_FILE", str(path))
    run = ProgramRun(FLEET, project="qboxmail-fleet", preview=preview)
    with pytest.raises(pulumi.RunError) as info:
        run.execute()
    return path, str(info.value), run


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_fleet_with_a_bad_file_fails_naming_domain_and_field_before_registering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preview: bool
) -> None:
    bad, message, run = failed_fleet(BAD_FLEET, tmp_path, monkeypatch, preview=preview)

    assert message == (
        f"{bad} has 4 invalid setting(s):\n"
        "  typo.example (D200000002): force_otpp: is not a QboxDomainSettings input; "
        'did you mean "force_otp"?\n'
        "  short-code.example (D2000003): domain_code: must be D followed by exactly 9 digits, "
        'e.g. D123456789; got "D2000003"\n'
        "  short-code.example (D2000003): antispam_level: must be one of 0 (disabled), "
        "1 (permissive), 2 (standard), 3 (aggressive); got 7\n"
        "  short-code.example (D2000003): webmail_timezone: must be an IANA time zone name such "
        'as "Europe/Rome" or "UTC" (did you mean "Europe/Rome"?); got "Europe/Rom"'
    )
    assert pulumi.runtime.is_dry_run() is preview
    # The good domain is not registered either: one typo stops the whole fleet.
    assert run.monitor.requests == []


def test_fleet_refuses_a_domain_listed_twice_naming_both_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "policy: {antispam_level: 2}\n"
        "domains:\n"
        "  - {code: D200000001, name: main.example, overrides: {}}\n"
        "  - {code: D200000002, name: other.example, overrides: {}}\n"
        "  - {code: D200000001, name: copy.example, overrides: {antispam_level: 3}}\n"
    )
    twice, message, run = failed_fleet(text, tmp_path, monkeypatch)

    assert message == (
        f"{twice} has 1 invalid setting(s):\n"
        "  copy.example (D200000001): domain_code: D200000001 is already managed by "
        "'main.example' in this stack; 'copy.example' cannot manage it too: one domain has one "
        "owner, or the two would overwrite each other's settings"
    )
    assert run.monitor.requests == []


def test_fleet_reads_the_file_named_by_the_fleet_file_config_key(tmp_path: Path) -> None:
    other = tmp_path / "one.yaml"
    other.write_text(
        "policy: {antispam_level: 1}\n"
        "domains: [{code: D300000001, name: solo.example, overrides: {force_otp: true}}]\n",
        encoding="utf-8",
    )

    run = run_fleet(config={"qboxmail-fleet:fleetFile": str(other)})

    assert run.inputs() == {
        "solo.example": {"domain_code": "D300000001", "antispam_level": 1.0, "force_otp": True}
    }


@pytest.mark.parametrize("program", ["quickstart", "fleet"])
def test_preview_registers_exactly_what_up_registers(program: str) -> None:
    runner = run_quickstart if program == "quickstart" else run_fleet

    up = runner(preview=False)
    _reset_runtime()
    preview = runner(preview=True)

    assert pulumi.runtime.is_dry_run() is True
    assert preview.monitor.registered() == up.monitor.registered()
    assert [r.additionalSecretOutputs for r in preview.monitor.requests] == [
        r.additionalSecretOutputs for r in up.monitor.requests
    ]
    assert preview.exports == up.exports


def test_readme_quickstart_is_the_quickstart_example() -> None:
    readme = (ROOT / "README.md").read_text()
    program = (ROOT / "examples" / "quickstart" / "__main__.py").read_text()
    block = readme.split("   ```python\n", 1)[1].split("   ```\n", 1)[0]
    assert "\n".join(line.removeprefix("   ") for line in block.splitlines()) + "\n" == program


SCALE_PROGRAM = """\
from pulumi_qboxmail import QboxDomainSettings

for i in range({count}):
    QboxDomainSettings(f"domain-{{i}}", domain_code=f"D{{{first} + i}}", antispam_level=2)
"""


def test_two_programs_of_2000_domains_in_one_process_register_every_domain_alike(
    tmp_path: Path,
) -> None:
    """The SDK's serializer would leave the pickler one frame deeper per resource: RecursionError."""
    pickler = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    for first in (500_000_000, 600_000_000):
        program = tmp_path / str(first)
        program.mkdir()
        text = SCALE_PROGRAM.format(count=2000, first=first)
        (program / "__main__.py").write_text(text, encoding="utf-8")
        run = ProgramRun(program, project="scale").execute()

        registered = run.monitor.registered()
        assert len(registered) == 2000
        assert registered["domain-1999"]["domain_code"] == f"D{first + 1999}"
        assert {inputs["__provider"] for inputs in registered.values()} == {PROVIDER}
        _reset_runtime()
    assert pickle._Pickler._batch_setitems is pickler  # type: ignore[attr-defined]
