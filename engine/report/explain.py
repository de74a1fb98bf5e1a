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
from engine.report.human import allowlist_lines, limits_line, run_finding_lines
from engine.report.provenance import trust_json, trust_lines
from engine.report.shapes import finding_dict, limits_dict, rules_of
from engine.verdict.model import PER_SURFACE_VIEW, Finding, RunVerdict

SUMMARY_WIDTH = 110
MAX_SUMMARY_FACTS = 12  # a proof over a long chain can rest on thousands; --proof/JSON have them all


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


def explain_package(evaluation, verdict: RunVerdict, ref: str) -> dict[str, Any]:
    """Per item of `ref` (every declared tool, service and ingress, and each host API asked for):
    eligible or not, the findings about it, and the proof or the failing premises."""
    package = verdict.package(ref)
    result = evaluation.result
    plan = package.plan if package else None
    out: dict[str, Any] = {
        "reference": ref,
        "status": package.status if package else "rejected",
        "verdict_view": PER_SURFACE_VIEW,  # eligibility per item, as startup sees it
        "classification": package.classification if package else None,
        "items": [],
        "package_denials": [],
        "plan_allowlists": None
        if plan is None
        else {f"{api}_allowlist": [g.to_dict() for g in plan.allowlist(api)] for api in api_registry.names()},
        "limits": limits_dict(package.limits) if package else None,
        "targets": {
            t.target: {"status": t.status, "compatible": t.compatible, "reasons": [_reason(f) for f in t.findings]}
            for t in (package.targets if package else ())
        },
        "run_findings": [finding_dict(f) for f in verdict.run_findings],  # conclusions no package owns
        "rules": rules_of(verdict, [package] if package else []),
        "_show_targets": verdict.targets_worth_showing,
        "_plan": plan,
        "_limits_line": limits_line(package.limits) if package else None,
        "_run_findings": verdict.run_findings,
        # the signatures and provenance, each with why it counts or does not (docs/provenance.md)
        **trust_json(package.trust if package else None),
    }
    # what stopped resolution (a digest pin, a locked package that changed): said first, and
    # alone when there is no package to explain item by item
    out["package_denials"] = [d.message for d in (package.diagnostics if package else ())]
    out["deny_proofs"], out["_deny_proofs"] = _deny_proofs(result, package, verdict)
    if package is None or package.package is None:
        return out
    findings = package.conclusions
    for finding in findings:
        if finding.severity != "info" and finding.about.item is None:
            out["package_denials"].append(_reason(finding))
    for item in package.items:
        pred, args = _goal(ref, item.surface, item.name)
        entry: dict[str, Any] = {
            "surface": item.surface,
            "name": item.name,
            "eligible": item.eligible,
            "surface_enabled": item.enabled,
            "reasons": [_reason(findings[i]) for i in item.findings if findings[i].severity != "info"],
        }
        if item.eligible:
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


def _deny_proofs(result, package, verdict: RunVerdict) -> tuple[list[dict[str, Any]], list]:
    """Every deny that fired about the package, then every whole-run deny, with the proof the
    rules kept for it: JSON entries, and (finding, Proof) pairs for the human rendering."""
    denials = [f for f in (package.conclusions if package else ()) if f.severity == "deny"]
    denials += list(verdict.run_denials)
    entries, pairs = [], []
    for finding in denials:
        proof = result.explain(finding.code, finding.args)
        entries.append(
            {
                "code": finding.code,
                "args": list(finding.args),
                "message": finding.message,
                "proof": proof.to_dict() if proof else None,
            }
        )
        pairs.append((finding, proof))
    return entries, pairs


def _reason(finding: Finding) -> dict[str, Any]:
    return {"code": finding.code, "severity": finding.severity, "message": finding.message, "rule": str(finding.rule)}


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
    classification = report["classification"] or "<unknown>"  # None: no package was found
    lines = [f"plugin {ref} [{report['status']}] classification={classification}"]
    lines.extend(allowlist_lines(report.get("_plan"), "  "))
    raised = report.get("_limits_line")
    if raised:
        lines.append(f"  raised limits: {raised}")
    lines.extend("  " + line for line in trust_lines(report.get("signatures"), report.get("provenance")))
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
    if proof and report.get("_deny_proofs"):
        lines.append("proofs of the denials that fired:")
        for finding, found in report["_deny_proofs"]:
            lines.append(f"deny {finding.code}: {finding.text}")
            lines.extend("    " + line for line in (found.render(seen=shown) if found else ["(no proof kept)"]))
    if report["items"] and not proof:
        lines.append(f"(P = {ref}; --proof prints the full proofs)")
    for name, target in report.get("targets", {}).items() if report.get("_show_targets") else ():
        compatible = "compatible" if target["compatible"] else "incompatible"
        lines.append(f"target {name}: {target['status']} ({compatible})")
        for reason in target["reasons"]:
            lines.append(f"  {reason['severity']}: {reason['message']}  ({reason['rule']})")
    lines.extend(run_finding_lines(report.get("_run_findings", ())))
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
    """The report without the objects kept for the human rendering (keys starting with `_`)."""
    items = [{k: v for k, v in item.items() if not k.startswith("_")} for item in report["items"]]
    return {**{k: v for k, v in report.items() if not k.startswith("_")}, "items": items}
