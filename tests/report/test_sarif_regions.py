"""Every finding points at the line to fix (issue 22 point 3).

Each fixture below is a broken manifest or grants config whose offending lines end with the marker
comment `# <-`. The real `yoi plugin check --format sarif` runs from a subfolder of a git
repository: every result must sit at a marked line of the right file (a `region`), the marked
lines must all be found, and the URIs must be relative to the repository root (`%SRCROOT%`), not
to the folder the command ran in. Config problems that stop the command (exit 2) print the same
`file:line:column` on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.package.digest import package_digest
from engine.package.materialize import read_package_files
from rule_cases import RAW_MANIFEST, write_package
from wasm_builders import core_module

YOI = Path(sys.executable).parent / "yoi"
BIN = [str(YOI)] if YOI.exists() else [sys.executable, "-m", "engine.cli.main"]
MARK = "# <-"
BASE = textwrap.dedent(RAW_MANIFEST)


def _edit(*pairs: tuple[str, str]) -> str:
    text = BASE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


MANIFESTS = {
    "version not semver": _edit(('version = "1.0.0"', f'version = "1.0"  {MARK}')),
    "unknown top-level key": _edit(('name = "Raw"', f'name = "Raw"\ncolour = "red"  {MARK}')),
    "wrong type": _edit(('name = "Raw"', f"name = 3  {MARK}")),
    "bad surface": _edit(('surfaces = ["tool"]', f'surfaces = ["tool", "bogus"]  {MARK}')),
    "unsupported abi": _edit(('abi = "yoi-plugin-wasm-1"', f'abi = "other"  {MARK}')),
    "entry not in package": _edit(('entry = "tool.wasm"', f'entry = "missing.wasm"  {MARK}')),
    "unsafe id": _edit(('id = "t.raw"', f'id = ".bad"  {MARK}')),
    "schema version": _edit(("schema_version = 1", f"schema_version = 2  {MARK}")),
    "toml syntax": _edit(('name = "Raw"', f"name = = 1  {MARK}")),
    "unknown key in a tool table": _edit(('description = "Echo."', f'description = "Echo."\ncolour = 1  {MARK}')),
    "permission of an unknown kind": _edit(
        ('permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]',
         f'permissions = [\n  {{ kind = "surface", surface = "tool" }},\n  {{ kind = "bogus" }},  {MARK}\n'
         '  { kind = "tool", name = "echo" },\n]')),
    "two problems at once": _edit(('name = "Raw"', f"name = 3  {MARK}"),
                                  ('[runtime]', f'[runtime]\nflavour = "x"  {MARK}')),
    "lifecycle not host-managed": _edit(
        ('surfaces = ["tool"]', 'surfaces = ["tool"]'),
        ('input_schema = { type = "object" }',
         'input_schema = { type = "object" }\n[[services]]\nname = "svc"\ndescription = "S."\n'
         f'lifecycle = "manual"  {MARK}')),
}


def _marked(text: str) -> list[int]:
    return [number for number, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(MARK)]


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("regions")
    (root / ".git").mkdir()  # what the repository root is found by
    (root / "ci").mkdir()  # the command runs here, one level below the root
    return root


def _sarif(repo: Path, *args: str) -> tuple[dict, subprocess.CompletedProcess]:
    done = subprocess.run([*BIN, "plugin", "check", *args, "--format", "sarif"], cwd=repo / "ci",
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout), done


def _places(log: dict) -> list[tuple[str, int]]:
    (run,) = log["runs"]
    places = []
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        places.append((artifact["uri"], physical["region"]["startLine"]))
    return places


@pytest.mark.parametrize("name", sorted(MANIFESTS))
def test_manifest_findings_sit_on_the_offending_lines(repo, name):
    text = MANIFESTS[name]
    folder = write_package(repo / "plugins" / name.replace(" ", "-"), text, {"tool.wasm": core_module()})
    log, _ = _sarif(repo, os.path.relpath(folder, repo / "ci"))
    (run,) = log["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    uri = f"plugins/{folder.name}/plugin.toml"
    places = _places(log)
    assert {u for u, _ in places} == {uri}, places
    assert sorted({line for _, line in places}) == _marked(text), (name, places)


def _package(repo: Path) -> tuple[Path, str]:
    folder = write_package(repo / "plugins" / "granted", BASE, {"tool.wasm": core_module()})
    files, _ = read_package_files(folder, directory=True)
    return folder, package_digest(files)


def _config(digest: str, *pairs: tuple[str, str]) -> str:
    text = textwrap.dedent(f"""\
        [feature]
        other = 1

        [[plugins.enabled]]
        id = "project:t.raw"
        version = "1.0.0"
        digest = "{digest}"
        surfaces = ["tool"]
        [plugins.enabled.grants]
        id = "project:t.raw"
        version = "1.0.0"
        digest = "{digest}"
        permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "echo" }}]
        """)
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


RESOLUTION = {
    "digest pin": [("digest = ", f'digest = "sha256:{"0" * 64}"  {MARK}\nignored = ')],
    "version pin": [('version = "1.0.0"', f'version = "9.9.9"  {MARK}')],
    "undeclared surface": [('surfaces = ["tool"]', f'surfaces = ["tool", "hook"]  {MARK}')],
}


@pytest.mark.parametrize("name", sorted(RESOLUTION))
def test_grants_findings_sit_on_the_offending_config_lines(repo, name):
    folder, digest = _package(repo)
    pairs = RESOLUTION[name]
    text = _config(digest, *pairs)
    if name == "digest pin":  # keep one digest line: the pin, marked; drop the original value
        text = text.replace(f'\nignored = "{digest}"', "", 1)
    grants = repo / "config" / f"{name.replace(' ', '-')}.toml"
    grants.parent.mkdir(exist_ok=True)
    grants.write_text(text)
    log, _ = _sarif(repo, os.path.relpath(folder, repo / "ci"), "--grants", os.path.relpath(grants, repo / "ci"))
    places = _places(log)
    uri = f"config/{grants.name}"
    assert (uri, _marked(text)[0]) in places, places
    assert all(line in _marked(text) for u, line in places if u == uri), places


CONFIG_ERRORS = {
    "unknown key in an entry": ('surfaces = ["tool"]', f'surfaces = ["tool"]\ncolour = "red"  {MARK}'),
    "surface not in the enum": ('surfaces = ["tool"]', f'surfaces = ["tool", "bogus"]  {MARK}'),
    "grant of an unknown kind": ('permissions = [{ kind = "surface", surface = "tool" }',
                                 f'permissions = [{{ kind = "bogus" }}]  {MARK}\nx = [{{ kind = "surface", surface = "tool" }}'),
    "unknown key under plugins": ("[feature]", f"[plugins]\nextra = true  {MARK}\n[feature]"),
    "toml syntax": ('version = "1.0.0"', f"version = = 1  {MARK}"),
}


@pytest.mark.parametrize("name", sorted(CONFIG_ERRORS))
def test_config_errors_name_the_line_and_column_of_the_key(repo, name):
    folder, digest = _package(repo)
    text = _config(digest, CONFIG_ERRORS[name])
    grants = repo / "config" / f"bad-{name.replace(' ', '-')}.toml"
    grants.parent.mkdir(exist_ok=True)
    grants.write_text(text)
    done = subprocess.run([*BIN, "plugin", "check", str(folder), "--grants", str(grants), "--format", "sarif"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == "", done.stdout  # no SARIF after an input error
    (line,) = _marked(text)
    prefix = f"yoi plugin: {grants}:{line}:"
    assert done.stderr.startswith(prefix), (done.stderr, prefix)
    column = int(done.stderr[len(prefix):].split(":", 1)[0])
    assert column > 1 or text.splitlines()[line - 1][0] != " "
