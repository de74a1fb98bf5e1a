"""Reports from the rule pipeline through the CLI: `check --grants/--policy/--format sarif`,
`list`/`show` over a workspace (spec §4.3, §7.3), `explain`, `graph`, and the README's main
command. Every package is real: manifests and wasm built in tmp_path, archives written with
write_archive, configs bound to the real digests.

Isolation: XDG_DATA_HOME points at an empty folder, so the user store is empty unless a test
fills it. There is no builtin store (spec §3.2, §5.5): a workspace lists only what its stores
and its config hold.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import jsonschema
import pytest
import wasmtime
from click.testing import CliRunner

from engine.cli.main import cli
from engine.package.archive import write_archive
from engine.package.materialize import load_package_path
from engine.package.model import Package
from wasm_builders import INSTANCE_WORLD_EXPORTS, TOOL_WORLD_EXPORTS, component

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = ROOT / "tests" / "report" / "fixtures" / "sarif-schema-2.1.0.json"
EXAMPLES_WORKSPACE = ROOT / "examples" / "workspace"

TOOL_COMPONENT = component(TOOL_WORLD_EXPORTS)
INSTANCE_COMPONENT = component(INSTANCE_WORLD_EXPORTS)
# A raw yoi-plugin-wasm-1 module whose start function traps: any execution would fail loudly.
TRAPPING_RAW_MODULE = wasmtime.wat2wasm(
    '(module (memory (export "memory") 1) (func $boom unreachable) (start $boom)'
    ' (func (export "yoi_tool_call")))'
)

ITEM_KEYS = [  # spec §4.3, exact names and order; ours follow
    "reference", "local_ref", "status", "source", "package", "package_path", "version", "schema_version",
    "api_version", "digest", "configured", "discovered", "resolved", "static_eligible", "declared_surfaces",
    "enabled_surfaces", "requested_permissions", "configured_grants", "configured_https_grants",
    "configured_request_grants", "configured_websocket_grants", "configured_fs_grants", "tools", "static_runtime",
    "diagnostics",
]
# spec §4.1's tool fields but `permission` (it is `tool.<name>`), then the indexes of its findings
TOOL_KEYS = ["name", "requested", "granted", "eligible", "external_write", "diagnostic", "findings"]
STATUSES = {"active", "partial", "rejected", "disabled", "missing"}


# -- packages and configs ------------------------------------------------------------------------

def surface(name: str) -> str:
    return f'{{ kind = "surface", surface = "{name}" }}'


def item(kind: str, name: str) -> str:
    return f'{{ kind = "{kind}", name = "{name}" }}'


def tool_table(name: str, schema: str = '{ type = "object" }') -> str:
    return f'\n[[tools]]\nname = "{name}"\ndescription = "Tool {name}."\ninput_schema = {schema}\n'


def manifest(pkg_id: str, tools=("Echo",), *, runtime: str = "tool", services=(), ingresses=(),
             requested=None, schema_version: int = 1, version: str = "1.0.0", tables: str | None = None) -> str:
    """A plugin.toml requesting exactly what it declares (unless `requested` says otherwise)."""
    surfaces = (["tool"] if tools else []) + (["service"] if services else []) + (["ingress"] if ingresses else [])
    if requested is None:
        requested = [surface(s) for s in surfaces] + [item("tool", t) for t in tools]
        requested += [item("service", s) for s in services] + [item("ingress", i) for i in ingresses]
    runtimes = {
        "tool": 'kind = "wasm-component"\ncomponent = "plugin.wasm"\nworld = "yoi:plugin/tool@1.0.0"',
        "instance": 'kind = "wasm-component"\ncomponent = "plugin.wasm"\nworld = "yoi:plugin/instance@1.0.0"',
        "raw": 'kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "plugin.wasm"',
    }
    text = (
        f'schema_version = {schema_version}\nid = "{pkg_id}"\nname = "{pkg_id}"\nversion = "{version}"\n'
        f"surfaces = {json.dumps(surfaces)}\npermissions = [\n" + "".join(f"  {p},\n" for p in requested) + "]\n\n"
        f"[runtime]\n{runtimes[runtime]}\n"
    )
    text += tables if tables is not None else "".join(tool_table(t) for t in tools)
    text += "".join(f'\n[[services]]\nname = "{s}"\ndescription = "Service {s}."\n' for s in services)
    text += "".join(f'\n[[ingresses]]\nname = "{i}"\ndescription = "Ingress {i}."\n' for i in ingresses)
    return text


def files_for(text: str, artifact: bytes | None = TOOL_COMPONENT) -> dict[str, bytes]:
    files = {"plugin.toml": text.encode()}
    if artifact is not None:
        files["plugin.wasm"] = artifact
    return files


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    return root


def enablement(ref: str, package: Package | None, surfaces=("tool",), grants=(), *, bind: bool = True,
               pin_digest: str | None = None) -> str:
    """One [[plugins.enabled]] table; grants bound to `package` (id, version, digest) when `bind`."""
    lines = ["[[plugins.enabled]]", f'id = "{ref}"']
    if pin_digest is not None:
        lines.append(f'digest = "{pin_digest}"')
    lines.append(f"surfaces = {json.dumps(list(surfaces))}")
    lines.append("[plugins.enabled.grants]")
    if bind and package is not None:
        lines += [f'id = "{ref}"', f'version = "{package.manifest.version}"', f'digest = "{package.digest}"']
    lines.append("permissions = [" + ", ".join(grants) + "]")
    return "\n".join(lines) + "\n"


class Workspace:
    """A workspace in tmp_path: project store `.yoi/plugins`, config `.yoi/config.toml`."""

    def __init__(self, root: Path, user_home: Path):
        self.root = root
        self.store = root / ".yoi" / "plugins"
        self.store.mkdir(parents=True)
        self.user_store = user_home / "yoi" / "plugins"

    def add(self, name: str, files: dict[str, bytes], *, user: bool = False) -> Path:
        store = self.user_store if user else self.store
        store.mkdir(parents=True, exist_ok=True)
        path = store / f"{name}.yoi-plugin"
        path.write_bytes(write_archive(files))
        return path

    def package(self, name: str, *, user: bool = False) -> Package:
        return load_package_path((self.user_store if user else self.store) / f"{name}.yoi-plugin")

    def configure(self, *tables: str) -> Path:
        config = self.root / ".yoi" / "config.toml"
        config.write_text("\n".join(tables))
        return config

    def run(self, *args: str):
        return CliRunner().invoke(cli, ["plugin", *args, "--workspace", str(self.root)])

    def list_json(self) -> dict:
        done = self.run("list", "--json")
        assert done.exit_code == 0, done.output
        report = json.loads(done.stdout)
        assert report["workspace"] == str(self.root.resolve())
        for entry in report["items"]:
            assert list(entry)[: len(ITEM_KEYS)] == ITEM_KEYS
            assert entry["status"] in STATUSES
        return report

    def items(self) -> dict[str, dict]:
        """Items by reference; nothing comes from a hidden store."""
        items = {entry["reference"]: entry for entry in self.list_json()["items"]}
        assert not any(entry["source"] == "builtin" for entry in items.values())
        return items

    def show_json(self, ref: str) -> dict:
        done = self.run("show", ref, "--json")
        assert done.exit_code == 0, done.output
        return json.loads(done.stdout)


@pytest.fixture(autouse=True)
def user_home(tmp_path, monkeypatch) -> Path:
    """Every test sees an empty user store (XDG_DATA_HOME), whatever this machine holds."""
    home = tmp_path / "xdg"
    home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def ws(tmp_path, user_home) -> Workspace:
    return Workspace(tmp_path / "ws", user_home)


def echo_workspace(ws: Workspace, *, artifact: bytes = TOOL_COMPONENT, runtime: str = "tool") -> Package:
    ws.add("echo", files_for(manifest("example.echo", runtime=runtime), artifact))
    return ws.package("echo")


def grant_tools(*names: str) -> list[str]:
    return [surface("tool")] + [item("tool", n) for n in names]


def diagnostics_of(entry: dict, kind: str | None = None) -> list[str]:
    return [d["message"] for d in entry["diagnostics"] if kind is None or d["kind"] == kind]


def denials_of(entry: dict) -> list[str]:
    """The item's denials: each is said once, in its `conclusions` (issue 16 point 7)."""
    return [c["message"] for c in entry["conclusions"] if c["severity"] == "deny"]


# -- check --grants and --policy -----------------------------------------------------------------

def check(*args: str):
    return CliRunner().invoke(cli, ["plugin", "check", *args])


def instance_package(tmp_path: Path) -> tuple[Path, Package]:
    text = manifest("example.inst", runtime="instance", services=("svc",), ingresses=("events",))
    folder = write_folder(tmp_path / "inst", files_for(text, INSTANCE_COMPONENT))
    return folder, load_package_path(folder)


def grants_file(tmp_path: Path, *tables: str) -> Path:
    path = tmp_path / "grants.toml"
    path.write_text("\n".join(tables))
    return path


def test_check_with_grants_is_active_when_everything_is_granted(tmp_path):
    folder, package = instance_package(tmp_path)
    grants = [surface("tool"), surface("service"), surface("ingress"), item("tool", "Echo"),
              item("service", "svc"), item("ingress", "events")]
    config = grants_file(tmp_path, enablement("project:example.inst", package, ["tool", "service", "ingress"], grants))
    done = check(str(folder), "--grants", str(config), "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["status"], report["grants"], report["diagnostics"]) == ("active", "configured", [])
    inspection = report["inspection"]
    assert [(e["name"], e["eligible"]) for key in ("tools", "services", "ingresses") for e in inspection[key]] == [
        ("Echo", True), ("svc", True), ("events", True)]


def test_check_with_grants_missing_ingress_is_rejected_and_tool_stays_eligible(tmp_path):
    # Issue 8: under --grants an ungranted item rejects in check (the gate view), while the
    # per-surface inspection (what startup would start) keeps the good tool and service.
    folder, package = instance_package(tmp_path)
    grants = [surface("tool"), surface("service"), item("tool", "Echo"), item("service", "svc")]
    config = grants_file(tmp_path, enablement("project:example.inst", package, ["tool", "service", "ingress"], grants))
    done = check(str(folder), "--grants", str(config), "--json")
    assert done.exit_code == 1, done.output
    report = json.loads(done.stdout)
    assert report["status"] == "rejected" and report["grants"] == "configured"
    assert report["verdict_view"] == "gate"
    inspection = report["inspection"]
    assert inspection["tools"][0]["eligible"] and inspection["services"][0]["eligible"]
    [ingress] = inspection["ingresses"]
    assert (ingress["eligible"], ingress["granted"]) == (False, False)
    assert ingress["diagnostic"] == "granted surfaces.ingress permission is missing"
    [denial] = report["diagnostics"]
    assert (denial["kind"], denial["code"], denial["severity"]) == ("grant", "surface_not_granted", "deny")
    assert "granted surfaces.ingress permission is missing" in denial["message"]
    lines = (folder / "plugin.toml").read_text().splitlines()
    assert lines[denial["location"]["line"] - 1] == "[[ingresses]]"
    human = check(str(folder), "--grants", str(config)).stdout.splitlines()
    assert "tools: Echo=eligible" in human and "ingresses: events=denied" in human


def test_check_with_grants_that_do_not_enable_the_package_exits_1(tmp_path):
    folder, package = instance_package(tmp_path)
    config = grants_file(tmp_path, enablement("project:someone.else", package, ["tool"], grant_tools("Echo")))
    done = check(str(folder), "--grants", str(config), "--json")
    assert done.exit_code == 1
    assert "does not enable" in done.stderr and done.stderr.startswith("yoi plugin: ")
    report = json.loads(done.stdout)
    assert report["status"] == "disabled" and report["grants"] == "configured"
    assert "no enablement for `project:example.inst`" in report["next_steps"][0]
    human = check(str(folder), "--grants", str(config)).stdout.splitlines()
    assert human[0] == f"plugin check: {folder} [disabled] input_kind=directory"
    assert human[2] == ("enablement guidance: the grants file does not enable this package; add an enablement "
                        "for its reference to judge it; this command does not mutate config")


def test_check_with_grants_bound_to_another_digest_is_rejected_once_with_its_location(tmp_path):
    folder, package = instance_package(tmp_path)
    table = enablement("project:example.inst", package, ["tool"], grant_tools("Echo"))
    config = grants_file(tmp_path, "# grants\n", table.replace(package.digest, "sha256:" + "0" * 64))
    done = check(str(folder), "--grants", str(config), "--json")
    assert done.exit_code == 1
    report = json.loads(done.stdout)
    assert report["status"] == "rejected"
    [diagnostic] = report["diagnostics"]
    assert diagnostic["message"] == "plugin grant digest binding does not match enabled package digest"
    assert (diagnostic["kind"], diagnostic["code"]) == ("grant", "binding_digest_mismatch")
    # one owner, resolution (issue 16), which points at the grant's `digest` key (issue 22)
    lines = config.read_text().splitlines()
    assert diagnostic["location"]["file"] == str(config)
    assert lines[diagnostic["location"]["line"] - 1] == 'digest = "sha256:' + "0" * 64 + '"'
    assert lines.index("[plugins.enabled.grants]") < diagnostic["location"]["line"] - 1
    assert all(not t["eligible"] for t in report["inspection"]["tools"])


def test_check_with_grants_selecting_an_undeclared_surface_is_rejected(tmp_path):
    folder, package = instance_package(tmp_path)
    config = grants_file(tmp_path, enablement("project:example.inst", package, ["tool", "hook"], grant_tools("Echo")))
    done = check(str(folder), "--grants", str(config), "--json")
    assert done.exit_code == 1
    report = json.loads(done.stdout)
    assert report["status"] == "rejected"
    (diagnostic,) = report["diagnostics"]
    # every finding has severity and code besides the reference's keys (one finding form, issue 16)
    assert diagnostic == {"kind": "surface", "phase": "resolution",
                          "message": "enabled plugin requested undeclared surface `hook`",
                          "severity": "deny", "code": "resolution.surface",
                          "location": {"file": str(config), "line": diagnostic["location"]["line"], "column": 21}}
    # at the `"hook"` item of the enablement's `surfaces`
    assert config.read_text().splitlines()[diagnostic["location"]["line"] - 1][20:26] == '"hook"'



@pytest.mark.parametrize(("content", "expected"), [
    ("[[plugins.enabled]\n", "could not be parsed"),
    ('[[plugins.enabled]]\nid = "project:x"\nbogus = 1\n', "bogus"),
    (None, "could not be read"),
])
def test_check_with_a_bad_grants_file_exits_2(tmp_path, content, expected):
    folder, _ = instance_package(tmp_path)
    config = tmp_path / "grants.toml"
    if content is not None:
        config.write_text(content)
    done = check(str(folder), "--grants", str(config))
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith("yoi plugin: ") and expected in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_check_with_policy_deny_rule_is_rejected(tmp_path):
    folder, _ = instance_package(tmp_path)
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text(
        'deny org_no_services(P, N) "org policy: services are not allowed (`{N}`)" :-\n    service(P, N).\n')
    assert check(str(folder)).exit_code == 0  # active without the policy
    done = check(str(folder), "--policy", str(policy), "--json")
    assert done.exit_code == 1
    assert done.stderr == "yoi plugin: plugin check failed; see diagnostics above\n"
    report = json.loads(done.stdout)
    assert report["status"] == "rejected"
    [denial] = [d for d in report["diagnostics"] if d["code"] == "org_no_services"]
    assert (denial["kind"], denial["severity"]) == ("policy", "deny")
    assert denial["message"] == "org policy: services are not allowed (`svc`)"
    [conclusion] = [c for c in report["conclusions"] if c["code"] == "org_no_services"]
    [rule] = report["rules"]["org_no_services"]["locations"]  # each rule once, in the report's catalog
    assert rule["file"].endswith("org.rules") and rule["line"] == 1


def test_check_with_invalid_policy_rules_exits_2_with_file_and_line(tmp_path):
    folder, _ = instance_package(tmp_path)
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "bad.rules").write_text('# org policy\n\ndeny broken(P "x" :- service(P, _).\n')
    done = check(str(folder), "--policy", str(policy))
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith("yoi plugin: ")
    assert "bad.rules:3" in done.stderr


def test_check_policy_folder_must_exist(tmp_path):
    folder, _ = instance_package(tmp_path)
    assert check(str(folder), "--policy", str(tmp_path / "nope")).exit_code == 2


# -- check --format sarif ------------------------------------------------------------------------

@lru_cache(maxsize=1)
def sarif_validator():
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_check_sarif_is_valid_and_points_at_the_tool_table(tmp_path, monkeypatch):
    text = manifest("example.two", tools=("Echo", "Other"), requested=grant_tools("Echo"))
    write_folder(tmp_path / "pkg", files_for(text))
    monkeypatch.chdir(tmp_path)
    done = check("pkg", "--format", "sarif")
    assert done.exit_code == 1, done.output  # Echo stays usable, but check is a gate: any deny rejects
    log = json.loads(done.stdout)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator().iter_errors(log)]
    assert errors == []
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    [denial] = [r for r in run["results"] if r["ruleId"] == "yoi/item_not_requested"]
    assert rules[denial["ruleIndex"]]["id"] == denial["ruleId"] and denial["level"] == "error"
    assert "`Other`" in denial["message"]["text"]
    location = denial["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "pkg/plugin.toml"
    lines = text.splitlines()
    line = location["region"]["startLine"]
    assert lines[line - 1] == "[[tools]]" and lines[line] == 'name = "Other"'


def test_check_sarif_grant_binding_result_points_at_the_grants_file(tmp_path, monkeypatch):
    folder, package = instance_package(tmp_path)
    table = enablement("project:example.inst", package, ["tool"], grant_tools("Echo"))
    grants_file(tmp_path, "# org grants\n", table.replace(package.digest, "sha256:" + "0" * 64))
    monkeypatch.chdir(tmp_path)
    done = check("inst", "--grants", "grants.toml", "--format", "sarif")
    assert done.exit_code == 1
    log = json.loads(done.stdout)
    assert list(sarif_validator().iter_errors(log)) == []
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "yoi/binding_digest_mismatch" and result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "grants.toml"
    lines = (tmp_path / "grants.toml").read_text().splitlines()
    assert lines[location["region"]["startLine"] - 1] == 'digest = "sha256:' + "0" * 64 + '"'  # the grant's digest


def test_check_sarif_for_a_clean_package_has_no_results(tmp_path, monkeypatch):
    write_folder(tmp_path / "pkg", files_for(manifest("example.clean")))
    monkeypatch.chdir(tmp_path)
    done = check("pkg", "--format", "sarif")
    assert done.exit_code == 0
    log = json.loads(done.stdout)
    assert list(sarif_validator().iter_errors(log)) == []
    assert log["runs"][0]["results"] == []


# -- list / show (spec §7.3) -----------------------------------------------------------------------

def test_active_list_and_show_json_are_structured_and_non_executing(ws):
    package = echo_workspace(ws, artifact=TRAPPING_RAW_MODULE, runtime="raw")
    config = ws.configure(enablement("project:example.echo", package, ["tool"], grant_tools("Echo")))
    before = {p: p.read_bytes() for p in ws.root.rglob("*") if p.is_file()}
    entry = ws.items()["project:example.echo"]
    assert entry["status"] == "active"
    assert (entry["local_ref"], entry["source"], entry["package"]) == ("example.echo", "project", "echo.yoi-plugin")
    assert entry["package_path"] == str(ws.store / "echo.yoi-plugin")
    assert (entry["version"], entry["schema_version"], entry["api_version"]) == ("1.0.0", 1, 1)
    assert entry["digest"] == package.digest
    assert (entry["configured"], entry["discovered"], entry["resolved"], entry["static_eligible"]) == (True,) * 4
    assert entry["declared_surfaces"] == entry["enabled_surfaces"] == ["tool"]
    assert entry["requested_permissions"] == ["surfaces.tool", "tool.Echo"]
    assert entry["configured_grants"][0] == "surfaces.tool"
    assert entry["configured_https_grants"] == entry["configured_fs_grants"] == []
    [tool] = entry["tools"]
    assert list(tool) == TOOL_KEYS
    assert tool == {"name": "Echo", "requested": True, "granted": True,
                    "eligible": True, "external_write": False, "diagnostic": None, "findings": []}
    runtime = entry["static_runtime"]["runtime"]
    assert (runtime["status"], runtime["eligible"], runtime["diagnostic"]) == ("wasm/yoi-plugin-wasm-1", True, None)
    assert entry["diagnostics"] == [] and entry["classification"] == "legacy-raw-tool"
    # show is the list item plus the run's findings and the rules catalog (none here: no org policy)
    assert ws.show_json("project:example.echo") == {**entry, "run_findings": [], "rules": {}}
    assert ws.show_json("example.echo") == {**entry, "run_findings": [], "rules": {}}  # a unique local id too
    # Human list and show.
    listed = ws.run("list").stdout.splitlines()
    assert listed[0] == f"plugin packages (workspace: {ws.root.resolve()})"
    [line] = [x for x in listed if x.startswith("- project:example.echo ")]
    assert line.startswith(
        f"- project:example.echo [active] version=1.0.0 schema_version=1 api_version=1 "
        f"package_path={ws.store / 'echo.yoi-plugin'} digest={package.digest} source=project "
        "enabled_surfaces=tool tools=1 diagnostics=0")
    shown = ws.run("show", "project:example.echo").stdout.splitlines()
    assert shown[0] == "plugin project:example.echo"
    for expected in ("  status: active", "  source: project", "  configured: true", "  resolved: true",
                     "  static_eligible: true", "  declared_surfaces: tool", "  configured_grants: surfaces.tool, tool.Echo",
                     "  configured_https_grants: (none)", "  runtime: wasm/yoi-plugin-wasm-1 eligible=true", "  tools:",
                     "    - Echo permission=tool.Echo requested=true granted=true eligible=true external_write=false",
                     "  services: (none)", "  ingresses: (none)", "  diagnostics: (none)"):
        assert expected in shown, expected
    # Nothing ran (the start function would have trapped) and nothing was written.
    assert {p: p.read_bytes() for p in ws.root.rglob("*") if p.is_file()} == before
    assert config.read_bytes() == before[config]


def test_service_only_enablement_ignores_unselected_tool_static_grants(ws):
    text = manifest("example.svc", runtime="instance", services=("svc",))
    ws.add("svc", files_for(text, INSTANCE_COMPONENT))
    package = ws.package("svc")
    grants = [surface("service"), item("service", "svc"), surface("tool"), item("tool", "Echo")]
    ws.configure(enablement("project:example.svc", package, ["service"], grants))
    entry = ws.items()["project:example.svc"]
    assert entry["status"] == "active" and entry["static_eligible"] is True
    assert entry["enabled_surfaces"] == ["service"]
    assert entry["tools"] == [] and "tools" not in entry["static_runtime"]  # the item's tools are said once
    assert entry["diagnostics"] == []
    [service] = entry["static_runtime"]["services"]
    assert (service["name"], service["eligible"], service["diagnostic"]) == ("svc", True, None)
    shown = ws.run("show", "project:example.svc").stdout.splitlines()
    assert "  tools: (none)" in shown and "  services:" in shown
    assert "    - svc permission=service.svc requested=true granted=true eligible=true" in shown


def vocabulary_workspace(ws: Workspace) -> None:
    active = echo_workspace(ws)
    ws.add("idle", files_for(manifest("example.idle")))
    ws.add("denied", files_for(manifest("example.denied")))
    denied = ws.package("denied")
    ws.configure(
        enablement("project:example.echo", active, ["tool"], grant_tools("Echo")),
        enablement("project:ghost", None, ["tool"], []),
        enablement("project:example.denied", denied, ["tool"], [surface("tool")]),
    )


def test_human_list_uses_required_status_vocabulary(ws):
    vocabulary_workspace(ws)
    items = ws.items()
    assert {ref: e["status"] for ref, e in items.items()} == {
        "project:example.echo": "active", "project:example.idle": "disabled",
        "project:ghost": "missing", "project:example.denied": "rejected",
    }
    ghost = items["project:ghost"]
    assert (ghost["configured"], ghost["discovered"], ghost["package_path"]) == (
        True, False, str(ws.root / ".yoi" / "plugins" / "ghost.yoi-plugin"))
    assert diagnostics_of(ghost, "missing") == ["enabled plugin package was not discovered"]
    idle = items["project:example.idle"]
    assert idle["tools"][0]["diagnostic"] == "plugin is discovered but not enabled"
    listed = ws.run("list").stdout.splitlines()
    statuses = {line.split("[", 1)[1].split("]", 1)[0] for line in listed if line.startswith("- ")}
    assert statuses == {"active", "disabled", "missing", "rejected"}
    for ref, status in (("project:example.echo", "active"), ("project:example.idle", "disabled"),
                        ("project:ghost", "missing"), ("project:example.denied", "rejected")):
        assert any(line.startswith(f"- {ref} [{status}] ") for line in listed), ref
    [ghost_line] = [line for line in listed if line.startswith("- project:ghost ")]
    assert "version=<unknown>" in ghost_line and "digest=<unknown>" in ghost_line
    assert "    diagnostic: enabled plugin package was not discovered" in listed


def test_missing_ref_is_bounded_error(ws):
    vocabulary_workspace(ws)
    done = ws.run("show", "project:nope")
    assert done.exit_code == 2 and done.stdout == ""  # a usage error, not a policy verdict
    assert done.stderr == "yoi plugin: plugin package `project:nope` was not found\n"
    assert len(done.stderr.encode()) < 120
    long = ws.run("show", "x" * 5000)
    assert long.exit_code == 2 and len(long.stderr.encode()) < 400 and len(long.stderr.splitlines()) == 1


def test_ambiguous_ref_is_bounded_error(ws):
    echo_workspace(ws)
    ws.add("echo", files_for(manifest("example.echo")), user=True)
    items = ws.items()
    assert items["user:example.echo"]["status"] == items["project:example.echo"]["status"] == "disabled"
    done = ws.run("show", "example.echo")
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr == ("yoi plugin: plugin package reference `example.echo` is ambiguous; "
                           "use a source-qualified ref\n")
    assert len(done.stderr.encode()) < 160
    assert ws.show_json("user:example.echo")["source"] == "user"


def test_grant_mismatch_is_inspectable(ws):
    package = echo_workspace(ws)
    ws.configure(enablement("project:example.echo", package, ["tool"], grant_tools("Other")))
    entry = ws.show_json("project:example.echo")
    assert entry["status"] == "rejected" and entry["resolved"] is True and entry["static_eligible"] is False
    assert denials_of(entry) == ["granted tool permission for `Echo` is missing"] and entry["diagnostics"] == []
    [tool] = entry["tools"]
    assert (tool["eligible"], tool["granted"], tool["diagnostic"]) == (
        False, False, "granted tool permission for `Echo` is missing")
    shown = ws.run("show", "project:example.echo").stdout.splitlines()
    assert "    - [static_eligibility] granted tool permission for `Echo` is missing" in shown


def test_grant_binding_mismatch_is_a_rejected_resolution_diagnostic(ws):
    package = echo_workspace(ws)
    table = enablement("project:example.echo", package, ["tool"], grant_tools("Echo"))
    ws.configure(table.replace(package.digest, "sha256:" + "0" * 64))
    entry = ws.show_json("project:example.echo")
    assert entry["status"] == "rejected" and entry["resolved"] is False
    assert entry["static_runtime"] is None
    assert diagnostics_of(entry, "grant") == ["plugin grant digest binding does not match enabled package digest"]


def test_partial_status_represents_mixed_tool_usability(ws):
    ws.add("two", files_for(manifest("example.two", tools=("Echo", "Other"))))
    package = ws.package("two")
    ws.configure(enablement("project:example.two", package, ["tool"], grant_tools("Echo")))
    entry = ws.items()["project:example.two"]
    assert entry["status"] == "partial"
    assert [(t["name"], t["eligible"]) for t in entry["tools"]] == [("Echo", True), ("Other", False)]
    assert entry["tools"][1]["diagnostic"] == "granted tool permission for `Other` is missing"
    assert denials_of(entry) == ["granted tool permission for `Other` is missing"]
    assert entry["tools"][1]["findings"] == [0] and entry["conclusions"][0]["code"] == "item_not_granted"
    listed = ws.run("list").stdout.splitlines()
    assert any(line.startswith("- project:example.two [partial] ") for line in listed)


def test_invalid_manifest_and_digest_mismatch_are_rejected_diagnostics(ws):
    package = echo_workspace(ws)
    ws.add("broken", {"plugin.toml": b'schema_version = 1\nid = "example.broken\n', "plugin.wasm": TOOL_COMPONENT})
    ws.configure(enablement("project:example.echo", package, ["tool"], grant_tools("Echo"),
                            pin_digest="sha256:" + "0" * 64))
    items = ws.items()
    broken = items["project:broken"]
    assert broken["status"] == "rejected"
    assert [d["kind"] for d in broken["diagnostics"]] == ["malformed"]
    assert "could not be parsed" in broken["diagnostics"][0]["message"]
    assert "example.broken" not in json.dumps(broken["diagnostics"])  # no file contents echoed
    echo = items["project:example.echo"]
    assert echo["status"] == "rejected" and echo["resolved"] is False
    assert echo["diagnostics"] == [
        {"kind": "digest", "message": "enabled plugin digest pin does not match discovered package digest"}]


def test_configured_invalid_or_incompatible_package_is_rejected_not_missing(ws):
    ws.add("invalid", files_for(manifest("invalid", schema_version=999)))
    ws.configure(enablement("project:invalid", None, ["tool"], []))
    entry = ws.items()["project:invalid"]
    assert entry["status"] == "rejected"
    assert entry["configured"] is True and entry["resolved"] is False
    assert "api" in [d["kind"] for d in entry["diagnostics"]]
    assert entry["package_path"].endswith(".yoi/plugins/invalid.yoi-plugin")


def test_configured_present_package_with_missing_manifest_entries_is_rejected_not_missing(ws):
    ws.add("nomanifest", {"README.md": b"no manifest here"})
    ws.add("noartifact", files_for(manifest("noartifact"), artifact=None))
    ws.configure(enablement("project:nomanifest", None, ["tool"], []),
                 enablement("project:noartifact", None, ["tool"], []))
    items = ws.items()
    for ref, needle in (("project:nomanifest", "plugin.toml"), ("project:noartifact", "path not present")):
        entry = items[ref]
        assert entry["status"] == "rejected", ref
        missing = diagnostics_of(entry, "missing")
        assert missing and any(needle in m for m in missing), (ref, entry["diagnostics"])


def test_invalid_tool_schema_and_name_are_rejected_in_json_and_human_output(ws):
    tables = tool_table("Bad Tool", '{ type = "object", properties = { q = "nope" } }')
    text = manifest("example.bad", tools=("Bad Tool",), tables=tables)
    ws.add("bad", files_for(text))
    package = ws.package("bad")
    ws.configure(enablement("project:example.bad", package, ["tool"], grant_tools("Bad Tool")))
    entry = ws.items()["project:example.bad"]
    assert entry["status"] == "rejected"
    [tool] = entry["tools"]
    assert tool["eligible"] is False
    assert "has invalid name" in tool["diagnostic"] and "has invalid input_schema" in tool["diagnostic"]
    messages = denials_of(entry)
    assert any("has invalid name" in m for m in messages) and any("$.properties.q" in m for m in messages)
    shown = ws.run("show", "project:example.bad").stdout
    assert "eligible=false" in shown and "has invalid name" in shown and "has invalid input_schema" in shown
    listed = ws.run("list").stdout
    assert "- project:example.bad [rejected] " in listed and "    diagnostic: " in listed


def test_human_show_prints_services_and_ingresses(ws):
    text = manifest("example.inst", runtime="instance", services=("svc",), ingresses=("events",))
    ws.add("inst", files_for(text, INSTANCE_COMPONENT))
    package = ws.package("inst")
    grants = [surface("tool"), surface("service"), item("tool", "Echo"), item("service", "svc")]
    ws.configure(enablement("project:example.inst", package, ["tool", "service", "ingress"], grants))
    shown = ws.run("show", "project:example.inst").stdout.splitlines()
    assert "  status: partial" in shown and "  classification: instance" in shown
    services, ingresses = shown.index("  services:"), shown.index("  ingresses:")
    assert shown[services + 1] == "    - svc permission=service.svc requested=true granted=true eligible=true"
    assert shown[ingresses + 1] == "    - events permission=ingress.events requested=true granted=false eligible=false"
    assert shown[ingresses + 2] == "      diagnostic: granted surfaces.ingress permission is missing"


def test_show_human_for_a_missing_package_has_no_inspection(ws):
    ws.configure(enablement("project:ghost", None, ["tool"], []))
    shown = ws.run("show", "project:ghost").stdout.splitlines()
    assert shown[:2] == ["plugin project:ghost", "  status: missing"]
    assert "  version: <unknown>" in shown and "  resolved: false" in shown and "  tools: (none)" in shown
    assert not any(line.startswith("  runtime:") for line in shown)
    assert "    - [missing] enabled plugin package was not discovered" in shown


def test_list_explicit_config_and_policy(ws, tmp_path):
    package = echo_workspace(ws)
    config = tmp_path / "elsewhere.toml"
    config.write_text(enablement("project:example.echo", package, ["tool"], grant_tools("Echo")))
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text('deny org_no_echo(P) "org policy: no echo" :- tool(P, "Echo").\n')
    assert ws.items()["project:example.echo"]["status"] == "disabled"  # the workspace config is absent
    done = ws.run("show", "project:example.echo", "--config", str(config), "--json")
    assert json.loads(done.stdout)["status"] == "active"
    done = ws.run("show", "project:example.echo", "--config", str(config), "--policy", str(policy), "--json")
    entry = json.loads(done.stdout)
    assert entry["status"] == "rejected" and entry["static_eligible"] is False
    assert denials_of(entry) == ["org policy: no echo"]
    assert ws.run("list", "--config", str(tmp_path / "nope.toml")).exit_code == 2


def test_org_denial_naming_an_item_blocks_the_package_and_says_why(ws, tmp_path):
    ws.add("two", files_for(manifest("example.two", tools=("Echo", "Other"))))
    package = ws.package("two")
    ws.configure(enablement("project:example.two", package, ["tool"], grant_tools("Echo", "Other")))
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text('deny org_no_echo(P, T) "org policy: no {T} here" :- tool(P, T), T = "Echo".\n')
    done = ws.run("show", "project:example.two", "--policy", str(policy), "--json")
    assert done.exit_code == 0, done.output
    entry = json.loads(done.stdout)
    assert entry["status"] == "rejected"
    runtime = entry["static_runtime"]["runtime"]
    assert runtime["eligible"] is False and runtime["diagnostic"] == "org policy: no Echo here"
    assert [(t["name"], t["eligible"]) for t in entry["tools"]] == [("Echo", False), ("Other", False)]
    shown = ws.run("show", "project:example.two", "--policy", str(policy)).stdout.splitlines()
    runtime_line = shown.index("  runtime: wasm-component/yoi:plugin/tool@1.0.0 eligible=false")
    assert shown[runtime_line + 1] == "    diagnostic: org policy: no Echo here"


@pytest.mark.parametrize("args", [["show"], ["show", "a", "b"], ["list", "extra"], ["list", "--bogus"],
                                  ["explain"], ["graph"]])
def test_list_show_explain_graph_usage_errors_exit_2(args):
    done = CliRunner().invoke(cli, ["plugin", *args])
    assert done.exit_code == 2 and done.stdout == ""


def _two_echo_packages(ws: Workspace, first_artifact: bytes = TOOL_COMPONENT) -> dict[str, dict]:
    ws.add("a", files_for(manifest("example.a"), first_artifact))
    ws.add("b", files_for(manifest("example.b")))
    ws.configure(enablement("project:example.a", ws.package("a"), ["tool"], grant_tools("Echo")),
                 enablement("project:example.b", ws.package("b"), ["tool"], grant_tools("Echo")))
    return ws.items()


def test_same_tool_name_in_two_enabled_packages_is_denied_once(ws):
    items = _two_echo_packages(ws)
    assert items["project:example.a"]["status"] == "active"
    second = items["project:example.b"]
    assert second["status"] == "rejected" and second["tools"][0]["eligible"] is False
    assert denials_of(second) == [
        "tool `Echo` is also exposed by enabled package project:example.a, which keeps the name; "
        "a tool name can be registered only once"]


def test_tool_of_a_blocked_package_does_not_collide(ws):
    items = _two_echo_packages(ws, first_artifact=TRAPPING_RAW_MODULE)
    assert items["project:example.a"]["status"] == "rejected"
    assert items["project:example.b"]["status"] == "active"


def test_list_with_empty_workspace_shows_none(ws):
    """Issue 18 point 4: no hidden builtin store, so an empty workspace lists nothing."""
    report = ws.list_json()
    assert report["items"] == []
    human = ws.run("list")
    assert human.exit_code == 0 and human.stdout.splitlines()[1] == "  (none)", human.stdout
    enabled = ws.configure('[[plugins.enabled]]\nid = "builtin:example.counter"\n')
    assert enabled.is_file()
    (item,) = ws.list_json()["items"]
    assert (item["reference"], item["status"], item["discovered"]) == ("builtin:example.counter", "missing", False)
    assert item["package_path"] == "<builtin>/example.counter.yoi-plugin"
    assert [d["kind"] for d in item["diagnostics"]] == ["missing"]
    missing = CliRunner().invoke(cli, ["plugin", "list", "--workspace", str(ws.root / "nope")])
    assert missing.exit_code == 2 and missing.stdout == "" and "does not exist" in missing.stderr


# -- explain -------------------------------------------------------------------------------------

def explain(*args: str):
    return CliRunner().invoke(cli, ["plugin", "explain", *args, "--workspace", str(EXAMPLES_WORKSPACE)])


def test_explain_counter_example_human():
    done = explain("project:example.counter", "--proof")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == "plugin project:example.counter [partial] classification=instance"
    tool = lines.index("tool counter: eligible")
    assert lines[tool + 1] == "  proof:"
    proof = lines[tool + 2: lines.index("service counter-service: eligible")]
    assert any("rules/status.rules" in line for line in proof)
    assert any("rules/authorization.rules" in line for line in proof)
    assert any('grants("project:example.counter", "tool", "counter")' in line for line in proof)
    ingress = lines.index("ingress counter-events: not eligible")
    assert lines[ingress + 1].startswith("  deny: granted surfaces.ingress permission is missing")
    assert lines[ingress + 2] == "  why not, down to the missing fact:"
    assert "does not hold" in lines[ingress + 3]
    assert any("no fact matches" in line for line in lines[ingress + 3:])
    # the chain ends at the root cause: the missing grant fact; then the proof of each deny
    end = lines.index("proofs of the denials that fired:")
    assert lines[end - 2] == '    grants("project:example.counter", "surface", "ingress") does not hold'
    assert lines[end + 1].startswith("deny surface_not_granted: ingress `counter-events`: granted surfaces.ingress")
    assert lines[end + 2].startswith('    surface_not_granted("project:example.counter", "ingress", "counter-events")')



def test_explain_counter_example_json():
    done = explain("project:example.counter", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["reference"], report["status"], report["classification"]) == (
        "project:example.counter", "partial", "instance")
    items = {(i["surface"], i["name"]): i for i in report["items"]}
    assert set(items) == {("tool", "counter"), ("service", "counter-service"), ("ingress", "counter-events")}
    tool = items[("tool", "counter")]
    assert tool["eligible"] is True and tool["reasons"] == [] and tool["proof"]
    assert "rules" in json.dumps(tool["proof"])
    ingress = items[("ingress", "counter-events")]
    assert ingress["eligible"] is False and "proof" not in ingress
    assert [r["message"] for r in ingress["reasons"]] == ["granted surfaces.ingress permission is missing"]
    assert ingress["reasons"][0]["code"] == "surface_not_granted"
    first = ingress["why_not"][0]["rules"][0]
    assert first["reason"].startswith("no fact matches") and first["location"]["file"].endswith("status.rules")
    assert [why["fact"] for why in ingress["why_not"]][-2:] == [
        'surface_granted("project:example.counter", "ingress")',
        'grants("project:example.counter", "surface", "ingress")']
    assert all(not key.startswith("_") for i in report["items"] for key in i)


def test_explain_package_path_and_unknown_ref(tmp_path):
    folder, _ = instance_package(tmp_path)
    done = CliRunner().invoke(cli, ["plugin", "explain", str(folder)])
    assert done.exit_code == 0, done.output
    assert "tool Echo: eligible" in done.stdout and "ingress events: eligible" in done.stdout
    missing = explain("project:example.nope")
    assert missing.exit_code == 2 and missing.stdout == ""
    assert missing.stderr == ("yoi plugin: `project:example.nope` is not an existing package path, and no plugin "
                              "package in the workspace has that reference\n")


# -- graph ---------------------------------------------------------------------------------------

MARKER = "NOT-IN-ANY-GRAPH-7f3a"


def graph(*args: str):
    return CliRunner().invoke(cli, ["plugin", "graph", *args])


def _strings(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)
    elif isinstance(value, str):
        yield value


@pytest.fixture
def graph_package(tmp_path) -> Path:
    files = files_for(manifest("example.graph"))
    files["notes.txt"] = MARKER.encode()
    return write_folder(tmp_path / "pkg", files)


def test_graph_json_has_typed_nodes_and_no_file_bytes(graph_package):
    done = graph(str(graph_package), "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    types = {node["type"] for node in data["nodes"]}
    assert {"package", "tool", "world", "artifact_export"} <= types
    [package] = [n for n in data["nodes"] if n["type"] == "package"]
    assert package["ref"] == "project:example.graph"
    assert any(n["type"] == "tool" and "Echo" in json.dumps(n) for n in data["nodes"])
    assert any(n["type"] == "world" and "yoi:plugin/tool@1.0.0" in json.dumps(n) for n in data["nodes"])
    assert any(n["type"] == "artifact_export" and "call" in json.dumps(n) for n in data["nodes"])
    ids = {n["id"] for n in data["nodes"]}
    assert all(link["source"] in ids and link["target"] in ids for link in data["links"])
    assert MARKER not in done.stdout and "\\u0000asm" not in done.stdout
    assert max(len(s) for s in _strings(data)) < 512  # labels and ids only, never file contents


@pytest.mark.parametrize(("fmt", "start"), [("dot", 'digraph "yoi" {'), ("mermaid", "flowchart LR")])
def test_graph_dot_and_mermaid(graph_package, fmt, start):
    done = graph(str(graph_package), "--format", fmt)
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0] == start
    assert "project:example.graph" in done.stdout and "Echo" in done.stdout
    assert MARKER not in done.stdout


def test_graph_of_a_workspace_ref_and_unknown_ref():
    done = graph("project:example.counter", "--workspace", str(EXAMPLES_WORKSPACE), "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    refs = {n.get("ref") for n in data["nodes"] if n["type"] == "package"}
    assert refs == {"project:example.counter"}  # only the asked-for package's part of the graph
    assert {"service", "ingress", "grant"} <= {n["type"] for n in data["nodes"]}
    missing = graph("nope", "--workspace", str(EXAMPLES_WORKSPACE))
    assert missing.exit_code == 2 and "is not an existing package path" in missing.stderr


def test_graph_rejects_unknown_format(graph_package):
    assert graph(str(graph_package), "--format", "svg").exit_code == 2


# -- README main command -------------------------------------------------------------------------

def test_readme_main_command_lists_the_examples_with_reasons(user_home):
    # Run as its own process from the checkout root, exactly as the README writes it (and so
    # that its relative `--policy policy` cannot meet another test's cached rule program).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "yoi plugin list --workspace examples/workspace --policy policy"
    assert command in readme
    env = {**os.environ, "XDG_DATA_HOME": str(user_home)}
    script = "import sys; from engine.cli.main import cli; sys.argv[0] = 'yoi'; cli()"
    done = subprocess.run([sys.executable, "-c", script, *command.split()[1:]], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"plugin packages (workspace: {EXAMPLES_WORKSPACE})"
    status = {line.split()[1]: line.split()[2] for line in lines if line.startswith("- ")}
    assert status == {"project:example.component-echo": "[active]", "project:example.counter": "[partial]",
                      "project:example.raw-echo": "[active]"}
    counter = lines.index(next(line for line in lines if line.startswith("- project:example.counter ")))
    assert "classification=instance" in lines[counter] and "diagnostics=1" in lines[counter]
    assert lines[counter + 1] == "    diagnostic: ingress `counter-events`: granted surfaces.ingress permission is missing"
    raw = next(line for line in lines if line.startswith("- project:example.raw-echo "))
    assert "classification=legacy-raw-tool" in raw


def test_relative_policy_folder_is_not_confused_across_working_directories(tmp_path, monkeypatch):
    from engine.pipeline.evaluate import evaluate
    from engine.pipeline.subjects import check_subject

    package = write_folder(tmp_path / "pkg", files_for(manifest("example.cwd")))
    codes = []
    for name in ("a", "b"):
        policy = tmp_path / name / "policy"
        policy.mkdir(parents=True)
        (policy / "org.rules").write_text(f'warn org_{name}(P) "policy {name}" :- package(P, _, _, _, _).\n')
        monkeypatch.chdir(tmp_path / name)
        evaluation = evaluate([check_subject(package)], policy_dirs=["policy"])
        codes.append(sorted(c.code for c in evaluation.conclusions()))
    assert codes == [["org_a"], ["org_b"]]


def test_an_edited_policy_file_is_reloaded(tmp_path):
    from engine.pipeline.evaluate import evaluate
    from engine.pipeline.subjects import check_subject

    package = write_folder(tmp_path / "pkg", files_for(manifest("example.edit")))
    policy = tmp_path / "policy"
    policy.mkdir()
    rules = policy / "org.rules"
    seen = []
    for code in ("org_first", "org_second_version"):
        rules.write_text(f'warn {code}(P) "policy" :- package(P, _, _, _, _).\n')
        evaluation = evaluate([check_subject(package)], policy_dirs=[policy])
        seen.append([c.code for c in evaluation.conclusions()])
    assert seen == [["org_first"], ["org_second_version"]]


def test_explain_takes_grants_like_check():
    """Issue 22: `explain PATH --grants F` judges the package by F, as `check --grants F` does."""
    config = str(EXAMPLES_WORKSPACE / ".yoi" / "config.toml")
    path = str(EXAMPLES_WORKSPACE.parent / "instance-counter")
    by_grants = explain(path, "--grants", config, "--json")
    assert by_grants.exit_code == 0, by_grants.output
    report = json.loads(by_grants.stdout)
    assert report["reference"] == "project:example.counter"
    items = {(i["surface"], i["name"]): i["eligible"] for i in report["items"]}
    assert items[("ingress", "counter-events")] is False  # the real enablement does not grant it
    assert json.loads(explain(path, "--config", config, "--json").stdout) == report
    both = explain(path, "--grants", config, "--config", str(EXAMPLES_WORKSPACE / "other.toml"))
    assert both.exit_code == 2
