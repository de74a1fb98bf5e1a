"""The stages of engine/ and the imports each may make, declared once (issue 16 point 5).

Every import of every module, at any depth of its code (a lazy import inside a function counts
as much as one at the top), must stay inside its own stage or go to a stage the table below
allows. A new stage is a new row here: a module of a stage the table does not name fails, as
does any edge the table does not list. The table itself must have no cycle, so data flows one
way: parse -> graph -> rules -> verdict -> plan -> runtime (docs/architecture.md).
"""

from __future__ import annotations

from pathlib import Path

from engine_imports import ROOT, closure, file_of, imports_of, module_name

ENGINE = ROOT / "engine"

# stage -> the other stages it may import (each module of a stage may import its own stage).
ALLOWED: dict[str, set[str]] = {
    # the package root (its version), and small modules every stage may lean on
    "engine": set(),
    "errors": set(),  # the one error model: EngineError and its kinds
    "api_registry": {"engine"},  # the host-API registry, one entry per API
    "diagnostics": {"errors"},
    "safe_read": {"errors"},
    "walk": {"errors"},
    "resources": set(),
    "schemas": set(),
    "limits": set(),  # runtime limit types, below grants and plan (no grants <-> plan cycle)
    "repo_root": set(),  # the repository a SARIF log's paths are relative to
    "atomic_write": set(),
    "rule_files": set(),  # which files a rule program is made of (the loader and the verdict cache)
    "cache": {"engine"},
    "compiled": {"engine", "cache"},
    "install": set(),  # how the engine was installed: the one source of install hints
    "protected": {"engine", "api_registry", "cache", "compiled"},  # the host's own paths (issue 17.1)
    # reading the inputs
    "package": {"engine", "api_registry", "diagnostics", "errors", "resources", "safe_read", "schemas", "walk"},
    "grants": {"engine", "api_registry", "diagnostics", "errors", "limits", "package", "provenance", "safe_read", "schemas"},
    "wit": {"engine", "cache", "diagnostics", "errors", "resources", "safe_read"},
    "artifact": {"engine", "cache", "compiled", "diagnostics", "errors"},
    "targets": {"api_registry", "engine", "errors", "package", "resources", "safe_read", "schemas", "wit"},
    "json_schema": {"engine", "api_registry", "errors", "grants", "package", "targets"},
    # who made a package: signatures, Sigstore bundles and build provenance (docs/provenance.md)
    "provenance": {
        "engine", "atomic_write", "authoring", "compiled", "diagnostics", "errors", "package", "safe_read", "wit",
    },
    # the approved plan: the only thing the runtime takes
    "plan": {"api_registry", "limits"},
    # facts, rules, and the stage that runs them
    "graph": {
        "engine", "api_registry", "artifact", "cache", "diagnostics", "grants", "limits", "package", "protected",
        "provenance", "resources", "targets", "wit",
    },
    "datalog": {"engine", "cache", "diagnostics", "errors", "rule_files", "safe_read", "walk"},
    "pipeline": {
        "engine", "api_registry", "datalog", "diagnostics", "errors", "grants", "graph", "package", "protected",
        "provenance", "resources", "rule_files", "safe_read", "targets",
    },
    # the typed verdict, built once, and what renders it
    "verdict": {
        "engine", "api_registry", "cache", "datalog", "diagnostics", "errors", "grants", "graph", "package", "pipeline",
        "plan", "provenance",
    },
    "report": {"engine", "api_registry", "datalog", "diagnostics", "package", "plan", "provenance", "repo_root", "verdict"},
    # running plans
    "runtime": {"engine", "api_registry", "cache", "compiled", "diagnostics", "errors", "package", "plan", "safe_read"},
    "host": {"diagnostics", "errors", "grants", "pipeline", "plan", "report", "runtime", "verdict"},
    # beside the pipeline
    "authoring": {
        "engine", "api_registry", "artifact", "compiled", "diagnostics", "errors", "install", "package", "resources",
        "safe_read", "targets", "walk", "wit",
    },
    # a package folder run while it is written: builds (authoring), judges and serves (host)
    "dev": {
        "engine", "api_registry", "artifact", "authoring", "compiled", "diagnostics", "errors", "grants", "host",
        "limits", "package", "pipeline", "runtime", "safe_read", "verdict",
    },
    "migrate": {"api_registry", "artifact", "atomic_write", "errors", "grants", "package", "runtime", "safe_read"},
    "cli": {
        "engine", "authoring", "datalog", "dev", "diagnostics", "errors", "grants", "graph", "host", "install",
        "json_schema", "migrate", "package", "pipeline", "provenance", "report", "resources", "runtime", "targets",
        "verdict", "wit",
    },
}


def stage_of(module: str) -> str:
    """`engine.report.human` -> `report`; `engine.__version__` (a name, no module) -> `engine`."""
    parts = module.split(".")
    if len(parts) == 1 or file_of(f"engine.{parts[1]}") is None:
        return "engine"
    return parts[1]


def sources() -> list[Path]:
    return sorted(ENGINE.rglob("*.py"))


def test_every_stage_of_the_engine_is_in_the_table():
    stages = {stage_of(module_name(path)) for path in sources()}
    assert stages - set(ALLOWED) == set(), "a new stage needs a row in ALLOWED"
    assert set(ALLOWED) - stages == set(), "the table names a stage that no longer exists"


def test_every_import_is_a_declared_edge_lazy_ones_included():
    bad = []
    for path in sources():
        module = module_name(path)
        stage = stage_of(module)
        for target in sorted(imports_of(path)):
            other = stage_of(target)
            if other != stage and other not in ALLOWED[stage]:
                bad.append(f"{module} imports {target} ({stage} -> {other})")
    assert not bad, "undeclared stage edges:\n" + "\n".join(bad)


def test_the_table_has_no_cycle():
    """A topological order exists: no stage reaches back to one that reaches it."""
    import networkx as nx

    graph = nx.DiGraph([(stage, other) for stage, others in ALLOWED.items() for other in others])
    assert nx.is_directed_acyclic_graph(graph), nx.find_cycle(graph)


def test_each_stage_reaches_only_what_the_table_lets_it_reach():
    """The static closure over each stage's modules stays inside the table's transitive closure
    of that stage (generalizing tests/runtime/test_layering.py's runtime-only check)."""
    import networkx as nx

    graph = nx.DiGraph([(s, o) for s, others in ALLOWED.items() for o in others])
    graph.add_nodes_from(ALLOWED)
    for stage in ALLOWED:
        reachable = nx.descendants(graph, stage) | {stage}
        starts = [module_name(p) for p in sources() if stage_of(module_name(p)) == stage]
        reached = closure(starts)
        bad = {m: p for m, p in reached.items() if stage_of(m) not in reachable}
        assert not bad, f"{stage} reaches beyond its declared stages: {bad}"


def test_the_runtime_takes_plans_and_nothing_of_the_rule_layers():
    forbidden = {"graph", "datalog", "pipeline", "verdict", "report", "host", "cli"}
    reached = closure([module_name(p) for p in sources() if stage_of(module_name(p)) == "runtime"])
    assert "engine.plan" in reached
    assert not {m for m in reached if stage_of(m) in forbidden}


def test_the_guest_pdk_imports_nothing_of_the_engine():
    pdk = sorted((ROOT / "yoi_pdk").rglob("*.py"))
    assert pdk
    assert not [p for p in pdk if imports_of(p)]


def test_docs_architecture_shows_the_same_table():
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text[text.index("| stage | may import (besides itself) |"):]
    rows = re.findall(r"^\| `(\w+)` \| (.*) \|$", table.split("\n\n")[0], re.M)
    documented = {stage: set(re.findall(r"`(\w+)`", allowed)) for stage, allowed in rows}
    assert documented == ALLOWED
