"""Signatures and build provenance in reports: the JSON shapes and the human lines.

One place renders them for `check`, `show`, `list`, `explain` and `verify`, from the
`PackageTrust` a subject carries (engine/provenance/inspect.py). Nothing here decides: whether
a signature counts is its status (verify.py), whether the package passes is the rules'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.diagnostics import bound_text

if TYPE_CHECKING:
    from engine.provenance.inspect import PackageTrust
    from engine.provenance.model import SignatureResult


def _signature_json(result: SignatureResult) -> dict[str, Any]:
    return {"key_id": result.key_id, "signer": result.signer, "status": result.status, "detail": result.detail}


def signatures_json(trust: PackageTrust) -> dict[str, Any]:
    """`{"file", "required", "signatures": [...], "valid_keys": [...], "sigstore"}` (file-level
    statuses have key id ""; `sigstore` is the bundle beside the package, or None)."""
    check = trust.signature
    keyless = trust.keyless
    return {
        "file": check.path,
        "required": trust.required,
        "signatures": [_signature_json(r) for r in check.results],
        "valid_keys": [r.key_id for r in check.valid],
        "sigstore": None
        if keyless is None
        else {
            "file": keyless.path,
            "status": keyless.status,
            "detail": keyless.detail,
            "identity": keyless.identity,
            "issuer": keyless.issuer,
            "signer": keyless.signer,
        },
    }


def provenance_json(trust: PackageTrust) -> dict[str, Any]:
    provenance = trust.provenance
    build = provenance.build
    return {
        "file": provenance.path,
        "status": provenance.status,
        "detail": provenance.detail,
        "build": dict(build.fields()) | {"tools": dict(build.tools)} if build else None,
        "signatures": [_signature_json(r) for r in provenance.signatures],
    }


def _who(entry: dict[str, Any]) -> str:
    return f"{entry['signer']} ({entry['key_id']})" if entry["signer"] else entry["key_id"]


def signature_line(entry: dict[str, Any]) -> str:
    """One signature (an entry of `signatures_json`) on one line."""
    who = f" {_who(entry)}" if entry["key_id"] else ""
    return bound_text(f"signature:{who} {entry['status']}: {entry['detail']}", 1000)


def trust_lines(signatures: dict[str, Any] | None, provenance: dict[str, Any] | None, *, always: bool = False):
    """Human lines about a package's signatures and provenance (the JSON shapes above). An
    unsigned package without provenance gets none unless signatures are required (or `always`):
    the report stays as it was for packages nobody signs."""
    lines: list[str] = []
    if signatures is not None:
        entries = signatures["signatures"]
        unsigned = len(entries) == 1 and entries[0]["status"] == "missing"
        bundle = signatures.get("sigstore")
        if not unsigned or bundle is not None or signatures["required"] or always:
            required = " (required)" if signatures["required"] else ""
            lines.append(bound_text(f"signatures{required}: {signatures['file']}", 1000))
            lines += ["  " + signature_line(entry) for entry in entries]
        if bundle is not None:
            who = f" {bundle['identity']} ({bundle['issuer']})" if bundle["identity"] else ""
            signer = f" {bundle['signer']}:" if bundle["signer"] else ""
            lines.append(bound_text(f"  sigstore:{signer}{who} {bundle['status']}: {bundle['detail']}", 1000))
    if provenance is not None and (provenance["status"] != "missing" or always):
        lines.append(bound_text(f"provenance: {provenance['status']}: {provenance['file']}", 1000))
        build = provenance["build"]
        if build is not None:
            tools = ", ".join(f"{name} {version}" for name, version in build["tools"].items())
            lines.append(bound_text(f"  built by {build['builder']} ({build['template']}) with {tools}", 1000))
            lines.append(bound_text(f"  source {build['source_digest']}, finished {build['finished_on']}", 1000))
            if build["world"]:
                lines.append(bound_text(f"  world {build['world']} sha256:{build['world_sha256']}", 1000))
        elif provenance["status"] != "missing":
            lines.append(bound_text(f"  {provenance['detail']}", 1000))
        lines += ["  provenance " + signature_line(entry) for entry in provenance["signatures"]]
    return lines


def trust_json(trust: PackageTrust | None) -> dict[str, Any]:
    """`{"signatures": ..., "provenance": ...}` for a report (both None without a package)."""
    if trust is None:
        return {"signatures": None, "provenance": None}
    return {"signatures": signatures_json(trust), "provenance": provenance_json(trust)}


def signers(trust: PackageTrust | None) -> list[str]:
    """Who signed the package, as far as it counts: each valid key (`name (key id)`) and a valid
    Sigstore identity (`identity (issuer)`)."""
    if trust is None:
        return []
    found = [f"{r.signer} ({r.key_id})" if r.signer else r.key_id for r in trust.signature.valid]
    keyless = trust.keyless
    if keyless is not None and keyless.status == "valid":
        found.append(f"{keyless.identity} ({keyless.issuer})")
    return found


def signature_summary(trust: PackageTrust | None) -> str | None:
    """One word or two for a list row: the signers, `unsigned`, or what the signatures are;
    None for an unsigned package when nothing requires a signature (the row stays as it was)."""
    if trust is None:
        return None
    names = signers(trust)
    if names:
        return ", ".join(names)
    statuses = [r.status for r in trust.signature.results if r.status != "missing"]
    if trust.keyless is not None:
        statuses.append(trust.keyless.status)
    if statuses:
        return "not counted (" + ", ".join(sorted(set(statuses))) + ")"
    return "unsigned" if trust.required else None
