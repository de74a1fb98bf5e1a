"""SARIF 2.1.0 rendering of check reports, shaped for GitHub code scanning ingestion.

One log, one run, one tool ("yoi-plugin-engine"): GitHub no longer merges several runs of the
same tool and category in a file, so every checked package goes into the same run. Rule ids are
the conclusion codes (prefixed `yoi/`), so they stay stable across analyses and alerts keep
their history. Locations are relative to the repository root (forward slashes, `uriBaseId`
`%SRCROOT%`, the root itself in `originalUriBaseIds`) because GitHub only links files it can find
in the checkout; the root is found by walking up to `.git` (engine/repo_root.py). Every result
has a `region` at the line and column of the key it is about, when the report knows it; lines
are never 0 (GitHub rejects such uploads). Only what the reports already hold is rendered: no
file is read, nothing is decided here.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

TOOL_NAME = "yoi-plugin-engine"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
CATEGORY = "yoi-plugin-check"
RULE_PREFIX = "yoi/"
LEVELS = {"deny": "error", "warn": "warning", "info": "note"}
# GitHub: a string score in (0.0, 10.0]; 7.0-8.9 shows as "high". Setting it marks a security rule.
SECURITY_SEVERITY = {"deny": "8.0"}
PROBLEM_SEVERITY = {"deny": "error", "warn": "warning", "info": "recommendation"}
TAGS = ("security", "yoi-plugin")
SRCROOT = "%SRCROOT%"  # the uriBaseId of repository-relative URIs (CodeQL's name for the checkout)
MANIFEST = "plugin.toml"
MAX_TEXT = 1024  # GitHub's bound for descriptions
MAX_NAME = 255
MAX_RESULTS = 25_000  # GitHub's per-run limit
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def rule_id(code: str) -> str:
    """The stable SARIF rule id of a conclusion code ("item_not_granted" -> "yoi/item_not_granted")."""
    code = code.strip() or "unknown"
    return code if "/" in code else RULE_PREFIX + code


def unreadable_rule_id(kind: str) -> str:
    """Rule id for a package that did not materialize, by the diagnostic's kind."""
    kind = re.sub(r"[^0-9A-Za-z_.-]+", "_", kind.strip()) or "error"
    return f"{RULE_PREFIX}package_unreadable_{kind}"


def humanize(code: str) -> str:
    """ "yoi/item_not_granted" -> "Item not granted" (the short description of a rule)."""
    words = re.split(r"[_\-.\s]+", code.rpartition("/")[2])
    text = " ".join(w for w in words if w)
    return (text[:1].upper() + text[1:]) or "Finding"


def _pascal(code: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", code.rpartition("/")[2])
    return "".join(w[:1].upper() + w[1:] for w in words if w) or "Finding"


def _bounded(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sarif_rules_catalog(findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """reportingDescriptors for `findings` ({rule_id, severity, message, ...}), sorted by id.

    The first occurrence of an id fixes its default level and its full description, so the
    catalog is the same for the same findings in the same order.
    """
    first: dict[str, Mapping[str, Any]] = {}
    for finding in findings:
        first.setdefault(finding["rule_id"], finding)
    return [_rule(first[rid]) for rid in sorted(first)]


def _rule(finding: Mapping[str, Any]) -> dict[str, Any]:
    rid, severity = finding["rule_id"], finding["severity"]
    short = _bounded(humanize(rid))
    full = _bounded(finding["message"]) or short
    help_text = _bounded(
        f"{short}. Reported by the {TOOL_NAME} rule `{rid}` (severity {severity}). "
        "Run `yoi plugin explain` on the package to see the rule premises that concluded it."
    )
    # Conclusions are derived, not guessed: "very-high" precision, so GitHub never hides them.
    properties: dict[str, Any] = {
        "tags": list(TAGS),
        "precision": "very-high",
        "problem.severity": PROBLEM_SEVERITY.get(severity, "warning"),
    }
    if severity in SECURITY_SEVERITY and not finding.get("input_error"):
        properties["security-severity"] = SECURITY_SEVERITY[severity]
    return {
        "id": rid,
        "name": _pascal(rid)[:MAX_NAME],
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
        "properties": properties,
    }


def sarif_log(
    reports: Sequence[Mapping[str, Any]],
    *,
    tool_version: str,
    base_dir: Path | None = None,
    category: str = CATEGORY,
    information_uri: str | None = None,
) -> dict[str, Any]:
    """One SARIF 2.1.0 log with a single run holding the findings of every check report.

    `base_dir` is the repository root that URIs are made relative to (default: the nearest
    folder holding `.git` from the current directory up, else the current directory); input
    paths in the reports are taken relative to the current directory.
    """
    from engine.repo_root import repository_root

    base = Path(base_dir if base_dir is not None else repository_root()).resolve()
    findings = [f for report in reports for f in _findings(report, base)]
    truncated = max(0, len(findings) - MAX_RESULTS)
    findings = findings[:MAX_RESULTS]
    rules = sarif_rules_catalog(findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    occurrences: dict[str, int] = {}
    results = [_result(f, index, occurrences) for f in findings]
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": tool_version or "0", "rules": rules}
    if _SEMVER.match(tool_version or ""):
        driver["semanticVersion"] = tool_version
    if information_uri:
        driver["informationUri"] = information_uri
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"{category.strip('/') or CATEGORY}/"},
        "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    properties: dict[str, Any] = {}
    views = sorted({str(r["verdict_view"]) for r in reports if r.get("verdict_view")})
    if views:  # which status view the reports use: `gate` for check (any deny rejects)
        properties["yoi/verdictView"] = views[0] if len(views) == 1 else views
    fail_on = sorted({str(r["fail_on"]) for r in reports if r.get("fail_on")})
    if fail_on:
        properties["yoi/failOn"] = fail_on[0] if len(fail_on) == 1 else fail_on
    properties.update(_target_properties(reports))
    assumed = sorted({code for r in reports for code in r.get("assumed_grant_rules", ())})
    if assumed:  # org rules judged against the package's requests (check without --grants)
        properties["yoi/assumedGrantRules"] = assumed
    if truncated:
        properties["yoi/truncatedResults"] = truncated
    signed = {
        str((r.get("package") or {}).get("reference")): trust
        for r in reports
        if r.get("package") and (trust := _trust_properties(r))
    }
    if signed:  # per package, even one without results: who signed it, its provenance
        properties["yoi/signatures"] = signed
    if properties:
        run["properties"] = properties
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _target_properties(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One run property per target the reports were judged for (docs/targets.md):
    `yoi/target/<name>` = {status: each package's status for it, compatible: whether it raises no
    denial of its own for any package}."""
    out: dict[str, dict[str, Any]] = {}
    for report in reports:
        reference = str((report.get("package") or {}).get("reference") or report.get("input_path") or "")
        for name, verdict in (report.get("targets") or {}).items():
            entry = out.setdefault(f"yoi/target/{name}", {"compatible": True, "status": {}})
            entry["status"][reference] = verdict.get("status")
            entry["compatible"] = entry["compatible"] and bool(verdict.get("compatible"))
    return out


# --- findings: one per result, in report order -------------------------------------------------


def _findings(report: Mapping[str, Any], base: Path) -> list[dict[str, Any]]:
    input_path = str(report.get("input_path") or ".")
    package = report.get("package")
    rules = report.get("rules") or {}
    common = {
        "package": (package or {}).get("reference"),
        "digest": (package or {}).get("digest"),
        "status": report.get("status"),
        **_trust_properties(report),
    }
    found = []
    for conclusion in report.get("conclusions") or ():
        where = _conclusion_where(conclusion.get("location"), input_path, base)
        code = str(conclusion.get("code") or "")
        found.append(
            {
                **common,
                **where,
                "rule_id": rule_id(code),
                "severity": conclusion.get("severity") or "warn",
                "message": str(conclusion.get("message") or ""),
                "rule_source": _rule_source(_rule_location(rules, code), base),
            }
        )
    for target, verdict in (report.get("targets") or {}).items():
        for finding in verdict.get("findings") or ():
            code = str(finding.get("code") or "")
            found.append(
                {
                    **common,
                    **_conclusion_where(finding.get("location"), input_path, base),
                    "status": verdict.get("status"),
                    "target": target,
                    "rule_id": rule_id(code),
                    "severity": finding.get("severity") or "warn",
                    "message": str(finding.get("message") or ""),
                    "rule_source": _rule_source(_rule_location(rules, code), base),
                }
            )
    found += _run_findings(report, common, input_path, base)
    for diagnostic in report.get("diagnostics") or ():
        # The `diagnostics` list is the reference's flat view: its rule entries are the
        # conclusions above; the others (discovery, loading, resolution) are reported here.
        if diagnostic.get("phase") == "rules":
            continue
        location = diagnostic.get("location")
        if location and location.get("file"):
            where = _conclusion_where(location, input_path, base)
        else:
            where = _input_where(input_path, package is None, base)
        found.append(
            {
                **common,
                **where,
                "rule_id": _input_rule_id(diagnostic, package is None),
                "severity": "deny",
                "message": str(diagnostic.get("message") or ""),
                "rule_source": None,
                "input_error": True,
            }
        )
    return found


TRUST_PROPERTIES = ("signers", "signatureFile", "provenance")


def _trust_properties(report: Mapping[str, Any]) -> dict[str, Any]:
    """Who signed the package (key ids with the trusted key's name, or a Sigstore identity) and
    the build provenance's status, for every result about it (docs/provenance.md)."""
    signatures, provenance = report.get("signatures"), report.get("provenance")
    if not signatures:
        return {}
    signed = [
        f"{s['signer']} ({s['key_id']})" if s["signer"] else s["key_id"]
        for s in signatures["signatures"]
        if s["status"] == "valid"
    ]
    bundle = signatures.get("sigstore")
    if bundle and bundle["status"] == "valid":
        signed.append(f"{bundle['identity']} ({bundle['issuer']})")
    out: dict[str, Any] = {"signers": signed} if signed else {}
    if signed or signatures["required"]:
        out["signatureFile"] = signatures["file"]
    if provenance and provenance["status"] != "missing":
        out["provenance"] = provenance["status"]
    return out


def _input_rule_id(diagnostic: Mapping[str, Any], unreadable: bool) -> str:
    """A package that did not materialize gets a rule per diagnostic kind; another input problem
    its own code (e.g. `binding_digest_mismatch`, `resolution.surface`)."""
    if unreadable:
        return unreadable_rule_id(str(diagnostic.get("kind") or ""))
    code = diagnostic.get("code")
    if code:
        return rule_id(str(code))
    return rule_id(f"input_{diagnostic.get('phase') or 'check'}_{diagnostic.get('kind') or 'error'}")


def _rule_location(rules: Mapping[str, Any], code: str) -> Mapping[str, Any] | None:
    """Where the rule that concluded `code` is written (the report's `rules` catalog)."""
    locations = (rules.get(code) or {}).get("locations") or ()
    return locations[0] if locations else None


def _run_findings(
    report: Mapping[str, Any], common: Mapping[str, Any], input_path: str, base: Path
) -> list[dict[str, Any]]:
    """Conclusions no package owns: located at their rule when it is in the repository (an org
    policy), else at the input, and marked with scope `run`."""
    found = []
    rules = report.get("rules") or {}
    for finding in report.get("run_findings") or ():
        source = _rule_source(_rule_location(rules, str(finding.get("code") or "")), base)
        if source and source["uri"]:
            where = {"uri": source["uri"], "line": source["line"], "column": source["column"], "member": None}
        else:
            where = _input_where(input_path, False, base)
        found.append(
            {
                **common,
                **where,
                "package": None,
                "digest": None,
                "scope": "run",
                "rule_id": rule_id(str(finding.get("code") or "")),
                "severity": finding.get("severity") or "warn",
                "message": str(finding.get("message") or ""),
                "rule_source": source,
            }
        )
    return found


def _package_dir(input_path: str) -> Path | None:
    """The package folder, or None when the input is an archive (plugin.toml is inside it)."""
    path = Path(input_path)
    return path if path.is_dir() else None


def _conclusion_where(location: Mapping[str, Any] | None, input_path: str, base: Path) -> dict[str, Any]:
    """uri/line/column of a conclusion: plugin.toml (package-relative) or another file such as
    the grants config (relative to the current directory). Archive members fall back to the
    archive with the member and line kept as properties."""
    location = location or {}
    file = location.get("file") or MANIFEST
    line, column = location.get("line"), location.get("column")
    if file == MANIFEST:
        folder = _package_dir(input_path)
        if folder is None:
            return {
                "uri": _uri(Path(input_path), base),
                "line": 1,
                "column": 1,
                "member": {"file": MANIFEST, "line": _positive(line)},
            }
        target = folder / MANIFEST
    else:
        target = Path(file)
    return {"uri": _uri(target, base), "line": _positive(line), "column": _positive(column), "member": None}


def _input_where(input_path: str, unreadable: bool, base: Path) -> dict[str, Any]:
    """An input diagnostic points at the folder's plugin.toml when there is one, else the input."""
    folder = _package_dir(input_path)
    target = folder / MANIFEST if folder is not None and (folder / MANIFEST).is_file() else Path(input_path)
    return {"uri": _uri(target, base), "line": 1, "column": 1, "member": None}


def _positive(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 1


def _uri(path: Path, base: Path) -> str:
    """Repository-relative URI with forward slashes; a file URI only when outside the root."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        resolved = absolute.resolve()
        try:
            relative = resolved.relative_to(base)
        except ValueError:
            return resolved.as_uri()
    text = PurePath(relative).as_posix()
    return quote(text if text not in ("", ".") else ".", safe="/-._~")


def _rule_source(rule: Mapping[str, Any] | None, base: Path) -> dict[str, Any] | None:
    """The .rules file that concluded a finding: a related location when it lives in the
    repository (an org policy), otherwise only its file name (built-in rules)."""
    if not rule or not rule.get("file"):
        return None
    path = Path(str(rule["file"]))
    line = _positive(rule.get("line"))
    absolute = Path(os.path.abspath(path))
    inside = absolute.is_relative_to(base) or absolute.resolve().is_relative_to(base)
    return {
        "uri": _uri(path, base) if inside else None,
        "name": path.name,
        "line": line,
        "column": _positive(rule.get("column")),
    }


# --- results ---------------------------------------------------------------------------------


def _fingerprint(finding: Mapping[str, Any], occurrences: dict[str, int]) -> str:
    """Stable across runs: hash of rule id, file and message (and target, for a target's
    finding), plus an occurrence counter so identical findings in one run stay distinct
    (GitHub's `hash:n` convention)."""
    parts = (finding["rule_id"], finding["uri"], finding["message"])
    key = "\x00".join((*parts, finding["target"]) if finding.get("target") else parts)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    occurrences[digest] = occurrences.get(digest, 0) + 1
    return f"{digest}:{occurrences[digest]}"


def _physical(uri: str, line: int, column: int) -> dict[str, Any]:
    artifact = {"uri": uri} if uri.startswith("file:") else {"uri": uri, "uriBaseId": SRCROOT}
    return {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": line, "startColumn": column},
        }
    }


def _result(finding: Mapping[str, Any], index: Mapping[str, int], occurrences: dict[str, int]) -> dict[str, Any]:
    rid = finding["rule_id"]
    message = _bounded(finding["message"], 4096) or humanize(rid)
    result: dict[str, Any] = {
        "ruleId": rid,
        "ruleIndex": index[rid],
        "level": LEVELS.get(finding["severity"], "warning"),
        "message": {"text": message},
        "locations": [_physical(finding["uri"], finding["line"], finding["column"])],
        "partialFingerprints": {"primaryLocationLineHash": _fingerprint(finding, occurrences)},
    }
    source = finding.get("rule_source")
    if source and source["uri"]:
        related = _physical(source["uri"], source["line"], source["column"])
        related.update(id=0, message={"text": f"rule in {source['name']}"})
        result["relatedLocations"] = [related]
    properties = {
        k: finding[k] for k in ("package", "digest", "status", "scope", "target", *TRUST_PROPERTIES) if finding.get(k)
    }
    if source:
        properties["rule"] = f"{source['name']}:{source['line']}"
    if finding.get("member"):
        properties["archiveMember"] = finding["member"]["file"]
        properties["archiveMemberLine"] = finding["member"]["line"]
    if properties:
        result["properties"] = properties
    return result
