"""The workspace hook through the real `pre-commit` tool (issue 22 point 1).

A sample git repository holds a packed package in its project store, the enablement that pins
its digest and grants it, and an org policy folder. Its `.pre-commit-config.yaml` is a `repo:
local` copy of this repository's `.pre-commit-hooks.yaml` (same ids, entries, `files` patterns
and `pass_filenames`, with `language: system` so the installed `yoi` runs and no network is
needed). Staged changes then go through `pre-commit run` exactly as a commit would: a grant
change and a rebuilt archive, which the per-package hook never sees, fail the workspace hook.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from engine.package.pack import pack_directory
from rule_cases import RAW_MANIFEST, write_package
from wasm_builders import core_module

ROOT = Path(__file__).resolve().parents[2]
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
YOI = Path(sys.executable).parent / "yoi"
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
POLICY = 'deny org_no_fs_write(P, R) "org policy: no fs write grant (under {R})" :- fs_grant(P, R, "write").\n'

pytestmark = pytest.mark.skipif(not (YOI.exists() and PRE_COMMIT.exists() and shutil.which("git")),
                                reason="needs the yoi and pre-commit console scripts and git")


def _config(digest: str, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        [[plugins.enabled]]
        id = "project:t.raw"
        digest = "{digest}"
        surfaces = ["tool"]
        [plugins.enabled.grants]
        id = "project:t.raw"
        version = "1.0.0"
        digest = "{digest}"
        permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "echo" }}]
        """) + extra


def _local_hooks() -> dict:
    """`.pre-commit-config.yaml`: this repository's hooks as a local repo, run by the installed yoi."""
    hooks = []
    for hook in HOOKS:
        local = {**hook, "language": "system"}
        if hook["id"] in ("yoi-workspace-check", "yoi-plugin-check"):
            local["args"] = ["--policy", "policy/"]
        hooks.append(local)
    return {"repos": [{"repo": "local", "hooks": hooks}]}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, timeout=60)


def _env(tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{YOI.parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp / "pre-commit-home"),  # its cache, never the user's
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "XDG_DATA_HOME": str(tmp / "no-user-store"),  # the user's store stays out of the verdict
    }


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ws-hook")
    root = tmp / "repo"
    source = write_package(root / "src" / "echo", RAW_MANIFEST, {"tool.wasm": core_module()})
    store = root / ".yoi" / "plugins"
    store.mkdir(parents=True)
    _, package = pack_directory(source, store / "echo.yoi-plugin")
    (root / ".yoi" / "config.toml").write_text(_config(package.digest))
    (root / "policy").mkdir()
    (root / "policy" / "org.rules").write_text(POLICY)
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(_local_hooks(), sort_keys=False))
    (root / "README.md").write_text("sample\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    subprocess.run(["git", "commit", "-qm", "baseline"], cwd=root, check=True, env=_env(tmp), timeout=60)
    return root, tmp, source, package.digest


def _pre_commit(root: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PRE_COMMIT), "run", "--color", "never", *args], cwd=root, env=_env(tmp),
                          capture_output=True, text=True, timeout=300)


def _restore(root: Path) -> None:
    _git(root, "reset", "-q", "--hard", "HEAD")


def _status_line(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(name))


def test_the_unchanged_workspace_passes(repo):
    root, tmp, _, _ = repo
    done = _pre_commit(root, tmp, "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _status_line(done.stdout, "yoi workspace check").endswith("Passed")


def test_a_grant_change_fails_the_workspace_hook_and_not_the_package_hook(repo):
    root, tmp, _, digest = repo
    try:
        grant = '[[plugins.enabled.grants.fs]]\nroot = "/srv/data"\noperations = ["write"]\n'
        (root / ".yoi" / "config.toml").write_text(_config(digest, grant))
        _git(root, "add", ".yoi/config.toml")
        done = _pre_commit(root, tmp)
        assert done.returncode == 1, done.stdout + done.stderr
        assert _status_line(done.stdout, "yoi workspace check").endswith("Failed")
        # the per-package hook only looks at plugin.toml files: a grant change is not one
        assert _status_line(done.stdout, "yoi plugin check").endswith("Skipped")
        assert "- project:t.raw [rejected]" in done.stdout
        assert "org policy: no fs write grant (under /srv/data)" in done.stdout  # the repo's policy folder
    finally:
        _restore(root)


def test_a_rebuilt_artifact_fails_the_workspace_hook(repo):
    """The archive is rebuilt from a changed module: its digest no longer matches the pin."""
    root, tmp, source, digest = repo
    try:
        (source / "tool.wasm").write_bytes(core_module(memory=False))
        _, rebuilt = pack_directory(source, root / ".yoi" / "plugins" / "echo.yoi-plugin")
        assert rebuilt.digest != digest
        _git(root, "add", "-A")
        done = _pre_commit(root, tmp)
        assert done.returncode == 1, done.stdout + done.stderr
        assert _status_line(done.stdout, "yoi workspace check").endswith("Failed")
        assert "- project:t.raw [rejected]" in done.stdout
        assert "enabled plugin digest pin does not match discovered package digest (at .yoi/config.toml:3:1)" \
            in done.stdout
    finally:
        _restore(root)


def test_a_change_that_cannot_alter_a_verdict_skips_the_hook(repo):
    root, tmp, _, _ = repo
    try:
        (root / "README.md").write_text("changed\n")
        _git(root, "add", "README.md")
        done = _pre_commit(root, tmp)
        assert done.returncode == 0, done.stdout + done.stderr
        assert _status_line(done.stdout, "yoi workspace check").endswith("Skipped")
    finally:
        _restore(root)


def test_workspace_check_json_and_sarif(repo):
    """One evaluation, the gate view per enabled package, SARIF at the config's key."""
    root, tmp, _, digest = repo
    env = _env(tmp)
    unused = root / ".yoi" / "plugins" / "example.raw-echo.yoi-plugin"  # discovered, enabled by nobody
    try:
        shutil.copyfile(ROOT / "examples" / "workspace" / ".yoi" / "plugins" / unused.name, unused)
        (root / ".yoi" / "config.toml").write_text(_config(digest).replace('surfaces = ["tool"]',
                                                                           'surfaces = ["tool", "hook"]'))
        done = subprocess.run([str(YOI), "hook", "workspace-check", "--policy", "policy", "--json"], cwd=root,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "workspace check failed: status rejected" in done.stderr
        report = json.loads(done.stdout)
        assert (report["verdict_view"], report["fail_on"]) == ("gate", "deny")
        (package,) = [p for p in report["packages"] if p["reference"] == "project:t.raw"]
        assert package["status"] == "rejected"
        (diag,) = package["diagnostics"]
        assert diag["location"] == {"file": ".yoi/config.toml", "line": 4, "column": 21}
        assert "project:example.raw-echo" in report["not_enabled"]  # discovered, not judged
        sarif = subprocess.run([str(YOI), "hook", "workspace-check", "--format", "sarif"], cwd=root / "src",
                               env=env, capture_output=True, text=True, timeout=120)
        assert sarif.returncode == 2  # run from a subfolder: no .yoi/config.toml there
        assert sarif.stdout == "" and "no enablement config at `.yoi/config.toml`" in sarif.stderr
        sarif = subprocess.run([str(YOI), "hook", "workspace-check", "--workspace", "..", "--format", "sarif"],
                               cwd=root / "src", env=env, capture_output=True, text=True, timeout=120)
        assert sarif.returncode == 1 and "see the SARIF log" in sarif.stderr
        (run,) = json.loads(sarif.stdout)["runs"]
        places = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                   r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]}
        assert (".yoi/config.toml", 4) in places  # relative to the repository root, not to src/
    finally:
        unused.unlink(missing_ok=True)
        _restore(root)
