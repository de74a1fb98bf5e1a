"""Rule engine benchmark: transitive closure and a join-heavy rule set, each against sqlite3.

Targets (issue 4): closure >= 100,000 derived facts/s and <= 5x sqlite3's recursive CTE time.
Run: python bench/datalog_closure.py [--nodes 500 --edges 2000 --seed 7 --join-facts 100000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time

from engine.datalog import loads

CLOSURE = """
path(X, Y) :- edge(X, Y).
path(X, Z) :- path(X, Y), edge(Y, Z).
"""

JOINS = """
# who may call which tool: team membership x team grants x tool owners, minus revoked
may_call(U, T) :- member(U, G), grant(G, T), tool_owner(T, O), active(O).
visible(U, T) :- may_call(U, T), not revoked(U, T).
audited(U, T, O) :- visible(U, T), tool_owner(T, O), member(U, G), auditor(G, O).
"""


def random_graph(nodes: int, edges: int, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    out: set[tuple[int, int]] = set()
    while len(out) < edges:
        out.add((rng.randrange(nodes), rng.randrange(nodes)))
    return sorted(out)


def timed(func):
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def closure(nodes: int, edges: int, seed: int) -> None:
    graph = random_graph(nodes, edges, seed)
    program = loads(CLOSURE, "closure.rules")
    result, engine_s = timed(lambda: program.evaluate({"edge": graph}))
    derived = len(result.facts("path"))

    def sqlite_closure() -> int:
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE edge(src INTEGER, dst INTEGER)")
        db.executemany("INSERT INTO edge VALUES (?, ?)", graph)
        (count,) = db.execute(
            "WITH RECURSIVE path(x, y) AS (SELECT src, dst FROM edge UNION "
            "SELECT path.x, edge.dst FROM path JOIN edge ON path.y = edge.src) "
            "SELECT count(*) FROM path").fetchone()
        db.close()
        return count

    count, sqlite_s = timed(sqlite_closure)
    assert count == derived, (count, derived)
    print(f"closure: {nodes} nodes, {edges} edges -> {derived} path facts")
    print(f"  engine  {engine_s:8.3f} s   {derived / engine_s:12,.0f} derived facts/s")
    print(f"  sqlite3 {sqlite_s:8.3f} s   {count / sqlite_s:12,.0f} derived facts/s")
    print(f"  ratio engine/sqlite3: {engine_s / sqlite_s:.2f}x  (target <= 5x, >= 100,000 facts/s)")


def join_facts(total: int, seed: int) -> dict[str, list[tuple]]:
    rng = random.Random(seed)
    users, groups, tools, owners = total // 4, total // 50, total // 20, total // 200
    facts = {
        "member": [(f"u{rng.randrange(users)}", f"g{rng.randrange(groups)}") for _ in range(total * 4 // 10)],
        "grant": [(f"g{rng.randrange(groups)}", f"t{rng.randrange(tools)}") for _ in range(total // 20)],
        "tool_owner": [(f"t{t}", f"o{rng.randrange(owners)}") for t in range(tools)],
        "active": [(f"o{o}",) for o in range(owners) if rng.random() < 0.8],
        "auditor": [(f"g{rng.randrange(groups)}", f"o{rng.randrange(owners)}") for _ in range(total // 20)],
    }
    used = sum(len(v) for v in facts.values())
    facts["revoked"] = [(f"u{rng.randrange(users)}", f"t{rng.randrange(tools)}") for _ in range(total - used)]
    return facts


def joins(total: int, seed: int) -> None:
    facts = join_facts(total, seed)
    program = loads(JOINS, "joins.rules")
    result, engine_s = timed(lambda: program.evaluate(facts))
    derived = sum(len(result.facts(p)) for p in ("may_call", "visible", "audited"))

    def sqlite_joins() -> int:
        db = sqlite3.connect(":memory:")
        for pred, rows in facts.items():
            cols = ", ".join(f"c{i} TEXT" for i in range(len(rows[0])))
            db.execute(f"CREATE TABLE {pred}({cols})")
            db.executemany(f"INSERT INTO {pred} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        for name, cols in (("member", "c1"), ("grant", "c0"), ("tool_owner", "c0"), ("active", "c0"),
                           ("revoked", "c0, c1"), ("auditor", "c0, c1")):
            db.execute(f"CREATE INDEX ix_{name} ON {name}({cols})")
        db.execute("CREATE TABLE may_call AS SELECT DISTINCT m.c0 AS u, g.c1 AS t FROM member m "
                   "JOIN \"grant\" g ON g.c0 = m.c1 JOIN tool_owner o ON o.c0 = g.c1 "
                   "JOIN active a ON a.c0 = o.c1")
        db.execute("CREATE TABLE visible AS SELECT u, t FROM may_call EXCEPT "
                   "SELECT c0, c1 FROM revoked")
        db.execute("CREATE INDEX ix_visible ON visible(u)")
        db.execute("CREATE TABLE audited AS SELECT DISTINCT v.u, v.t, o.c1 AS o FROM visible v "
                   "JOIN tool_owner o ON o.c0 = v.t JOIN member m ON m.c0 = v.u "
                   "JOIN auditor au ON au.c0 = m.c1 AND au.c1 = o.c1")
        n = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("may_call", "visible", "audited"))
        db.close()
        return n

    count, sqlite_s = timed(sqlite_joins)
    assert count == derived, (count, derived)
    inputs = sum(len(v) for v in facts.values())
    print(f"joins: {inputs} input facts -> {derived} derived facts (may_call, visible, audited)")
    print(f"  engine  {engine_s:8.3f} s   {derived / engine_s:12,.0f} derived facts/s")
    print(f"  sqlite3 {sqlite_s:8.3f} s   (tables, indexes and queries)")
    print(f"  ratio engine/sqlite3: {engine_s / sqlite_s:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--edges", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--join-facts", type=int, default=100_000)
    args = parser.parse_args()
    closure(args.nodes, args.edges, args.seed)
    joins(args.join_facts, args.seed)


if __name__ == "__main__":
    main()
