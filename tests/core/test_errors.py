"""One error model: every library error is an EngineError with a kind, library errors hold no exit
code, and the CLI maps each kind to one exit code (engine/cli/exits.py), as docs/architecture.md
says. Each kind has a real library failure and a real CLI failure here."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli.exits import EXIT_CODES, exit_code, kind_of
from engine.errors import FAULT_ERROR_KINDS, EngineError, ErrorKind, fault_error_kind
from example_workspace import yoi

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"
# Exceptions that never leave the module that raises them: each is turned into a library error
# (or a diagnostic) right where it is caught.
MODULE_PRIVATE = {
    "engine.datalog.parser.SyntaxProblem": "becomes a LoadError diagnostic in parser.py",
    "engine.wit.errors.Problem": "becomes a WitError diagnostic where it is caught",
    "engine.wit.scope.Broken": "a Problem already reported: skipped where it is caught",
    "engine.wit.comments.UnterminatedComment": "becomes a WitError in wit/parser.py",
    "engine.runtime.hostapi.http1.ProtocolError": "becomes a HostApiError message in https.py and request.py",
    "engine.package.manifest_locations._Stop": "stops a scan early inside manifest_locations.py",
    "engine.runtime.service.commands._Rejected": "becomes a Rejected output-command result in commands.py",
    "engine.package.input_schema._SchemaError": "becomes a schema problem in input_schema.py",
    "engine.pipeline.inputs.Uncacheable": "RunInputs.cache_key answers None (no cache) in inputs.py",
    "engine.host.terminate._Terminated": "SIGTERM in serve's main thread; sigterm_stops ends the process by it",
}
DOCUMENTED_EXITS = {
    ErrorKind.USAGE: 2, ErrorKind.INPUT: 2, ErrorKind.POLICY_LOAD: 2, ErrorKind.IO: 2,
    ErrorKind.REJECTED: 1, ErrorKind.DENIED: 1, ErrorKind.FAILED: 1, ErrorKind.INTERNAL: 2,
}


def _modules() -> list[str]:
    names = []
    for path in sorted(ENGINE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_exception_class_of_the_engine_is_an_engine_error_or_module_private():
    found, private = [], set()
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name:
                qualified = f"{name}.{value.__qualname__}"
                if qualified in MODULE_PRIVATE:
                    private.add(qualified)
                elif not issubclass(value, EngineError):
                    found.append(qualified)
    assert found == []
    assert private == set(MODULE_PRIVATE)  # the list cannot go stale


def _exit_code_uses(path: Path) -> list[str]:
    """`exit_code`, `SystemExit`, `sys.exit`, `os._exit` in code (strings do not count: the build
    runs componentize-py through a `sys.exit(...)` one-liner)."""
    uses = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id in ("exit_code", "SystemExit"):
            uses.append(f"{path.name}:{node.lineno} {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in ("exit_code", "_exit") or (
            isinstance(node, ast.Attribute) and node.attr == "exit" and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            uses.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.keyword) and node.arg == "exit_code":
            uses.append(f"{path.name}:{node.lineno} exit_code=")
    return uses


def test_no_library_code_holds_an_exit_code():
    uses = [use for path in sorted(ENGINE.rglob("*.py")) if "cli" not in path.relative_to(ENGINE).parts
            for use in _exit_code_uses(path)]
    assert uses == []
    assert _exit_code_uses(ENGINE / "cli" / "common.py")  # the scan does find them where they are


def test_each_kind_has_its_documented_exit_code():
    assert dict(EXIT_CODES) == DOCUMENTED_EXITS
    assert set(EXIT_CODES) == set(ErrorKind)
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text[text.index("## Errors and exit codes"):]
    rows = dict(re.findall(r"^\| `([a-z-]+)` \| (\d) \|", section[:section.index("\n## ", 1)], re.M))
    assert {ErrorKind(kind): int(code) for kind, code in rows.items()} == DOCUMENTED_EXITS
    assert kind_of(RuntimeError("bug")) is ErrorKind.INTERNAL and exit_code(ErrorKind.INTERNAL) == 2


def test_every_runtime_fault_kind_and_host_refusal_maps_to_a_kind():
    from engine.runtime.errors import FAULT_KINDS, RuntimeFault

    assert FAULT_KINDS <= set(FAULT_ERROR_KINDS)
    assert {RuntimeFault(kind, "m").error_kind for kind in ("trap", "denied", "invalid_input", "internal")} == {
        ErrorKind.FAILED, ErrorKind.DENIED, ErrorKind.INPUT, ErrorKind.INTERNAL}
    assert fault_error_kind("invalid_request") is ErrorKind.INPUT and fault_error_kind("??") is ErrorKind.INTERNAL


# ---- one real failure per kind, from the library and from the CLI ------------------------------

BAD_WIT = "package a:b;\ninterface i { f: func( }\n"


def _library_failure(kind: ErrorKind, tmp_path: Path) -> None:
    """Make the library raise an error of `kind` the way a command would meet it."""
    if kind is ErrorKind.USAGE:
        from engine.authoring.new import create

        create("no-such-template", str(tmp_path / "dest"))
    elif kind is ErrorKind.INPUT:
        from engine.grants.config import parse_config

        parse_config("[[plugins.enabled]]\nid = 1\n", "config.toml")
    elif kind is ErrorKind.POLICY_LOAD:
        from engine.datalog import loads

        loads("deny d(P) :- q(P", "bad.rules")
    elif kind is ErrorKind.IO:
        from engine.wit import resolve_path

        resolve_path(tmp_path / "missing.wit")
    elif kind is ErrorKind.REJECTED:
        from engine.wit import resolve_path

        (tmp_path / "bad.wit").write_text(BAD_WIT)
        resolve_path(tmp_path / "bad.wit")
    elif kind is ErrorKind.DENIED:
        from engine.runtime import PluginInstanceRegistry

        with PluginInstanceRegistry([]) as registry:
            registry.call_tool("project:nope", "t", {})
    elif kind is ErrorKind.FAILED:
        from engine.authoring.build import build
        from engine.authoring.new import create

        create("wat-tool", str(tmp_path / "w"))
        next((tmp_path / "w" / "src").glob("*.wat")).write_text("(module (oops))")
        build(str(tmp_path / "w"))
    else:
        from engine.json_schema import to_json_schema

        to_json_schema({"a": {"type": "string", "check_with": "x"}}, title="t", description="d")


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_each_kind_is_raised_by_the_library_as_an_engine_error_of_that_kind(kind, tmp_path):
    with pytest.raises(EngineError) as raised:
        _library_failure(kind, tmp_path)
    assert raised.value.error_kind is kind


def _cli_failure(kind: ErrorKind, tmp_path: Path) -> list[str]:
    """Arguments of a `yoi` run that fails with an error of `kind`."""
    workspace = str(ROOT / "examples" / "workspace")
    if kind is ErrorKind.USAGE:
        return ["plugin", "show", "no-such-package", "--workspace", workspace]
    if kind is ErrorKind.INPUT:
        (tmp_path / "config.toml").write_text("[[plugins.enabled]]\nid = 1\n")
        return ["plugin", "list", "--workspace", workspace, "--config", str(tmp_path / "config.toml")]
    if kind is ErrorKind.POLICY_LOAD:
        (tmp_path / "policy").mkdir()
        (tmp_path / "policy" / "bad.rules").write_text("deny d(P) :- q(P")
        return ["plugin", "check", str(ROOT / "examples" / "instance-counter"), "--policy", str(tmp_path / "policy")]
    if kind is ErrorKind.IO:
        return ["wit", "check", str(tmp_path / "missing.wit")]
    if kind is ErrorKind.REJECTED:
        (tmp_path / "bad.wit").write_text(BAD_WIT)
        return ["wit", "check", str(tmp_path / "bad.wit")]
    if kind is ErrorKind.DENIED:
        return ["plugin", "call", "no-such-package", "t", "--workspace", workspace, "--quiet"]
    if kind is ErrorKind.FAILED:
        from engine.authoring.new import create

        create("wat-tool", str(tmp_path / "w"))
        next((tmp_path / "w" / "src").glob("*.wat")).write_text("(module (oops))")
        return ["plugin", "build", str(tmp_path / "w")]
    return ["plugin", "schema", "config"]  # INTERNAL: made to break below


EXPECTED_STDERR = {
    ErrorKind.USAGE: "plugin package `no-such-package` was not found",
    ErrorKind.INPUT: "plugin config key `plugins.enabled[0].id` must be a string",
    ErrorKind.POLICY_LOAD: "policy rules are invalid",
    ErrorKind.IO: "missing.wit: path does not exist",
    ErrorKind.REJECTED: "invalid (1 problem)",
    ErrorKind.DENIED: "not_found: plugin package `no-such-package`",
    ErrorKind.FAILED: "plugin build failed: WAT source",
    ErrorKind.INTERNAL: "internal error (SchemaTranslationError: boom)",
}


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_each_kind_ends_a_real_command_with_its_exit_code(kind, tmp_path):
    args = _cli_failure(kind, tmp_path)
    if kind is ErrorKind.INTERNAL:  # no input makes the engine fail inside: break a generator
        code = ("import sys, engine.json_schema as j\n"
                "def broken():\n    raise j.SchemaTranslationError('boom')\n"
                "j.SCHEMAS['config'] = broken\n"
                "from engine.cli.main import main\nsys.argv[1:] = " + repr(args) + "\nmain()\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    else:
        done = yoi(*args)
    assert done.returncode == EXIT_CODES[kind], (done.stdout[-500:], done.stderr[-1500:])
    assert EXPECTED_STDERR[kind] in done.stdout + done.stderr, done.stderr[-1500:]
    assert "Traceback" not in done.stderr


def test_an_unexpected_exception_is_internal_and_a_stray_library_error_keeps_its_kind():
    code = ("import sys, engine.json_schema as j\n"
            "from engine.errors import EngineError, ErrorKind\n"
            "def broken():\n    raise {error}\n"
            "j.SCHEMAS['config'] = broken\n"
            "from engine.cli.main import main\nsys.argv[1:] = ['plugin', 'schema', 'config']\nmain()\n")
    bug = subprocess.run([sys.executable, "-c", code.format(error="KeyError('x')")], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert bug.returncode == 2 and "internal error (KeyError" in bug.stderr
    stray = subprocess.run([sys.executable, "-c", code.format(error="EngineError('gone', error_kind=ErrorKind.IO)")],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (stray.returncode, stray.stderr.strip()) == (2, "yoi: gone")
    denied = subprocess.run([sys.executable, "-c", code.format(error="EngineError('no', error_kind=ErrorKind.DENIED)")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (denied.returncode, denied.stderr.strip()) == (1, "yoi: no")
