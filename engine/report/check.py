"""Pieces of the `yoi plugin check` report shape (spec §4.2) shared by check and pack.

engine/report/judge.py assembles the check report from the rules' evaluation; `pack` reuses the
PackageReport and the safety block.
"""

from __future__ import annotations

import os
from typing import Any

from engine.diagnostics import Diagnostic, bound_text
from engine.package.model import Package

SAFETY = {
    "no_network": True,
    "no_plugin_execution": True,
    "no_enablement_config_mutation": True,
    "no_secrets_generated": True,
}
MATERIALIZE_NEXT_STEPS = ("Fix the reported package diagnostic and run `yoi plugin check` again.",)


def package_report(package: Package, package_path: str) -> dict[str, Any]:
    """PackageReport of spec §4.2 (also the `package` of the pack report)."""
    manifest = package.manifest
    return {
        "reference": package.identity,
        "package": manifest.id,
        "source": package.source,
        "version": manifest.version,
        "schema_version": manifest.schema_version,
        "digest": package.digest,
        "package_path": package_path,
        "entries": list(package.entries),
        "surfaces": list(manifest.surfaces),
        "tools": [tool.name for tool in manifest.tools],
        "permissions": [permission.label for permission in manifest.permissions],
    }


def diagnostic_entry(diagnostic: Diagnostic) -> dict[str, Any]:
    """The `{kind, phase, message}` form of the check report, message CLI-bounded (§4.6), plus
    `location` (`{file, line, column}`; `plugin.toml` is package-relative) when the stage that
    found the problem knew where it is written, so SARIF and editors can point at the key."""
    where = diagnostic.location
    location = (
        {"file": where.file, "line": where.line, "column": where.column} if where is not None and where.file else None
    )
    return {
        "kind": diagnostic.kind,
        "phase": diagnostic.phase,
        "message": bound_text(diagnostic.message),
        "location": location,
    }


def next_steps(status: str, reference: str) -> list[str]:
    if status == "active":
        return [
            "Package metadata is valid without executing Plugin code.",
            (
                f"To enable after review, add an explicit plugin enablement entry for `{reference}` "
                "with matching digest and grants."
            ),
            "Run `yoi plugin pack <path>` to create a deterministic .yoi-plugin archive.",
        ]
    if status == "partial":
        return [
            "Replace the generated placeholder component artifact with a real built component.",
            "Run `yoi plugin check <path>` again before enabling or execution.",
            "Do not enable this Plugin while check status is partial.",
        ]
    return ["Fix the reported diagnostics before enabling or packing this Plugin."]


def input_kind(path: str | os.PathLike[str]) -> str:
    return "directory" if os.path.isdir(path) else "package"
