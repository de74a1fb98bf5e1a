"""A program restored from its snapshot (the on-disk program cache) behaves exactly like a fresh one."""

from __future__ import annotations

import pytest

from engine import cache
from engine.datalog import LoadError, Program, load, loads

TEXT = '''
edge("a", "b"). edge("b", "c"). edge("c", "a"). edge("c", "d").
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
blocked("d").
reach_ok(X, Y) :- path(X, Y), not blocked(Y), regex(Y, "^[a-c]$"), X != Y.
deny cycle(X) "node {X} is on a cycle" :- path(X, X), startswith(X, "a").
'''


def _outcome(program: Program):
    result = program.evaluate({"edge": [("d", "e")]})
    return (result.facts("path"), result.facts("reach_ok"), [c.to_dict() for c in result.conclusions],
            result.facts("conclusion"), result.explain("reach_ok", ("a", "c")).to_dict(),
            result.why_not("reach_ok", ("a", "d")).to_dict())


def test_snapshot_round_trip_gives_identical_results():
    program = loads(TEXT, "t.rules")
    restored = Program.from_snapshot(program.snapshot())
    assert _outcome(restored) == _outcome(program)
    assert restored.statements == program.statements and restored.files == program.files


def test_load_uses_the_cache_and_sees_edits(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    rules = tmp_path / "r.rules"
    rules.write_text(TEXT)
    first = load([rules])
    assert len(list((tmp_path / "cache").glob("program-*.pickle"))) == 1
    second = load([rules])
    assert _outcome(second) == _outcome(first)
    rules.write_text(TEXT + 'deny extra(X) "x {X}" :- blocked(X).\n')
    edited = load([rules])
    assert "extra" in {c.code for c in edited.evaluate({}).conclusions}
    rules.write_text(TEXT + "broken(X) :- .\n")
    with pytest.raises(LoadError):
        load([rules])
    assert len(list((tmp_path / "cache").glob("program-*.pickle"))) == 2  # a bad program is never cached
