"""`yoi plugin explain`: for every tool, service, ingress and host API, eligible or not, and why.

An eligible item comes with the proof the rules kept; an ineligible one with the denials that
concern it and, per rule that could have made it eligible, the first premise that failed. The
human summary names only what decided: the input facts of the proof, or the missing one.
"""

from __future__ import annotations

import json
from typing import Any

from engine import api_registry
from engine.diagnostics import human_lines
from engine.report.human import allowlist_lines, run_finding_lines
from engine.report.verdict import PER_SURFACE_VIEW, run_findings
from engine.report.views import conclusion_item, limits_line, limits_view

SUMMARY_WIDTH = 110
MAX_SUMMARY_FACTS = 12  # a proof over a long chain can rest on thousands; --proof/JSON have them all


def _items(subject) -> list[tuple[str, str]]:
    manifest = subject.package.manifest
    items = [("tool", t.name) for t in manifest.tools]
    items += [("service", s.name) for s in manifest.services]
    items += [("ingress", i.name) for i in manifest.ingresses]
    apis = {p.value for p in manifest.permissions if p.kind == "host_api"}
    if subject.grants is not None:
        apis |= {p.value for p in subject.grants.permissions if p.kind == "host_api"}
    items += [("host_api", api) for api in api_registry.names() if api in apis]
    return items


def _goal(ref: str, surface: str, name: str) -> tuple[str, tuple]:
    if surface == "host_api":
        return "host_api_eligible", (ref, name)
    return "eligible", (ref, surface, name)


MAX_WHY_NOT_DEPTH = 8


def why_not_chain(result, pred: str, args: tuple) -> list:
    """why_not for the goal, then for the failing premise, and so on down to a missing input
    fact: a reviewer sees the root cause, not only the top rule. Follows a premise only when
    every rule that could make the fact fails at the same ground atom."""
    from engine.datalog import LoadError, parse_atom

    chain = [result.why_not(pred, args)]
    while len(chain) < MAX_WHY_NOT_DEPTH:
        # the failing literals of the rules whose head could make the fact
        literals = {miss.literal for miss in chain[-1].rules if miss.literal}
        if len(literals) != 1:
            break
        (literal,) = literals
        if literal.startswith("not "):
            break
        try:
            pred, args = parse_atom(literal)
        except LoadError:
            break  # not ground: several bindings failed, the rule's own answer is the best one
        chain.append(result.why_not(pred, args))
    return chain


def explain_package(evaluation, ref: str) -> dict[str, Any]:
    subject = evaluation.subject(ref)
    result = evaluation.result
    out: dict[str, Any] = {
        "reference": ref,
        "status": evaluation.value("status", ref, "rejected"),
        "verdict_view": PER_SURFACE_VIEW,  # eligibility per item, as startup sees it
        "classification": evaluation.value("classification", ref),
        "items": [],
        "package_denials": [],
        "plan_allowlists": _plan_allowlists(evaluation, ref),
        "limits": limits_view(evaluation, ref),
        "run_findings": run_findings(evaluation),  # conclusions no package owns (DESIGN decision 6)
    }
    if subject is None or subject.package is None:
        out["package_denials"] = [d.message for d in (subject.diagnostics if subject else ())]
        return out
    denials: dict[tuple[str, str], list] = {}
    for conclusion in evaluation.conclusions(ref):
        if conclusion.severity == "info":
            continue
        item = conclusion_item(conclusion, subject.package)
        if item is None:
            out["package_denials"].append(
                {
                    "code": conclusion.code,
                    "severity": conclusion.severity,
                    "message": conclusion.message,
                    "rule": str(conclusion.location),
                }
            )
        else:
            denials.setdefault(item, []).append(conclusion)
    enabled = set(subject.enabled_surfaces)
    for surface, name in _items(subject):
        pred, args = _goal(ref, surface, name)
        eligible = result.holds(pred, args)
        entry: dict[str, Any] = {
            "surface": surface,
            "name": name,
            "eligible": eligible,
            "surface_enabled": surface == "host_api" or surface in enabled,
            "reasons": [
                {"code": c.code, "severity": c.severity, "message": c.message, "rule": str(c.location)}
                for c in denials.get((surface, name), [])
            ],
        }
        if eligible:
            proof = result.explain(pred, args)
            entry["proof"] = proof.to_dict() if proof else None
            entry["decided_by"] = [step.fact for step in proof.steps if step.source == "input"] if proof else []
            entry["_proof"] = proof
        else:
            chain = why_not_chain(result, pred, args)
            entry["why_not"] = [why.to_dict() for why in chain]
            entry["missing"] = _missing(chain[-1])
            entry["_chain"] = chain
        out["items"].append(entry)
    return out


def _plan_allowlists(evaluation, ref: str) -> dict[str, Any] | None:
    """The host-API allowlist entries the runtime would enforce for `ref` (None: no plan)."""
    from engine.report.plan import plan_for

    plan = plan_for(evaluation, ref)
    if plan is None:
        return None
    return {f"{api}_allowlist": [g.to_dict() for g in plan.allowlist(api)] for api in api_registry.names()}


def _missing(root) -> dict[str, Any]:
    """The root cause of a denial: an input fact nobody stated, or the premises that failed."""
    if not root.rules:
        return {"fact": root.fact, "input": True}
    return {"fact": root.fact, "input": False, "failed": [miss.literal or miss.reason for miss in root.rules]}


def render_explain(report: dict[str, Any], proof: bool = False) -> str:
    """Per item: the verdict, the conclusions about it and the input facts that decided it (or,
    for a denial, the missing one). `proof` prints every proof and why-not chain in full, a fact
    proven once being referred to afterwards."""
    ref = report["reference"]
    lines = [f"plugin {ref} [{report['status']}] classification={report['classification']}"]
    lines.extend(allowlist_lines(report.get("plan_allowlists"), "  "))
    raised = limits_line(report.get("limits"))
    if raised:
        lines.append(f"  raised limits: {raised}")
    for denial in report["package_denials"]:
        if isinstance(denial, str):
            lines.append(f"  package: {denial}")
        else:
            lines.append(f"  package {denial['severity']}: {denial['message']}  ({denial['rule']})")
    shown: set[str] = set()
    for item in report["items"]:
        state = "eligible" if item["eligible"] else "not eligible"
        if not item["surface_enabled"]:
            state += f" (the {item['surface']} surface is not enabled)"
        lines.append(f"{item['surface']} {item['name']}: {state}")
        for reason in item["reasons"]:
            lines.append(f"  {reason['severity']}: {reason['message']}  ({reason['rule']})")
        if proof:
            lines.extend(_full(item, shown))
        else:
            lines.extend(_summary(item, json.dumps(ref, ensure_ascii=False)))
    if report["items"] and not proof:
        lines.append(f"(P = {ref}; --proof prints the full proofs)")
    lines.extend(run_finding_lines(report.get("run_findings", ())))
    return human_lines(lines)


def _summary(item: dict[str, Any], quoted_ref: str) -> list[str]:
    def short(fact: str) -> str:
        return fact.replace(quoted_ref, "P")

    if item["eligible"]:
        facts = [short(fact) for fact in sorted(item["decided_by"])]
        if len(facts) > MAX_SUMMARY_FACTS:
            facts = facts[:MAX_SUMMARY_FACTS] + [f"... {len(facts) - MAX_SUMMARY_FACTS} more (see --proof)"]
        return _packed("  from input facts: ", facts)
    missing = item["missing"]
    if missing["input"]:
        return [f"  missing input fact: {short(missing['fact'])}"]
    failed = "; ".join(short(text) for text in missing["failed"])
    return [f"  {short(missing['fact'])} does not hold: {failed}"]


def _packed(head: str, facts: list[str]) -> list[str]:
    """`facts` after `head`, as many per line as fit SUMMARY_WIDTH; a fact is never split."""
    lines, line = [], head
    for index, fact in enumerate(facts):
        text = fact + ("," if index < len(facts) - 1 else "")
        if line not in (head, "    ") and len(line) + len(text) > SUMMARY_WIDTH:
            lines.append(line.rstrip())
            line = "    "
        line += text + " "
    return lines + [line.rstrip()]


def _full(item: dict[str, Any], shown: set[str]) -> list[str]:
    if item["eligible"]:
        proof = item["_proof"]
        return ["  proof:"] + ["    " + line for line in (proof.render(seen=shown) if proof else [])]
    return ["  why not, down to the missing fact:"] + ["    " + line for why in item["_chain"] for line in why.render()]


def json_ready(report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "items": [{k: v for k, v in item.items() if not k.startswith("_")} for item in report["items"]]}
