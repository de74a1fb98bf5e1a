"""`yoi plugin explain`: for every tool, service, ingress and host API, eligible or not, and why.

An eligible item comes with the proof the rules kept; an ineligible one with the denials that
concern it and, per rule that could have made it eligible, the first premise that failed.
"""

from __future__ import annotations

from typing import Any

from engine.report.views import conclusion_item, limits_line, limits_view


def _items(subject) -> list[tuple[str, str]]:
    manifest = subject.package.manifest
    items = [("tool", t.name) for t in manifest.tools]
    items += [("service", s.name) for s in manifest.services]
    items += [("ingress", i.name) for i in manifest.ingresses]
    apis = {p.value for p in manifest.permissions if p.kind == "host_api"}
    if subject.grants is not None:
        apis |= {p.value for p in subject.grants.permissions if p.kind == "host_api"}
    items += [("host_api", api) for api in ("https", "fs") if api in apis]
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
        "classification": evaluation.value("classification", ref),
        "items": [],
        "package_denials": [],
        "limits": limits_view(evaluation, ref),
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
            out["package_denials"].append({"code": conclusion.code, "severity": conclusion.severity,
                                           "message": conclusion.message, "rule": str(conclusion.location)})
        else:
            denials.setdefault(item, []).append(conclusion)
    enabled = set(subject.enabled_surfaces)
    for surface, name in _items(subject):
        pred, args = _goal(ref, surface, name)
        eligible = result.holds(pred, args)
        entry: dict[str, Any] = {
            "surface": surface, "name": name, "eligible": eligible,
            "surface_enabled": surface == "host_api" or surface in enabled,
            "reasons": [{"code": c.code, "severity": c.severity, "message": c.message, "rule": str(c.location)}
                        for c in denials.get((surface, name), [])],
        }
        if eligible:
            proof = result.explain(pred, args)
            entry["proof"] = proof.to_dict() if proof else None
            entry["_render"] = proof.render() if proof else []
        else:
            chain = why_not_chain(result, pred, args)
            entry["why_not"] = [why.to_dict() for why in chain]
            entry["_render"] = [line for why in chain for line in why.render()]
        out["items"].append(entry)
    return out


def render_explain(report: dict[str, Any]) -> str:
    lines = [f"plugin {report['reference']} [{report['status']}] classification={report['classification']}"]
    raised = limits_line(report.get("limits"))
    if raised:
        lines.append(f"  raised limits: {raised}")
    for denial in report["package_denials"]:
        if isinstance(denial, str):
            lines.append(f"  package: {denial}")
        else:
            lines.append(f"  package {denial['severity']}: {denial['message']}  ({denial['rule']})")
    for item in report["items"]:
        state = "eligible" if item["eligible"] else "not eligible"
        if not item["surface_enabled"]:
            state += f" (the {item['surface']} surface is not enabled)"
        lines.append(f"{item['surface']} {item['name']}: {state}")
        for reason in item["reasons"]:
            lines.append(f"  {reason['severity']}: {reason['message']}  ({reason['rule']})")
        lines.append("  proof:" if item["eligible"] else "  why not, down to the missing fact:")
        lines.extend("    " + line for line in item["_render"])
    return "\n".join(lines) + "\n"


def json_ready(report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "items": [{k: v for k, v in item.items() if not k.startswith("_")} for item in report["items"]]}
