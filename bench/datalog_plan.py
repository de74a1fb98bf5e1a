"""Join planning cost for long rule bodies: the near-linear planner against the old quadratic one.

Measures, in one run, (1) planning one body of N literals (`_order`), (2) planning plus code
generation and `compile` of it (`compile_rule`), and (3) `loads` of a rules file of 500-literal
rules, each with the current planner and with the old one (the reference kept in
tests/datalog/test_datalog_plan_order.py, patched in). Output is wall seconds and new/old ratios.
Run: python bench/datalog_plan.py [--sizes 512,4000 --file-kib 1024 --seed 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import time
from pathlib import Path

import engine.datalog.joins as joins
from engine.datalog import loads
from engine.datalog.ast import Atom
from engine.datalog.parser import parse_text

ROOT = Path(__file__).resolve().parents[1]


def reference_order():
    spec = importlib.util.spec_from_file_location("plan_reference", ROOT / "tests/datalog/test_datalog_plan_order.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_order


def body_text(literals: int, rng: random.Random) -> str:
    """A shuffled chain of atoms over shared variables with a comparison or negation every 8th
    literal: the planner must follow the chain, so every step changes which atom is best."""
    atoms = [f"e(X{k}, X{k + 1})" if k % 3 else f'f(X{k}, "c", X{k + 1})' for k in range(literals)]
    lits = []
    for k, atom in enumerate(atoms):
        lits.append(atom)
        if k % 8 == 7 and len(lits) < literals:
            lits.append(f'X{k} != "a"' if k % 16 == 7 else f"not g(X{k})")
    lits = lits[:literals]
    rng.shuffle(lits)
    return ", ".join(lits)


def rule_text(head: str, literals: int, rng: random.Random) -> str:
    return f"{head}(X0) :- {body_text(literals, rng)}.\n"


def one_rule(literals: int, rng: random.Random):
    rules, diagnostics = parse_text(rule_text("h", literals, rng), "bench.rules")
    assert not diagnostics, diagnostics[:1]
    return rules[0]


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def best(func, repeat: int) -> float:
    return min(timed(func) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="512,4000")
    parser.add_argument("--file-kib", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    new_order, old_order = joins._order, reference_order()

    for size in [int(s) for s in args.sizes.split(",")]:
        rule = one_rule(size, rng)
        atoms = [i for i, lit in enumerate(rule.body) if isinstance(lit, Atom)]
        assert new_order(rule, None) == old_order(rule, None)
        repeat = 3 if size <= 1000 else 1
        new = best(lambda: new_order(rule, None), repeat)
        old = best(lambda: old_order(rule, None), repeat)
        print(
            f"plan {size} literals ({len(atoms)} atoms): new {new * 1000:.1f} ms, old {old * 1000:.1f} ms, "
            f"old/new {old / new:.0f}x"
        )
        full = best(lambda: joins.compile_rule(rule, 0), repeat)
        print(f"  plan+codegen+compile {size} literals (new planner): {full * 1000:.1f} ms")

    text = ""
    n = 0
    while len(text.encode()) < args.file_kib * 1024:
        text += rule_text(f"h{n}", 500, rng)
        n += 1
    for half in (False, True):
        part = text[: text.index("\n", len(text) // 2) + 1] if half else text
        part_kib = len(part.encode()) / 1024
        new = timed(lambda: loads(part, "bench.rules"))
        joins._order = old_order
        try:
            old = timed(lambda: loads(part, "bench.rules"))
        finally:
            joins._order = new_order
        print(
            f"loads {part_kib:.0f} KiB ({part.count(chr(10))} rules of 500 literals): new {new:.2f} s "
            f"({new * 1000 / part_kib:.1f} ms/KiB), old {old:.2f} s ({old * 1000 / part_kib:.1f} ms/KiB)"
        )


if __name__ == "__main__":
    main()
