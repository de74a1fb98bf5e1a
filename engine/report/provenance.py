"""Signatures and build provenance in reports: the JSON shapes and the human lines.

One place renders them for `check`, `show`, `list`, `explain` and `verify`, from the
`PackageTrust` a subject carries (engine/provenance/inspect.py). Nothing here decides: whether
a signature counts is its status (verify.py), whether the package passes is the rules'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.diagnostics import bound_text

if TYPE_CHECKING:
    from engine.provenance.check import Verification
    from engine.provenance.inspect import PackageTrust
    from engine.provenance.verify import SignatureResult


def _signature_json(result: SignatureResult) -> dict[str, Any]:
    return {"key_id": result.key_id, "signer": result.signer, "status": result.status, "detail": result.detail}


def signatures_json(trust: PackageTrust) -> dict[str, Any]:
    """`{"file", "required", "signatures": [...], "valid_keys": [...]}` (file-level statuses have
    key id "")."""
    check = trust.signature
    return {
        "file": check.path,
        "required": trust.required,
        "signatures": [_signature_json(r) for r in check.results],
        "valid_keys": [r.key_id for r in check.valid],
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


def _who(result: SignatureResult) -> str:
    return f"{result.signer} ({result.key_id})" if result.signer else result.key_id


def signature_line(result: SignatureResult) -> str:
    if not result.key_id:
        return bound_text(f"signature: {result.status}: {result.detail}", 1000)
    return bound_text(f"signature: {_who(result)} {result.status}: {result.detail}", 1000)


def trust_lines(trust: PackageTrust | None, *, always: bool = False) -> list[str]:
    """Human lines about a package's signatures and provenance. An unsigned package without
    provenance gets none unless signatures are required (or `always`): the report stays as it
    was for packages nobody signs."""
    if trust is None:
        return []
    lines = []
    results = trust.signature.results
    unsigned = len(results) == 1 and results[0].status == "missing"
    if not unsigned or trust.required or always:
        required = " (required)" if trust.required else ""
        lines.append(bound_text(f"signatures{required}: {trust.signature.path}", 1000))
        lines += ["  " + signature_line(r) for r in results]
    provenance = trust.provenance
    if provenance.status != "missing" or always:
        lines.append(bound_text(f"provenance: {provenance.status}: {provenance.path}", 1000))
        if provenance.build is not None:
            build = provenance.build
            tools = ", ".join(f"{name} {version}" for name, version in build.tools)
            lines.append(bound_text(f"  built by {build.builder} ({build.recipe}) with {tools}", 1000))
            lines.append(bound_text(f"  source {build.source_digest}, finished {build.finished_on}", 1000))
            if build.world:
                lines.append(bound_text(f"  world {build.world} sha256:{build.world_sha256}", 1000))
        elif provenance.status != "missing":
            lines.append(bound_text(f"  {provenance.detail}", 1000))
        lines += ["  provenance " + signature_line(r) for r in provenance.signatures]
    return lines


def verification_json(result: Verification, has_keys: bool) -> dict[str, Any]:
    package = result.package
    return {
        "command": "verify",
        "package": {"id": package.manifest.id, "version": package.manifest.version, "digest": package.digest},
        "status": "verified" if result.passed else "failed",
        "signed": result.signed if has_keys else None,
        "signature": signatures_json(result.trust),
        "conclusions": [c.to_dict() for c in result.conclusions],
        "rebuild": _rebuild_json(result),
    }


def _rebuild_json(result: Verification) -> dict[str, Any] | None:
    rebuilt = result.rebuild
    if rebuilt is None:
        return None
    return {
        "source": rebuilt.source,
        "digest": rebuilt.digest,
        "matches": rebuilt.matches,
        "builder": rebuilt.builder,
        "differing": list(rebuilt.differing),
        "differing_count": rebuilt.differing_count,
    }


def signature_lines(result: Verification, has_keys: bool) -> list[str]:
    package = result.package
    status = "verified" if result.passed else "failed"
    lines = [
        bound_text(f"plugin verify: {package.identity} {package.manifest.version} [{status}]", 1000),
        f"digest: {package.digest}",
    ]
    if has_keys:
        lines += trust_lines(result.trust, always=True)
        lines += [bound_text(f"{c.severity}: {c.code}: {c.message}", 1000) for c in result.conclusions]
    rebuilt = result.rebuild
    if rebuilt is not None:
        verdict = "reproduced" if rebuilt.matches else "differs"
        lines.append(bound_text(f"rebuild: {rebuilt.source} [{verdict}] digest={rebuilt.digest}", 1000))
        if not rebuilt.matches:
            more = rebuilt.differing_count - len(rebuilt.differing)
            named = ", ".join(rebuilt.differing) + (f" and {more} more" if more else "")
            lines.append(bound_text(f"  differing files: {named}", 1000))
    return lines
