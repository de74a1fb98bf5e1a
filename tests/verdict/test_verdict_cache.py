"""The verdict cache (issue 22 point 2): an unchanged run is answered from a stored RunVerdict
without the graph or the rule program; any changed input misses.

A stale verdict is a security bug, so every input the verdict reads gets its own invalidation
test: the package (artifact, manifest), the enablement (grants, and key positions), the policy
files (edited, added, removed), the engine's code and data folders (built-in rules, bundled WIT,
target profiles), the libraries, the environment the registry declares (HOME), and every field
of a Subject. Each test counts the evaluations (graph + rules) the runs made, so "answered from
the cache" and "evaluated again" are observed, not inferred from timing.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rule_cases import RAW_MANIFEST, TOOL_MANIFEST, write_package
from wasm_builders import TOOL_WORLD_EXPORTS, component, core_module

import engine.pipeline.evaluate as evaluate_module
import engine.pipeline.inputs as inputs_module
from engine.graph.inputs import Subject
from engine.pipeline.check import check_inputs
from engine.verdict.run import check_verdict, workspace_verdict

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-token-value-7f1c"
POLICY = 'deny org_no_echo(P, T) "org policy: no tool named {T}" :- tool(P, T), T = "nope".\n'


def _config(digest: str, extra: str = "", head: str = "") -> str:
    return head + textwrap.dedent(f"""\
        [[plugins.enabled]]
        id = "project:t.raw"
        digest = "{digest}"
        surfaces = ["tool"]
        config = {{ token = "{SECRET}" }}
        [plugins.enabled.grants]
        id = "project:t.raw"
        version = "1.0.0"
        digest = "{digest}"
        permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "echo" }}]
        """) + extra


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("YOI_CACHE", str(folder))
    return folder


@pytest.fixture
def evaluations(monkeypatch):
    """The RunInputs every evaluation (graph, facts, rules) of the test was made for."""
    calls = []
    real = evaluate_module.evaluate_inputs

    def spy(inputs, **options):
        calls.append(inputs)
        return real(inputs, **options)

    monkeypatch.setattr(evaluate_module, "evaluate_inputs", spy)
    return calls


@pytest.fixture
def run(tmp_path, cache):
    """A package with its enablement and a policy folder, and `check` over them."""
    from engine.package.materialize import load_package_path

    package = write_package(tmp_path / "pkg", RAW_MANIFEST, {"tool.wasm": core_module()})
    digest = load_package_path(package).digest
    grants = tmp_path / "config.toml"
    grants.write_text(_config(digest))
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text(POLICY)

    class Run:
        def __init__(self):
            self.package, self.grants, self.policy, self.digest = package, grants, policy, digest

        def check(self):
            return check_verdict(self.package, self.grants, [self.policy])

    return Run()


def _entries(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.glob("verdict-*")) if cache.is_dir() else []


def test_a_repeated_check_is_answered_from_the_cache_with_the_same_verdict(run, cache, evaluations):
    first = run.check()
    second = run.check()
    assert len(evaluations) == 1
    assert second == first
    (package,) = second.packages
    assert package.plan is not None and SECRET in package.plan.config_json  # the config came back
    (entry,) = _entries(cache)
    assert (cache / entry).stat().st_mode & 0o777 == 0o600
    assert SECRET.encode() not in (cache / entry).read_bytes()  # never written to disk


def test_cache_off_evaluates_every_time_and_stores_nothing(run, cache, evaluations, monkeypatch):
    monkeypatch.setenv("YOI_CACHE", "off")
    assert run.check() == run.check()
    assert len(evaluations) == 2
    assert _entries(cache) == []


def test_a_damaged_entry_is_evaluated_again(run, cache, evaluations):
    first = run.check()
    (entry,) = _entries(cache)
    (cache / entry).write_bytes(b"not a pickle")
    assert run.check() == first
    assert len(evaluations) == 2


def test_an_entry_moved_to_another_key_is_refused(run, cache, evaluations):
    """Entries are authenticated over their name (their key): the verdict of one run copied over
    the entry of another (same user, same folder) is discarded, not served."""
    grants_only = run.check()
    (first,) = _entries(cache)
    _remove_grant(run)
    run.check()
    (second,) = set(_entries(cache)) - {first}
    (cache / second).write_bytes((cache / first).read_bytes())
    again = run.check()
    assert len(evaluations) == 3
    assert again != grants_only and again.packages[0].gate_status == "rejected"


def _rebuild_artifact(run):
    (run.package / "tool.wasm").write_bytes(core_module(memory=False))


def _edit_manifest(run):
    text = (run.package / "plugin.toml").read_text()
    (run.package / "plugin.toml").write_text(text.replace('description = "Echo."', 'description = "Echoes."'))


def _add_package_file(run):
    (run.package / "notes.txt").write_text("a file the digest covers\n")


def _remove_grant(run):
    run.grants.write_text(_config(run.digest).replace(', { kind = "tool", name = "echo" }', ""))


def _add_fs_grant(run):
    run.grants.write_text(_config(run.digest, '[[plugins.enabled.grants.fs]]\nroot = "/srv"\noperations = ["read"]\n'))


def _shift_config_lines(run):
    """Same grants, other positions: findings point at config lines, so this must miss too."""
    run.grants.write_text(_config(run.digest, head="# a comment line\n\n"))


def _change_config_value(run):
    run.grants.write_text(_config(run.digest).replace(SECRET, SECRET + "-rotated"))


def _edit_policy(run):
    (run.policy / "org.rules").write_text(POLICY.replace('"nope"', '"echo"'))


def _add_policy_file(run):
    (run.policy / "more.rules").write_text('warn org_note(P) "org note" :- package(P, _, _, _, _).\n')


def _remove_policy_file(run):
    (run.policy / "more.rules").unlink()


@pytest.mark.parametrize(
    "change",
    [
        _rebuild_artifact,
        _edit_manifest,
        _add_package_file,
        _remove_grant,
        _add_fs_grant,
        _shift_config_lines,
        _change_config_value,
        _edit_policy,
        _add_policy_file,
    ],
)
def test_every_changed_input_misses(run, cache, evaluations, change):
    before = run.check()
    run.check()
    change(run)
    after = run.check()
    assert len(evaluations) == 2, f"{change.__name__} was answered from the cache"
    assert after == check_verdict_fresh(run)


def test_a_removed_policy_file_misses(run, cache, evaluations):
    _add_policy_file(run)
    run.check()
    _remove_policy_file(run)
    after = run.check()
    assert len(evaluations) == 2
    assert not any(f.code == "org_note" for f in after.packages[0].conclusions)


def check_verdict_fresh(run):
    """What the run evaluates to, not read from the cache (the reference a cached answer must
    equal; the same environment, so the same protected cache folders)."""
    from engine.verdict.build import build_verdict

    return build_verdict(evaluate_module.evaluate_inputs(check_inputs(run.package, run.grants, [run.policy])))


def test_what_a_change_does_is_seen(run, cache):
    """Not only a miss: the new verdict says what changed (a removed grant denies the tool)."""
    assert run.check().packages[0].gate_status == "active"
    _remove_grant(run)
    assert run.check().packages[0].gate_status == "rejected"


FS_MANIFEST = """
schema_version = 1
id = "t.files"
name = "Files"
version = "1.0.0"
surfaces = ["tool"]
permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "read" },
               { kind = "host_api", api = "fs" }]
[runtime]
kind = "wasm-component"
component = "tool.wasm"
world = "yoi:plugin/tool@1.0.0"
[[tools]]
name = "read"
description = "Read."
input_schema = { type = "object" }
"""


def test_home_is_keyed_because_broad_fs_roots_read_it(tmp_path, cache, evaluations, monkeypatch):
    """fs_grant_broad_root calls a root that is the checker's $HOME a home folder: HOME is declared
    by the fs registry entry (GrantRecord.ENVIRONMENT), so changing it misses."""
    from engine.package.materialize import load_package_path

    package = write_package(tmp_path / "pkg", FS_MANIFEST, {"tool.wasm": component(TOOL_WORLD_EXPORTS)})
    digest = load_package_path(package).digest
    home = tmp_path / "somewhere" / "deep" / "alice"
    grants = tmp_path / "config.toml"
    grants.write_text(textwrap.dedent(f"""\
        [[plugins.enabled]]
        id = "project:t.files"
        [plugins.enabled.grants]
        id = "project:t.files"
        version = "1.0.0"
        digest = "{digest}"
        permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "read" }},
                       {{ kind = "host_api", api = "fs" }}]
        [[plugins.enabled.grants.fs]]
        root = "{home}"
        operations = ["read"]
        """))
    monkeypatch.setenv("HOME", "/nonexistent-home")
    plain = check_verdict(package, grants)
    monkeypatch.setenv("HOME", str(home))
    broad = check_verdict(package, grants)
    assert len(evaluations) == 2

    def codes(verdict):
        return {f.code for f in verdict.packages[0].conclusions}

    assert "fs_grant_broad_root" in codes(broad) - codes(plain)


@pytest.mark.parametrize("folder", ["rules", "wit", "targets"])
def test_an_edited_data_folder_of_the_engine_changes_the_key(tmp_path, monkeypatch, folder):
    """Built-in rules, bundled WIT worlds and target profiles are read by an evaluation: a copy of
    the folder stands in for the installed one, and one edited byte changes the key."""
    from engine.resources import data_dir

    copy = tmp_path / folder
    shutil.copytree(data_dir(folder), copy)
    real = inputs_module.data_dir
    monkeypatch.setattr(inputs_module, "data_dir", lambda name: copy if name == folder else real(name))
    inputs = check_inputs(ROOT / "examples" / "raw-echo")
    before = inputs.cache_key()
    first = sorted(p for p in copy.rglob("*") if p.is_file())[0]
    first.write_bytes(first.read_bytes() + b"\n")
    assert before is not None and inputs.cache_key() != before


def test_edited_engine_code_changes_the_key(tmp_path, monkeypatch):
    copy = tmp_path / "engine"
    shutil.copytree(inputs_module.ENGINE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(inputs_module, "ENGINE_DIR", copy)
    inputs = check_inputs(ROOT / "examples" / "raw-echo")
    before = inputs.cache_key()
    target = copy / "verdict" / "build.py"
    target.write_text(target.read_text() + "\n# edited\n")
    inputs_module._code_material.cache_clear()  # read once per process: the code this process runs
    assert before is not None and inputs.cache_key() != before


def test_libraries_and_python_are_keyed_by_their_installed_versions():
    material = dict(inputs_module.library_material())
    assert material["python"] == sys.version
    for name in inputs_module.VERDICT_LIBRARIES:
        assert material[name] not in ("absent", "") and not material[name].startswith("unknown"), name


def test_every_key_contributor_enters_the_key(monkeypatch):
    inputs = check_inputs(ROOT / "examples" / "raw-echo")
    before = inputs.cache_key()
    for index, contributor in enumerate(inputs_module.KEY_CONTRIBUTORS):
        changed = list(inputs_module.KEY_CONTRIBUTORS)
        changed[index] = dataclasses.replace(contributor, material=lambda: "something else")
        monkeypatch.setattr(inputs_module, "KEY_CONTRIBUTORS", tuple(changed))
        assert inputs.cache_key() != before, contributor.name
        monkeypatch.undo()


def _other(value):
    """A different value of the same shape, for every field type a Subject has."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, tuple):
        return (*value, "x")
    if value is None:
        return "x"
    if dataclasses.is_dataclass(value):
        return None
    return {"other": 1}


def test_every_field_of_a_subject_is_in_the_key(tmp_path):
    """A field added to Subject (a signature, a target) is keyed without anyone listing it."""
    from engine.grants.config import load_config

    package = write_package(tmp_path / "pkg", RAW_MANIFEST, {"tool.wasm": core_module()})
    from engine.package.materialize import load_package_path

    (tmp_path / "c.toml").write_text(_config(load_package_path(package).digest))
    inputs = check_inputs(package, tmp_path / "c.toml")
    (subject,) = inputs.subjects
    assert subject.enablement is not None and subject.config is not None
    assert load_config(tmp_path / "c.toml").enabled  # the fixture really enables it
    before = inputs.cache_key()
    assert before is not None
    for field in dataclasses.fields(Subject):
        changed = dataclasses.replace(subject, **{field.name: _other(getattr(subject, field.name))})
        assert dataclasses.replace(inputs, subjects=(changed,)).cache_key() != before, field.name


def test_a_value_without_key_material_is_not_cached(run, cache, evaluations):
    inputs = check_inputs(run.package, run.grants, [run.policy])
    (subject,) = inputs.subjects
    odd = dataclasses.replace(inputs, subjects=(dataclasses.replace(subject, config=object()),))
    assert odd.cache_key() is None
    from engine.verdict.cached import entry_name

    assert entry_name(odd) is None


def test_a_policy_edited_while_the_run_evaluates_is_not_stored_under_the_old_key(run, cache, monkeypatch):
    """The loader reads the rule files again: a verdict of edited rules must not be filed under
    the contents the key was taken from."""
    real = evaluate_module.evaluate_inputs

    def edit_then_evaluate(inputs, **options):
        _edit_policy(run)
        return real(inputs, **options)

    monkeypatch.setattr(evaluate_module, "evaluate_inputs", edit_then_evaluate)
    run.check()
    assert _entries(cache) == []


def test_a_verdict_resting_on_a_volatile_fact_is_not_stored(tmp_path, cache, evaluations, monkeypatch):
    """An inspection stopped by its time bound may finish next time: never cached."""
    import engine.artifact as artifact

    monkeypatch.setattr(artifact, "INSPECTION_SECONDS", 0.0)
    artifact.clear_cache()
    try:
        package = write_package(tmp_path / "comp", TOOL_MANIFEST, {"tool.wasm": component(TOOL_WORLD_EXPORTS)})
        first = check_verdict(package)
        assert "artifact_types_unknown" in {f.code for f in first.packages[0].conclusions}
        check_verdict(package)
    finally:
        artifact.clear_cache()
    assert len(evaluations) == 2
    assert _entries(cache) == []


def test_a_workspace_verdict_is_cached_and_a_changed_package_misses(tmp_path, cache, evaluations):
    from engine.package.pack import pack_directory

    store = tmp_path / "ws" / ".yoi" / "plugins"
    store.mkdir(parents=True)
    source = write_package(tmp_path / "src", RAW_MANIFEST, {"tool.wasm": core_module()})
    _, package = pack_directory(source, store / "echo.yoi-plugin")
    (tmp_path / "ws" / ".yoi" / "config.toml").write_text(_config(package.digest))
    options = {"user_data_home": None}
    first = workspace_verdict(tmp_path / "ws", **options)
    assert workspace_verdict(tmp_path / "ws", **options) == first
    assert len(evaluations) == 1
    (source / "tool.wasm").write_bytes(core_module(memory=False))
    pack_directory(source, store / "echo.yoi-plugin")
    rebuilt = workspace_verdict(tmp_path / "ws", **options)
    assert len(evaluations) == 2
    assert rebuilt.packages[0].gate_status == "rejected"  # the digest pin no longer matches


def test_the_startup_gate_never_reads_the_cache(tmp_path, cache, evaluations):
    from engine.host.startup import evaluate_startup

    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "config.toml").write_text("")
    evaluate_startup(tmp_path)
    evaluate_startup(tmp_path)
    assert len(evaluations) == 2 and _entries(cache) == []


HEAVY_REPORT = """
import sys
from engine.cli.main import main
sys.argv = ["yoi", *sys.argv[1:]]
try:
    main()
finally:
    heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("networkx", "lark", "wasmtime")}
                   | {m for m in sys.modules if m.startswith(("engine.datalog", "engine.graph.build"))})
    sys.stderr.write(f"HEAVY={heavy}\\n")
"""


def test_a_cached_check_imports_no_graph_rule_engine_or_wasmtime(run, cache):
    """Measured in a fresh process through sys.modules: the second check of an unchanged package."""
    args = ["plugin", "check", str(run.package), "--grants", str(run.grants), "--policy", str(run.policy)]
    env = {**os.environ, "YOI_CACHE": str(cache)}

    def once():
        done = subprocess.run([sys.executable, "-c", HEAVY_REPORT, *args], capture_output=True, text=True,
                              env=env, timeout=120, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return done

    first, second = once(), once()
    assert "'networkx'" in first.stderr  # the first run built the graph
    assert "HEAVY=[]" in second.stderr, second.stderr
    assert first.stdout == second.stdout  # the same report, byte for byte
