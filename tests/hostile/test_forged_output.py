"""Issue 8 item 3: output cannot be forged. Strings from packages, file names, configs, policy
cases and rules are escaped in human output; JSON keeps them JSON-escaped; a manifest version
must be SemVer; tool and permission names refuse bidi and zero-width characters."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from engine.diagnostics import escape_text, human_lines
from engine.package.archive import write_archive
from engine.package.ids import has_invisible, is_semver
from hostile import RAW_ECHO, add_enabled_package, raw_echo_manifest, run_yoi

# Everything a terminal would act on or hide; none of it may reach human output raw.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]")
HOSTILE_FILE = "x\x1b[2J\r\n- project:example.fake [active]\u202e.yoi-plugin"


@pytest.mark.parametrize("raw, shown", [
    ("a\x1b[2Jb", "a\\u001b[2Jb"), ("line\r\nnext", "line\\r\\nnext"), ("tab\there", "tab\\there"),
    ("\u202eevil", "\\u202eevil"), ("\u2066\u2069\u200e\u200f\u061c", "\\u2066\\u2069\\u200e\\u200f\\u061c"),
    ("zero\u200b\u200c\u200d\u2060\ufeff", "zero\\u200b\\u200c\\u200d\\u2060\\ufeff"),
    ("c1\x85\x9b", "c1\\u0085\\u009b"), ("lone\ud800", "lone\\ud800"), ("plain é ü 日本", "plain é ü 日本"),
])
def test_escape_text_makes_every_unsafe_character_visible(raw, shown):
    assert escape_text(raw) == shown
    assert human_lines([raw, "ok"]) == f"{shown}\nok\n"


def test_semver_and_invisible_name_predicates():
    for good in ("0.1.0", "1.2.3-alpha.1+build.5", "10.20.30", "1.0.0-0A.is.legal"):
        assert is_semver(good), good
    for bad in ("1", "1.0", "v1.0.0", "01.0.0", "1.0.0 ", "1.0.0\n", "0.1.0\x1b[2J", "1.0.0-", "1.0.0+", "１.0.0"):
        assert not is_semver(bad), bad
    assert has_invisible("a\u200bb") and has_invisible("\u202e") and not has_invisible("plain_name")


@pytest.fixture
def hostile_workspace(tmp_path: Path) -> Path:
    """One enabled package whose archive name forges a line, whose tool name has an RLO, plus a
    package whose version tries to forge a `list` line."""
    config = add_enabled_package(tmp_path, HOSTILE_FILE, "evil", raw_echo_manifest(
        "evil", tools=("ok_tool", "raw\\u202eecho"), permission_names=("ok_tool",)), ("ok_tool",))
    forged = raw_echo_manifest("forged", version="0.1.0\\u001b[2J\\r\\n- project:example.fake [active]")
    store = tmp_path / ".yoi" / "plugins"
    (store / "forged.yoi-plugin").write_bytes(write_archive({"plugin.toml": forged.encode()}))
    (tmp_path / ".yoi" / "config.toml").write_text(config)
    return tmp_path


def assert_safe(text: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"raw {found.group()!r} in output"


@pytest.mark.slow  # seven child processes
def test_list_show_check_explain_graph_escape_hostile_package_strings(hostile_workspace):
    ws = hostile_workspace
    listed = run_yoi("plugin", "list", "--workspace", ws)
    assert_safe(listed.stdout)
    assert "x\\u001b[2J\\r\\n- project:example.fake [active]\\u202e.yoi-plugin" in listed.stdout
    assert not any(line.startswith("- project:example.fake") for line in listed.stdout.splitlines())
    forged_line = next(line for line in listed.stdout.splitlines() if line.startswith("- project:forged "))
    assert "[rejected]" in forged_line
    assert "plugin manifest version is not a SemVer 2.0.0 version" in listed.stdout
    for args in (("show", "project:evil"), ("explain", "project:evil"), ("graph", "project:evil"),
                 ("graph", "project:evil", "--format", "mermaid")):
        done = run_yoi("plugin", *args, "--workspace", ws)
        assert done.returncode in (0, 1), done.stderr
        assert_safe(done.stdout)
        assert "raw\\u202eecho" in done.stdout or "raw\\\\u202eecho" in done.stdout
    checked = run_yoi("plugin", "check", ws / ".yoi" / "plugins" / HOSTILE_FILE)
    assert_safe(checked.stdout + checked.stderr)
    assert "tool `raw\\u202eecho` has invalid name: name must not contain bidi or zero-width characters" \
        in checked.stdout
    data = json.loads(run_yoi("plugin", "list", "--workspace", ws, "--json").stdout)  # JSON: the real name
    evil = next(item for item in data["items"] if item["reference"] == "project:evil")
    assert evil["package_path"].endswith(HOSTILE_FILE)
    assert {t["name"] for t in evil["tools"]} == {"ok_tool", "raw\u202eecho"}
    # an invalid tool name fails the whole install (issue 18 point 1), ok_tool included
    assert evil["status"] == "rejected" and evil["plan"] is None
    assert next(t for t in evil["tools"] if t["name"] == "raw\u202eecho")["eligible"] is False


def test_policy_eval_lint_and_test_escape_rule_and_case_strings(tmp_path):
    rules = tmp_path / "r.rules"
    rules.write_text('deny bad(X) "value {X} \\u202e reversed" :- p(X).\n')
    (tmp_path / "f.json").write_text(json.dumps({"p": [["a\x1b[31m\r\nfake: 0 deny"]]}))
    done = run_yoi("policy", "eval", rules, "--facts", tmp_path / "f.json", "--explain", 'bad("x")')
    assert done.returncode == 1
    assert_safe(done.stdout)
    assert 'bad("a\\u001b[31m\\r\\nfake: 0 deny")' in done.stdout and "\\u202e reversed" in done.stdout
    named = tmp_path / "x\x1b[2J.rules"
    named.write_text("p(X :- q.\n")
    done = run_yoi("policy", "lint", named)
    assert done.returncode == 2 and "x\\u001b[2J.rules:1:5: error:" in done.stdout
    assert_safe(done.stdout)
    (tmp_path / "cases.test.toml").write_text(
        '[[case]]\nname = "evil\\u001b[2K\\rPASS fake"\nrules = ["r.rules"]\nfacts = { p = [["a"]] }\n'
        'expect_no_conclusions = [{ code = "bad" }]\n')
    done = run_yoi("policy", "test", tmp_path / "cases.test.toml")
    assert done.returncode == 1
    assert_safe(done.stdout)
    assert "::evil\\u001b[2K\\rPASS fake: " in done.stdout


def test_wit_check_escapes_file_names(tmp_path):
    bad = tmp_path / "w\x1b[31m\u202e.wit"
    bad.write_text("package a:b;\ninterface i { f: func(x: nope); }\n")
    done = run_yoi("wit", "check", bad)
    assert done.returncode == 1
    assert_safe(done.stdout + done.stderr)
    assert "w\\u001b[31m\\u202e.wit" in done.stdout


def test_permission_names_with_invisible_characters_are_rejected(tmp_path):
    done = run_yoi("plugin", "check", _archive(tmp_path, raw_echo_manifest(
        "p", tools=("t",), permission_names=("t\\u200b",))), "--json")
    report = json.loads(done.stdout)
    assert report["status"] == "rejected" and done.returncode == 1
    assert [d["message"] for d in report["diagnostics"]] == [
        "plugin permission name contains bidi or zero-width characters"]
    grants = tmp_path / "grants.toml"
    grants.write_text('[[plugins.enabled]]\nid = "project:p"\n[plugins.enabled.grants]\n'
                      'permissions = [{ kind = "tool", name = "t\\u202e" }]\n')
    done = run_yoi("plugin", "check", _archive(tmp_path, raw_echo_manifest("p", tools=("t",))), "--grants", grants)
    assert done.returncode == 2
    assert "names a permission with bidi or zero-width characters" in done.stderr


def _archive(tmp_path: Path, manifest: str) -> Path:
    path = tmp_path / "p.yoi-plugin"
    artifact = (RAW_ECHO / "echo.wasm").read_bytes()
    path.write_bytes(write_archive({"plugin.toml": manifest.encode(), "echo.wasm": artifact}))
    return path


def test_json_output_stays_valid_utf8_for_a_file_name_that_is_not(tmp_path):
    config = add_enabled_package(tmp_path, "placeholder.yoi-plugin", "bytes", raw_echo_manifest("bytes"), ())
    store = tmp_path / ".yoi" / "plugins"
    os.rename(store / "placeholder.yoi-plugin", os.fsencode(store) + b"/\xff.yoi-plugin")
    (tmp_path / ".yoi" / "config.toml").write_text(config)
    done = run_yoi("plugin", "list", "--workspace", tmp_path, "--json")
    assert "\udcff" not in done.stdout  # run_yoi decodes with surrogateescape: a raw 0xff byte would show
    item = next(i for i in json.loads(done.stdout)["items"] if i["reference"] == "project:bytes")
    assert item["package_path"].endswith("/\udcff.yoi-plugin")  # the \udcff escape, parsed back
    human = run_yoi("plugin", "list", "--workspace", tmp_path)
    assert "/\\udcff.yoi-plugin" in human.stdout and "\udcff" not in human.stdout
