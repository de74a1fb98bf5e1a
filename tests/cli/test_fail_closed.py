"""Issue 8, fail closed: `check` is a gate, org policies cannot silently miss, and usage or input
errors exit 2 with a message that says what was wrong.

Each test is a faulty or hostile input that the old behaviour let through (exit 0, a deny that
vanished, exit 1 for a typo in a ref) and pins the new outcome. Packages, archives, configs and
policy folders are real files in tmp_path; artifacts are real wasm assembled from WAT.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.artifact.placeholder import TOOL_TEMPLATE_PLACEHOLDER
from engine.cli.main import cli
from engine.package.archive import write_archive
from engine.package.materialize import load_package_path
from wasm_builders import TOOL_WORLD_EXPORTS, component, core_module, world_level_import

ROOT = Path(__file__).resolve().parents[2]
TOOL_COMPONENT = component(TOOL_WORLD_EXPORTS)
RAW_MODULE = core_module(imports=[("yoi:tool", "input_len", "(result i32)")])
TOOL_RUNTIME = 'kind = "wasm-component"\ncomponent = "plugin.wasm"\nworld = "yoi:plugin/tool@1.0.0"'
RAW_RUNTIME = 'kind = "wasm"\nabi = "yoi-plugin-wasm-1"\nentry = "plugin.wasm"'
GOOD_SCHEMA = '{ type = "object" }'


def manifest(tools=(("echo", GOOD_SCHEMA),), services=(), runtime: str = TOOL_RUNTIME, surfaces=None) -> str:
    """A plugin.toml requesting exactly what it declares."""
    declared = (["tool"] if tools else []) + (["service"] if services else [])
    permissions = [f'{{ kind = "surface", surface = "{s}" }}' for s in declared]
    permissions += [f'{{ kind = "tool", name = "{name}" }}' for name, _ in tools]
    permissions += [f'{{ kind = "service", name = "{name}" }}' for name in services]
    text = (f'schema_version = 1\nid = "example.gate"\nname = "Gate"\nversion = "1.0.0"\n'
            f"surfaces = {json.dumps(declared if surfaces is None else surfaces)}\n"
            f"permissions = [{', '.join(permissions)}]\n\n[runtime]\n{runtime}\n")
    text += "".join(f'\n[[tools]]\nname = "{name}"\ndescription = "d"\ninput_schema = {schema}\n'
                    for name, schema in tools)
    text += "".join(f'\n[[services]]\nname = "{name}"\ndescription = "d"\n' for name in services)
    return text


def package_dir(root: Path, text: str, artifact: bytes = TOOL_COMPONENT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "plugin.toml").write_text(text)
    (root / "plugin.wasm").write_bytes(artifact)
    return root


def cli_run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def check_json(*args, exit_code: int) -> dict:
    done = cli_run("plugin", "check", *args, "--json")
    assert done.exit_code == exit_code, done.output
    return json.loads(done.stdout)


def policy_dir(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "org.rules").write_text(text)
    return root


@pytest.fixture(autouse=True)
def empty_user_store(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def workspace(root: Path, text: str, artifact: bytes = TOOL_COMPONENT, grants: tuple[str, ...] | None = None) -> Path:
    """A workspace whose project store holds the package as an archive, enabled with grants bound
    to its digest (by default every permission it requests)."""
    store = root / ".yoi" / "plugins"
    store.mkdir(parents=True)
    archive = store / "gate.yoi-plugin"
    archive.write_bytes(write_archive({"plugin.toml": text.encode(), "plugin.wasm": artifact}))
    package = load_package_path(archive)
    manifest_ = package.manifest
    labels = grants if grants is not None else tuple(
        f'{{ kind = "{p.kind}", {"surface" if p.kind == "surface" else "name"} = "{p.value}" }}'
        for p in manifest_.permissions)
    (root / ".yoi" / "config.toml").write_text(
        f'[[plugins.enabled]]\nid = "project:example.gate"\nsurfaces = {json.dumps(list(manifest_.surfaces))}\n'
        f'[plugins.enabled.grants]\nid = "project:example.gate"\nversion = "{manifest_.version}"\n'
        f'digest = "{package.digest}"\npermissions = [{", ".join(labels)}]\n')
    return root


def list_run(root: Path, *args):
    return cli_run("plugin", "list", "--workspace", root, *args)


def listed(root: Path, *args, exit_code: int = 0) -> dict:
    done = list_run(root, "--json", *args)
    assert done.exit_code == exit_code, done.output
    return json.loads(done.stdout)


def gate_item(report: dict) -> dict:
    [item] = [i for i in report["items"] if i["reference"] == "project:example.gate"]
    return item


# -- 1. check is a gate ---------------------------------------------------------------------------

FAULTS = {
    # a per-item denial: only that tool is refused (a cross-package or built-in name collision)
    "tool named like a built-in host tool": (manifest(tools=(("echo", GOOD_SCHEMA), ("Read", GOOD_SCHEMA))),
                                             TOOL_COMPONENT, "tool_name_reserved"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_any_deny_rejects_in_check_while_list_keeps_good_surfaces(tmp_path, fault):
    text, artifact, code = FAULTS[fault]
    report = check_json(package_dir(tmp_path / "pkg", text, artifact), exit_code=1)
    assert (report["status"], report["verdict_view"]) == ("rejected", "gate")
    assert code in {d.get("code") for d in report["diagnostics"]}
    assert report["inspection"]["tools"][0]["eligible"] is True  # echo itself is fine
    # list (and startup) judge per surface: echo still starts, so the package is partial.
    item = gate_item(report := listed(workspace(tmp_path / "ws", text, artifact)))
    assert report["verdict_view"] == "per-surface"
    assert (item["status"], item["tools"][0]["eligible"]) == ("partial", True)


INSTALL_FAULTS = {
    "malformed input_schema": (manifest(tools=(("echo", GOOD_SCHEMA), ("broken", '{ type = "object", properties = '
                                                                              '{ q = "x" } }'))),
                               "tool_invalid_schema"),
    "invalid tool name": (manifest(tools=(("echo", GOOD_SCHEMA), ("Bad Tool", GOOD_SCHEMA))), "tool_invalid_name"),
    "duplicate tool name": (manifest(tools=(("echo", GOOD_SCHEMA), ("dup", GOOD_SCHEMA), ("dup", GOOD_SCHEMA))),
                            "tool_duplicate_name"),
}


@pytest.mark.parametrize("fault", sorted(INSTALL_FAULTS))
def test_a_tool_definition_fault_fails_the_whole_install(tmp_path, fault):
    """Issue 18 point 1 (spec §2.1, §6.2): a duplicate or invalid tool name or an invalid
    input_schema fails the plugin's whole install, so no tool of it is planned, not even the good
    one; list still names the faulty item."""
    text, code = INSTALL_FAULTS[fault]
    assert check_json(package_dir(tmp_path / "pkg", text), exit_code=1)["status"] == "rejected"
    item = gate_item(listed(workspace(tmp_path / "ws", text)))
    assert (item["status"], item["plan"]) == ("rejected", None)
    assert [t["eligible"] for t in item["tools"]] == [False] * len(item["tools"])
    assert code in {c["code"] for c in item["conclusions"]}


def test_a_service_on_a_legacy_runtime_fails_the_manifest(tmp_path):
    """Issue 18 point 1 (spec §1.8 step 5): the package is not a package; nothing of it resolves."""
    text = manifest(services=("svc",), runtime=RAW_RUNTIME)
    report = check_json(package_dir(tmp_path / "pkg", text, RAW_MODULE), exit_code=1)
    assert report["status"] == "rejected" and report["package"] is None
    assert [(d["kind"], d["phase"], d["message"]) for d in report["diagnostics"]] == [
        ("surface", "manifest",
         "plugin service/ingress declarations require the yoi:plugin/instance@1.0.0 component world")]
    ws = tmp_path / "ws"
    (ws / ".yoi" / "plugins").mkdir(parents=True)
    (ws / ".yoi" / "plugins" / "gate.yoi-plugin").write_bytes(
        write_archive({"plugin.toml": text.encode(), "plugin.wasm": RAW_MODULE}))
    (ws / ".yoi" / "config.toml").write_text('[[plugins.enabled]]\nid = "project:example.gate"\n')
    item = gate_item(listed(ws))
    assert (item["status"], item["resolved"], item["plan"]) == ("rejected", False, None)
    assert sorted(d["kind"] for d in item["diagnostics"]) == ["missing", "surface"]  # not discovered, and why


def test_ungranted_item_under_grants_rejects(tmp_path):
    text = manifest(tools=(("echo", GOOD_SCHEMA), ("other", GOOD_SCHEMA)))
    folder = package_dir(tmp_path / "pkg", text)
    ws = workspace(tmp_path / "ws", text, grants=('{ kind = "surface", surface = "tool" }',
                                                  '{ kind = "tool", name = "echo" }'))
    report = check_json(folder, "--grants", ws / ".yoi" / "config.toml", exit_code=1)
    assert report["status"] == "rejected" and report["grants"] == "configured"
    assert [d["code"] for d in report["diagnostics"]] == ["item_not_granted"]


def test_placeholder_stays_partial_and_fails_only_with_fail_on_warn(tmp_path):
    folder = package_dir(tmp_path / "pkg", manifest(), TOOL_TEMPLATE_PLACEHOLDER)
    assert check_json(folder, exit_code=0)["status"] == "partial"
    report = check_json(folder, "--fail-on", "warn", exit_code=1)
    assert (report["status"], report["fail_on"]) == ("partial", "warn")
    done = cli_run("plugin", "check", folder, "--fail-on", "warn")
    assert done.stderr == "yoi plugin: plugin check failed: 1 warn conclusion(s) with --fail-on warn\n"
    assert "verdict: view=gate (any deny rejects) fail_on=warn" in done.stdout.splitlines()


def test_warning_fails_check_and_list_only_with_fail_on_warn(tmp_path):
    text = manifest(surfaces=[])  # declares a tool but `surfaces` omits it: a warning
    folder = package_dir(tmp_path / "pkg", text)
    report = check_json(folder, exit_code=0)
    assert report["status"] == "active"
    assert [c["code"] for c in report["conclusions"]] == ["declarations_without_surface"]
    check_json(folder, "--fail-on", "warn", exit_code=1)
    ws = workspace(tmp_path / "ws", text)
    assert listed(ws)["fail_on"] is None
    assert listed(ws, "--fail-on", "deny")["fail_on"] == "deny"
    listed(ws, "--fail-on", "warn", exit_code=1)
    human = list_run(ws, "--fail-on", "warn")
    assert "verdict: view=per-surface (good surfaces start; `yoi plugin check` is the gate) fail_on=warn" in \
        human.stdout.splitlines()
    assert human.stderr == "yoi plugin: plugin list failed: 1 warn conclusion(s) with --fail-on warn\n"


def test_list_fail_on_deny_fails_on_a_partial_package(tmp_path):
    text, artifact, _ = FAULTS["tool named like a built-in host tool"]
    ws = workspace(tmp_path / "ws", text, artifact)
    listed(ws, exit_code=0)  # a report by default
    done = list_run(ws, "--fail-on", "deny")
    assert done.exit_code == 1 and "deny conclusion(s) with --fail-on deny" in done.stderr


def test_sarif_names_the_view(tmp_path):
    done = cli_run("plugin", "check", package_dir(tmp_path / "pkg", manifest()), "--format", "sarif")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["runs"][0]["properties"] == {
        "yoi/verdictView": "gate",
        "yoi/failOn": "deny",
        # one run property per target judged for (issue 19): the default target here
        "yoi/target/engine": {"compatible": True, "status": {"project:example.gate": "active"}},
    }


# -- 2. org policies fail closed ------------------------------------------------------------------

TYPO = 'deny org_no_https(P) "no https" :-\n    requets(P, "host_api", "https").\n'
BAD_ARITY = 'deny org_no_tools(P) "no tools" :- tool(P).\n'


def test_misspelt_input_is_a_load_error_with_a_suggestion(tmp_path):
    policy = policy_dir(tmp_path / "policy", TYPO)
    folder = package_dir(tmp_path / "pkg", manifest())
    expected = (f"yoi plugin: policy rules are invalid: {policy / 'org.rules'}:2:5: `requets` is neither defined "
                "by a rule nor an input predicate (did you mean `requests`?)\n")
    for done in (cli_run("plugin", "check", folder, "--policy", policy),
                 list_run(workspace(tmp_path / "ws", manifest()), "--policy", policy)):
        assert (done.exit_code, done.stdout, done.stderr) == (2, "", expected)


def test_wrong_arity_against_the_schema_is_a_load_error(tmp_path):
    policy = policy_dir(tmp_path / "policy", BAD_ARITY)
    done = cli_run("plugin", "check", package_dir(tmp_path / "pkg", manifest()), "--policy", policy)
    assert done.exit_code == 2
    assert f"{policy / 'org.rules'}:1:36: `tool` has 1 argument(s) here but the input schema gives it 2" in done.stderr


def test_policy_folder_without_rules_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("deny everything")
    for done in (cli_run("plugin", "check", package_dir(tmp_path / "pkg", manifest()), "--policy", empty),
                 list_run(workspace(tmp_path / "ws", manifest()), "--policy", empty)):
        assert done.exit_code == 2 and done.stdout == ""
        assert done.stderr == f"yoi plugin: policy rules are invalid: {empty}: policy folder has no *.rules file\n"


def test_policy_lint_schema_plugin_checks_inputs(tmp_path):
    policy = policy_dir(tmp_path / "policy", TYPO)
    assert cli_run("policy", "lint", policy).exit_code == 0  # without a schema any body predicate is an input
    done = cli_run("policy", "lint", "--schema", "plugin", policy)
    assert done.exit_code == 2
    assert "org.rules:2:5: error: `requets` is neither defined by a rule nor an input predicate " \
           "(did you mean `requests`?) [rules.unknown-predicate]" in done.stdout
    # The example policy reads `classification`, derived by the built-in rules: it loads.
    assert cli_run("policy", "lint", "--schema", "plugin", ROOT / "policy").exit_code == 0
    assert cli_run("policy", "lint", "--schema", "plugin", tmp_path / "nothing").exit_code == 2


def test_policy_eval_takes_the_facts_file_as_its_inputs(tmp_path):
    policy = policy_dir(tmp_path / "policy", TYPO)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"requests": [["p", "host_api", "https"]]}))
    done = cli_run("policy", "eval", policy, "--facts", facts)
    assert done.exit_code == 2 and "did you mean `requests`?" in done.stderr
    (policy / "org.rules").write_text(TYPO.replace("requets", "requests"))
    assert cli_run("policy", "eval", policy, "--facts", facts).exit_code == 1  # the deny fires now


def test_policy_test_package_case_checks_its_policy_against_the_schema(tmp_path):
    policy_dir(tmp_path / "policy", TYPO)
    package_dir(tmp_path / "pkg", manifest())
    (tmp_path / "gate.test.toml").write_text(
        '[[case]]\nname = "typo"\npackage = "pkg"\npolicy = ["policy"]\nexpect_check_status = "active"\n')
    done = cli_run("policy", "test", tmp_path / "gate.test.toml")
    assert done.exit_code == 1
    assert "rules do not load" in done.stdout and "did you mean `requests`?" in done.stdout


WHOLE_RUN = """\
deny org_freeze "no plugin changes during the freeze" :- tool(_, _).
deny org_no_echo(T) "tool `{T}` is banned" :- tool(_, T).
warn org_local(L) "local id {L} seen" :- package(_, _, L, _, _).
"""


def test_conclusions_no_package_owns_are_whole_run_findings_and_a_deny_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    policy = policy_dir(tmp_path / "policy", WHOLE_RUN)
    folder = package_dir(tmp_path / "pkg", manifest())
    report = check_json(folder, "--policy", policy, exit_code=1)
    assert report["status"] == "active"  # no finding is about the package itself
    found = {(f["severity"], f["code"], tuple(f["args"]), f["message"]) for f in report["run_findings"]}
    assert found == {("deny", "org_freeze", (), "no plugin changes during the freeze"),
                     ("deny", "org_no_echo", ("echo",), "tool `echo` is banned"),
                     ("warn", "org_local", ("example.gate",), "local id example.gate seen")}
    rules = report["rules"]  # each rule once, in the report's catalog (issue 16 point 7)
    assert all(rules[f["code"]]["locations"][0]["file"] == str(policy / "org.rules") for f in report["run_findings"])
    human = cli_run("plugin", "check", folder, "--policy", policy)
    assert human.stderr == "yoi plugin: plugin check failed: 2 whole-run deny finding(s)\n"
    lines = human.stdout.splitlines()
    assert lines[lines.index("whole-run findings:") + 1] == (
        f"  - severity=deny code=org_freeze rule={policy / 'org.rules'}:1 message=no plugin changes during the freeze")
    sarif = json.loads(cli_run("plugin", "check", "pkg", "--policy", "policy", "--format", "sarif").stdout)
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    freeze = results["yoi/org_freeze"]
    assert freeze["properties"]["scope"] == "run" and freeze["level"] == "error"
    assert freeze["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "policy/org.rules", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1, "startColumn": 1}}
    ws = workspace(tmp_path / "ws", manifest())
    report = listed(ws, "--policy", policy, exit_code=1)
    assert {f["code"] for f in report["run_findings"]} >= {"org_freeze", "org_no_echo"}
    assert "whole-run findings:" in list_run(ws, "--policy", policy).stdout.splitlines()


def test_show_explain_and_graph_carry_whole_run_findings_and_a_deny_fails(tmp_path, monkeypatch):
    """The org policy runs for show/explain/graph too: its zero-arity deny is printed, in JSON
    under `run_findings`, and fails show and explain as it fails list."""
    monkeypatch.chdir(tmp_path)
    policy = policy_dir(tmp_path / "policy", WHOLE_RUN)
    ws = workspace(tmp_path / "ws", manifest())
    expected = {("deny", "org_freeze"), ("deny", "org_no_echo"), ("warn", "org_local")}
    freeze_line = (f"  - severity=deny code=org_freeze rule={policy / 'org.rules'}:1 "
                   "message=no plugin changes during the freeze")
    failed = "yoi plugin: plugin {} failed: {} whole-run deny finding(s)\n"
    for command, target in (("show", "example.gate"), ("explain", "project:example.gate"), ("explain", "pkg")):
        if target == "pkg":
            package_dir(tmp_path / "pkg", manifest())
        args = ("plugin", command, target, "--workspace", ws, "--policy", policy)
        as_json = cli_run(*args, "--json")
        assert as_json.exit_code == 1, as_json.output
        report = json.loads(as_json.stdout)
        assert {(f["severity"], f["code"]) for f in report["run_findings"]} >= expected
        denials = sum(1 for f in report["run_findings"] if f["severity"] == "deny")
        assert as_json.stderr == failed.format(command, denials)
        assert report["status"] == "active"  # the package itself is fine: only the run fails
        human = cli_run(*args)
        assert human.exit_code == 1 and human.stderr == failed.format(command, denials)
        lines = human.stdout.splitlines()
        assert lines[lines.index("whole-run findings:") + 1] == freeze_line
    graph = cli_run("plugin", "graph", "example.gate", "--workspace", ws, "--policy", policy, "--format", "json")
    assert graph.exit_code == 0, graph.output
    assert {(f["severity"], f["code"]) for f in json.loads(graph.stdout)["run_findings"]} >= expected
    dot = cli_run("plugin", "graph", "example.gate", "--workspace", ws, "--policy", policy)
    assert dot.stdout.startswith("digraph") and "whole-run findings:" not in dot.stdout
    assert freeze_line in dot.stderr.splitlines()


def test_show_and_explain_pass_with_only_a_whole_run_warning(tmp_path):
    policy = policy_dir(tmp_path / "policy", WHOLE_RUN.splitlines()[2] + "\n")
    ws = workspace(tmp_path / "ws", manifest())
    for command in ("show", "explain"):
        done = cli_run("plugin", command, "example.gate", "--workspace", ws, "--policy", policy, "--json")
        assert done.exit_code == 0, done.output
        assert {f["code"] for f in json.loads(done.stdout)["run_findings"]} == {"org_local"}
    plain = cli_run("plugin", "show", "example.gate", "--workspace", ws, "--json")
    assert plain.exit_code == 0 and json.loads(plain.stdout)["run_findings"] == []


def test_a_whole_run_warning_fails_only_with_fail_on_warn(tmp_path):
    policy = policy_dir(tmp_path / "policy", WHOLE_RUN.splitlines()[2] + "\n")
    folder = package_dir(tmp_path / "pkg", manifest())
    assert [f["code"] for f in check_json(folder, "--policy", policy, exit_code=0)["run_findings"]] == ["org_local"]
    check_json(folder, "--policy", policy, "--fail-on", "warn", exit_code=1)


def test_example_policy_cases_still_pass():
    done = cli_run("policy", "test", ROOT / "policy")
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == "7 passed, 0 failed"


# -- 8. exit codes and names ----------------------------------------------------------------------

def test_missing_refs_and_paths_are_usage_errors(tmp_path):
    ws = workspace(tmp_path / "ws", manifest())
    for command, says in (("show", "plugin package `./nope` was not found"),
                          ("explain", "`./nope` is not an existing package path, and no plugin package"),
                          ("graph", "`./nope` is not an existing package path, and no plugin package")):
        done = cli_run("plugin", command, "./nope", "--workspace", ws)
        assert (done.exit_code, done.stdout) == (2, ""), command
        assert done.stderr.startswith(f"yoi plugin: {says}"), done.stderr


def test_pack_input_and_output_errors_exit_2_and_say_what_is_wrong(tmp_path):
    folder = package_dir(tmp_path / "pkg", manifest())
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    done = cli_run("plugin", "pack", blocker)
    assert done.exit_code == 2 and "the input is a file, not a package directory" in done.stderr
    for output in (blocker / "out.yoi-plugin", blocker / "deeper" / "out.yoi-plugin"):
        done = cli_run("plugin", "pack", folder, "--output", output)
        assert done.exit_code == 2, done.output
        assert "a parent of the output is a file, not a directory" in done.stderr
        assert "already exists" not in done.stderr
    done = cli_run("plugin", "pack", folder, "--output", "/proc/self/no-such/out.yoi-plugin")
    assert done.exit_code == 2 and done.stderr.startswith("yoi plugin: plugin pack failed: ")
    invalid = package_dir(tmp_path / "bad", manifest().replace("schema_version = 1", "schema_version = 9"))
    assert cli_run("plugin", "pack", invalid).exit_code == 1  # a verdict on the package, not usage


def test_world_level_import_is_named_not_blank(tmp_path):
    folder = package_dir(tmp_path / "pkg", manifest(), world_level_import())
    report = check_json(folder, exit_code=1)
    [denial] = [d for d in report["diagnostics"] if d.get("severity") == "deny"]
    assert denial["code"] == "component_unsupported_world_import" and denial["kind"] == "abi"
    assert denial["message"].startswith("component imports `get-secret` at world level")
    assert "``" not in json.dumps(report)
