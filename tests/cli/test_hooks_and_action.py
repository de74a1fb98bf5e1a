"""pre-commit hooks and the GitHub Action (issue 13 item 2).

Each hook of .pre-commit-hooks.yaml runs, as pre-commit would, as a real subprocess over the
files of a sample repository that its `files` pattern selects; action.yml parses, names only
commands and options of the real click tree, and its check step runs in bash on the sample.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

from engine.cli.hook import MAX_TARGETS, package_targets, wit_roots
from engine.cli.main import cli
from engine.walk import MAX_FOLDER_DEPTH
from hostile import nest_folders
from rule_cases import RAW_MANIFEST, write_package
from wasm_builders import core_module

ROOT = Path(__file__).resolve().parents[2]
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
YOI = Path(sys.executable).parent / "yoi"
BIN = [str(YOI)] if YOI.exists() else [sys.executable, "-m", "engine.cli.main"]

RULES = 'deny org_no_fs_write(P, R) "no fs write under {R}" :- fs_grant(P, R, "write").\n'
CASE = """
[[case]]
name = "fs write is denied"
rules = ["."]
facts = { fs_grant = [["project:p", "/srv", "write"]] }
expect_conclusions = [{ code = "org_no_fs_write" }]
"""
WIT = "package acme:demo@0.1.0;\n\ninterface api {\n  ping: func() -> string;\n}\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """A repository with a good and a rejected package, passing and failing policy cases,
    resolvable WIT (with deps) and broken WIT."""
    root = tmp_path_factory.mktemp("repo")
    wasm = {"tool.wasm": core_module()}
    write_package(root / "plugins" / "good", RAW_MANIFEST, wasm)
    write_package(root / "plugins" / "bad", RAW_MANIFEST.replace(', { kind = "tool", name = "echo" }', ""), wasm)
    (root / "plugins" / "good" / "README.md").write_text("notes\n")
    for name, case in (("policy", CASE), ("policy-bad", CASE.replace('"write"]', '"read"]'))):
        (root / name).mkdir()
        (root / name / "org.rules").write_text(RULES)
        (root / name / "org.test.toml").write_text(case)
    shutil.copytree(ROOT / "wit", root / "wit")
    (root / "wit-extra").mkdir()
    (root / "wit-extra" / "demo.wit").write_text(WIT)
    (root / "wit-bad").mkdir()
    (root / "wit-bad" / "broken.wit").write_text("package acme:broken;\ninterface {\n")
    return root


def _files(root: Path, hook: dict, under: tuple[str, ...]) -> list[str]:
    """What pre-commit passes: repository-relative paths the hook's `files` regex selects."""
    paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return [p for p in paths if re.search(hook["files"], p) and p.startswith(under)]


def _run_hook(root: Path, hook_id: str, *under: str, args: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    hook = HOOKS[hook_id]
    files = _files(root, hook, under)
    assert files, f"{hook_id} selects no file under {under}"
    command = shlex.split(hook["entry"])
    assert command[0] == "yoi"
    return subprocess.run([*BIN, *command[1:], *hook.get("args", []), *args, *files],
                          cwd=root, capture_output=True, text=True, timeout=120)


def test_hooks_are_the_ones_asked_for():
    assert set(HOOKS) == {"yoi-workspace-check", "yoi-plugin-check", "yoi-policy-test", "yoi-wit-check"}
    assert all(hook["language"] == "python" for hook in HOOKS.values())
    assert re.search(HOOKS["yoi-plugin-check"]["files"], "plugins/a/plugin.toml")
    assert not re.search(HOOKS["yoi-plugin-check"]["files"], "plugins/a/not-plugin.toml.bak")


def test_the_workspace_hook_triggers_on_everything_a_verdict_reads():
    """Issue 22: config, archives and artifacts, manifests, rules and WIT; not on other files."""
    pattern = HOOKS["yoi-workspace-check"]["files"]
    for path in (".yoi/config.toml", "ws/.yoi/config.toml", ".yoi/plugins/echo.yoi-plugin", "src/echo/tool.wasm",
                 "src/echo/plugin.toml", "policy/org.rules", "wit/world.wit"):
        assert re.search(pattern, path), path
    for path in ("README.md", "config.toml", "src/echo/tool.wat", "policy/org.test.toml", "x.rules.bak"):
        assert not re.search(pattern, path), path
    assert HOOKS["yoi-workspace-check"]["pass_filenames"] is False  # one run over the whole workspace


def test_plugin_check_hook_exit_codes(repo):
    good = _run_hook(repo, "yoi-plugin-check", "plugins/good")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "plugin check: plugins/good [active]" in good.stdout
    both = _run_hook(repo, "yoi-plugin-check", "plugins/")
    assert both.returncode == 1
    assert "plugins/bad [rejected]" in both.stdout and "plugins/good [active]" in both.stdout


def test_policy_test_hook_exit_codes(repo):
    passing = _run_hook(repo, "yoi-policy-test", "policy/")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "PASS policy/org.test.toml::fs write is denied" in passing.stdout
    failing = _run_hook(repo, "yoi-policy-test", "policy-bad/")
    assert failing.returncode == 1 and "FAIL policy-bad/org.test.toml" in failing.stdout
    (repo / "policy-bad" / "broken.rules").write_text("deny x( :-\n")
    try:
        broken = _run_hook(repo, "yoi-policy-test", "policy-bad/broken.rules")
        assert broken.returncode == 2
    finally:
        (repo / "policy-bad" / "broken.rules").unlink()


def test_policy_test_hook_lints_with_the_fact_schema_and_runs_each_case_once(tmp_path):
    """Issue 22: `fs_grants` (no such fact) passed the hook while `check --policy` rejected it;
    a changed rules file and its changed case file ran every case twice."""
    (tmp_path / "org.rules").write_text(RULES)
    (tmp_path / "org.test.toml").write_text(CASE)
    both = subprocess.run([*BIN, "hook", "policy-test", "org.rules", "org.test.toml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert both.returncode == 0, both.stdout + both.stderr
    assert both.stdout.count("PASS org.test.toml::fs write is denied") == 1
    assert both.stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert "ok: 1 statement(s) in 1 file(s)" in both.stdout  # the user's file, not the built-in rules
    (tmp_path / "org.rules").write_text(RULES.replace("fs_grant(", "fs_grants("))
    typo = subprocess.run([*BIN, "hook", "policy-test", "org.rules"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert typo.returncode == 2, typo.stdout + typo.stderr
    assert "`fs_grants` is neither defined by a rule nor an input predicate (did you mean `fs_grant`?)" in typo.stdout
    raw = subprocess.run([*BIN, "hook", "policy-test", "--schema", "none", "org.rules"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert "ok: 1 statement(s) in 1 file(s)" in raw.stdout  # a program over other facts


def test_policy_test_hook_over_1000_nested_folders_is_an_input_error(tmp_path):
    """Looking for cases beside a changed .rules file walks the folder iteratively (pathlib's
    rglob recursed once per level: an internal RecursionError)."""
    (tmp_path / "org.rules").write_text(RULES)
    nest_folders(tmp_path, 1000)
    done = subprocess.run([*BIN, "hook", "policy-test", "org.rules"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "internal error" not in done.stderr, done.stderr
    assert f"error: folders nest deeper than {MAX_FOLDER_DEPTH} levels [rules.test-file]" in done.stderr


def test_wit_check_hook_exit_codes(repo):
    good = _run_hook(repo, "yoi-wit-check", "wit/", "wit-extra/")
    assert good.returncode == 0, good.stdout + good.stderr
    # a file under deps/ is resolved with the folder that holds deps/, never alone
    assert good.stdout.count("wit: ok") == 1 and "wit-extra: ok" in good.stdout
    bad = _run_hook(repo, "yoi-wit-check", "wit-bad/", "wit/")
    assert bad.returncode == 1 and "wit-bad: invalid" in bad.stdout


def test_changed_files_map_to_what_is_checked(repo, monkeypatch):
    monkeypatch.chdir(repo)
    assert package_targets(["plugins/good/plugin.toml", "plugins/good/README.md", "plugins/good"]) == [
        Path("plugins/good")]
    assert package_targets(["plugins"]) == [Path("plugins/bad"), Path("plugins/good")]
    assert package_targets(["policy/org.rules", "nowhere/x.toml"]) == []
    assert wit_roots(["wit/deps/yoi-host/yoi-host-v1.wit", "wit/yoi-plugin-tool-v1.wit", "a.wit"]) == [
        Path("wit"), Path(".")]


def test_targets_are_deduplicated_in_order_and_bounded(tmp_path, monkeypatch):
    """pre-commit may pass thousands of files: each maps to its target once, in first-seen order,
    and past MAX_TARGETS distinct targets the hook stops with a usage error (exit 2)."""
    monkeypatch.chdir(tmp_path)
    files = [f"w{i}/x.wit" for i in range(MAX_TARGETS)]
    roots = wit_roots([*files, *reversed(files)])
    assert roots == [Path(f"w{i}") for i in range(MAX_TARGETS)]
    with pytest.raises(SystemExit) as stop:
        wit_roots([*files, "one-more/x.wit"])
    assert stop.value.code == 2


def test_hostile_layouts_map_to_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "again").symlink_to(tmp_path / "loop")  # a cycle is never followed
    fifo = tmp_path / "fifo-pkg"
    fifo.mkdir()
    os.mkfifo(fifo / "plugin.toml")  # not a regular file: not a package, and never opened
    assert package_targets([".", "fifo-pkg/plugin.toml", "loop/again/again/x"]) == []
    assert wit_roots([]) == []


def test_plugin_check_hook_fails_closed_on_paths_that_hold_no_package(repo):
    """A misspelled `paths:` of the action, an empty folder or a FIFO plugin.toml is exit 2 with
    the path named, never exit 0 with an empty report that reads as "nothing rejected"."""
    (repo / "empty").mkdir(exist_ok=True)
    fifo = repo / "fifo-pkg"
    fifo.mkdir(exist_ok=True)
    if not (fifo / "plugin.toml").exists():
        os.mkfifo(fifo / "plugin.toml")
    for path, words in (("plugnis", "does not exist"), ("empty", "is not a package"),
                        ("fifo-pkg/plugin.toml", "is not a package")):
        for fmt in ("human", "sarif"):
            result = subprocess.run([*BIN, "hook", "plugin-check", "--format", fmt, "plugins/good", path],
                                    cwd=repo, capture_output=True, text=True, timeout=120)
            assert result.returncode == 2, (path, fmt, result.stdout[-300:], result.stderr)
            assert f"`{path}`" in result.stderr and words in result.stderr
            assert "Traceback" not in result.stderr and result.stdout == ""


# -- action.yml -----------------------------------------------------------------------------

def _command(words: list[str]) -> tuple[click.Command, list[str]]:
    """Resolve `yoi w1 w2 ...` in the click tree; (command, its path)."""
    command: click.Command = cli
    path = []
    for word in words:
        if not isinstance(command, click.Group) or word.startswith("-"):
            break
        found = command.get_command(click.Context(command), word)
        if found is None:
            break
        command, path = found, [*path, word]
    return command, path


def _yoi_calls(script: str) -> list[tuple[click.Command, list[str], set[str]]]:
    """Each `yoi ...` line of a script: its command, path and the long options it can be given
    (those on its line, plus the shared `options` array when the line expands it)."""
    shared = set()
    for line in script.splitlines():
        if "options+=(" in line or "options=(" in line:
            shared |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))
    calls = []
    for line in script.splitlines():
        match = re.search(r"(?:^|[;&|(]\s*)yoi\s+(.*)", line.strip())
        if match:
            command, path = _command(match.group(1).split())
            options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", match.group(1)))
            if '"${options[@]}"' in line:
                options |= {o for o in shared if o not in ("--grants", "--config")}
                # the mode's branch adds --grants (packages) or --config (workspace)
                options |= {"--grants"} if path == ["hook", "plugin-check"] else {"--config"}
            calls.append((command, path, options))
    return calls


def test_action_is_a_composite_that_uploads_sarif():
    assert ACTION["runs"]["using"] == "composite"
    uses = [step.get("uses", "") for step in ACTION["runs"]["steps"]]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert "pip install" in ACTION["runs"]["steps"][1]["run"]
    for name, spec in ACTION["inputs"].items():
        assert spec["description"] and "default" in spec, name


def test_action_names_only_existing_commands_and_options():
    calls = [call for step in ACTION["runs"]["steps"] for call in _yoi_calls(step.get("run", ""))]
    assert calls, "the action runs yoi"
    assert [path for _, path, _ in calls] == [["hook", "plugin-check"], ["hook", "workspace-check"]]
    for command, _path, options in calls:
        known = {opt for param in command.params for opt in param.opts if opt.startswith("--")}
        assert options <= known, options - known
        assert {"--fail-on", "--policy", "--format"} <= options
    scripts = [step.get("run", "") for step in ACTION["runs"]["steps"]]
    formats = [value for script in scripts for value in re.findall(r"--format\s+(\w+)", script)]
    assert formats == ["sarif", "sarif"]
    (option,) = [p for p in calls[0][0].params if "--format" in p.opts]
    assert "sarif" in option.type.choices
    for hook in HOOKS.values():
        command, path = _command(shlex.split(hook["entry"])[1:])
        assert path == shlex.split(hook["entry"])[1:], hook["entry"]


def test_third_party_actions_are_pinned_by_commit_sha():
    """A tag can be moved to other code; a full commit SHA cannot. The version is in a comment."""
    text = (ROOT / "action.yml").read_text()
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", text, re.M)
    assert len(uses) == 2
    for ref, rest in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(?:/[\w.-]+)*@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", rest), rest


def _run_check_step(cwd: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "check")
    if not YOI.exists():
        pytest.skip("the yoi console script is not installed beside this interpreter")
    output = tmp_path / "github_output"
    output.write_text("")
    values = {"mode": "packages", "paths": ".", "workspace": ".", "grants": "", "policy": "", "fail-on": "deny",
              **inputs}
    env = {**os.environ, "PATH": f"{YOI.parent}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
           "GITHUB_OUTPUT": str(output)}
    for name, expression in step["env"].items():
        env[name] = values[re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", expression).group(1)]
    done = subprocess.run(["bash", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    return done, dict(line.split("=", 1) for line in output.read_text().splitlines())


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_input_error_fails_with_the_message_and_uploads_nothing(repo, tmp_path):
    """Exit 2 (a misspelt path, an unknown mode) fails the step at once with the message, and
    leaves no `sarif` output, so the upload step (`if: ... sarif != ''`) never sends an empty log."""
    for inputs, words in (({"paths": "plugnis"}, "`plugnis` is not a package"),
                          ({"mode": "workspaces"}, "unknown mode `workspaces`"),
                          ({"mode": "workspace", "workspace": "plugins"}, "no enablement config")):
        done, outputs = _run_check_step(repo, tmp_path, **inputs)
        assert done.returncode == 2, (inputs, done.stdout, done.stderr)
        assert words in done.stderr + done.stdout, (inputs, done.stderr)
        assert "sarif" not in outputs and not (tmp_path / "yoi-plugin.sarif").exists()
    upload = next(s for s in ACTION["runs"]["steps"] if "upload-sarif" in s.get("uses", ""))
    assert "steps.check.outputs.sarif != ''" in upload["if"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_fail_on_warn_and_workspace_mode(repo, tmp_path):
    done, outputs = _run_check_step(repo, tmp_path, paths="plugins/good", policy="policy")
    assert done.returncode == 0 and outputs["exit-code"] == "0", done.stderr
    ws = ROOT / "examples" / "workspace"
    done, outputs = _run_check_step(ws, tmp_path, mode="workspace", policy=str(ROOT / "policy"))
    assert done.returncode == 0 and outputs["exit-code"] == "1", done.stderr  # counter's ingress is denied
    (run,) = json.loads(Path(outputs["sarif"]).read_text())["runs"]
    assert {r["properties"].get("package") for r in run["results"]} >= {"project:example.counter"}
    assert run["properties"]["yoi/failOn"] == "deny"
    done, outputs = _run_check_step(ws, tmp_path, mode="workspace", policy=str(ROOT / "policy"), **{"fail-on": "warn"})
    (run,) = json.loads(Path(outputs["sarif"]).read_text())["runs"]
    assert run["properties"]["yoi/failOn"] == "warn"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_action_check_step_runs_and_writes_one_sarif_log(repo, tmp_path):
    if not YOI.exists():
        pytest.skip("the yoi console script is not installed beside this interpreter")
    done, outputs = _run_check_step(repo, tmp_path, paths="plugins", policy="policy")
    assert done.returncode == 0, done.stderr  # a rejection is reported, then failed by the last step
    assert outputs["exit-code"] == "1"
    log = json.loads(Path(outputs["sarif"]).read_text())
    (run,) = log["runs"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "plugins/bad/plugin.toml" in uris
