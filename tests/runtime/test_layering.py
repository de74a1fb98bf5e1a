"""MISSION invariants on the code itself: the runtime takes plans and nothing of the rule layers,
and the review commands (check, list, show, explain, graph) never instantiate or run guest code."""

from __future__ import annotations

import subprocess
import sys

from engine_imports import ROOT, closure, module_name

RULE_LAYERS = ("engine.graph", "engine.datalog", "engine.report")


def test_the_runtime_reaches_no_rule_layer_even_through_lazy_or_indirect_imports():
    """A static closure over engine/runtime/**.py (function-level imports count), so a lazy
    `from engine.report import ...` inside a rarely run branch cannot slip through."""
    start = sorted((ROOT / "engine" / "runtime").rglob("*.py"))
    assert len(start) > 5
    seen = closure([module_name(path) for path in start])  # module -> the module that imported it first
    bad = {m: p for m, p in seen.items() if m.startswith(RULE_LAYERS)}
    assert not bad, f"engine.runtime reaches rule layers: {bad}"
    assert "engine.plan" in seen  # the closure really follows imports


def test_review_commands_never_instantiate_or_run_guest_code(tmp_path):
    """check/list/show/explain/graph over every example, with a cold cache (so component types
    are really compiled): wasmtime's Store, Linker and Instance are booby-trapped, and neither the
    runtime nor the host start-up is imported."""
    probe = (
        "import sys, wasmtime, wasmtime.component\n"
        "class Trap:\n"
        "    def __init__(self, *a, **k):\n"
        "        raise SystemExit('GUEST-CODE-PATH ' + type(self).__name__)\n"
        "for mod, name in ((wasmtime, 'Store'), (wasmtime, 'Linker'), (wasmtime, 'Instance'),\n"
        "                  (wasmtime.component, 'Linker')):\n"
        "    setattr(mod, name, type(name, (Trap,), {}))\n"
        "from engine.cli.main import cli\n"
        "ws = 'examples/workspace'\n"
        "codes = []\n"
        "for args in (['plugin', 'check', 'examples/instance-counter'],\n"
        "             ['plugin', 'check', 'examples/component-echo', '--format', 'sarif'],\n"
        "             ['plugin', 'check', 'examples/raw-echo', '--format', 'json'],\n"
        "             ['plugin', 'list', '--workspace', ws], ['plugin', 'show', 'example.counter', '--workspace', ws],\n"
        "             ['plugin', 'explain', 'example.counter', '--workspace', ws, '--proof'],\n"
        "             ['plugin', 'graph', 'example.counter', '--workspace', ws, '--format', 'json']):\n"
        "    try:\n        cli(args)\n    except SystemExit as stop:\n        codes.append(stop.code)\n"
        "print('CODES', codes)\n"
        "print('LOADED', sorted(m for m in sys.modules if m.startswith(('engine.runtime', 'engine.host'))))\n")
    env = {"YOI_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env=env)
    assert "GUEST-CODE-PATH" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stderr[-2000:]
    assert "CODES [0, 0, 0, 0, 0, 0, 0]" in result.stdout, result.stdout[-600:]
    assert result.stdout.rstrip().endswith("LOADED []"), result.stdout[-600:]
