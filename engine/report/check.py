"""The `yoi plugin check` report (spec §4.2) for a package folder or `.yoi-plugin` archive.

`build_check_report` returns the report as a plain dict in the §4.2 JSON shape; renderers
(engine/report/human.py, JSON) only format it. What this layer knows is checked here: archive and
manifest (through materialization), tool definitions and the template placeholder. Later stages
add their own findings by passing more `inspectors` (functions Package -> diagnostics, phase
`resolution`), which count toward `static_inspection` and make the package `rejected`.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Sequence

from engine.diagnostics import Diagnostic, DiagnosticError, bound_text, bounded_message
from engine.package.model import Package
from engine.package.tools import duplicate_tool_names, tool_definition_problems

Inspector = Callable[[Package], Iterable[Diagnostic]]

SAFETY = {
    "no_network": True,
    "no_plugin_execution": True,
    "no_enablement_config_mutation": True,
    "no_secrets_generated": True,
}
# The placeholder written by the tool template (spec §4.2, §5.8); 115 bytes.
TOOL_TEMPLATE_PLACEHOLDER = (
    b"placeholder component artifact for authoring-template checks; "
    b"replace with a built wasm component before enabling.\n"
)
MATERIALIZE_NEXT_STEPS = ("Fix the reported package diagnostic and run `yoi plugin check` again.",)


def tool_diagnostics(package: Package) -> list[Diagnostic]:
    """One diagnostic per tool with definition problems (duplicate name, invalid name, invalid
    input_schema), joined with `; ` like the reference's static inspection. As in the
    reference, tools are inspected only when the manifest's `surfaces` lists `tool` (§4.2)."""
    manifest = package.manifest
    if "tool" not in manifest.surfaces:
        return []
    duplicates = duplicate_tool_names(manifest)
    out = []
    for index, tool in enumerate(manifest.tools):
        problems = tool_definition_problems(tool, duplicates)
        if problems:
            out.append(Diagnostic(
                "malformed", "resolution", bounded_message("; ".join(problems)),
                location=manifest.location(f"tools[{index}]"),
            ))
    return out


DEFAULT_INSPECTORS: tuple[Inspector, ...] = (tool_diagnostics,)


def placeholder_diagnostic(package: Package) -> Diagnostic | None:
    """The runtime component is still the tool template's placeholder text (only that one is
    recognized, as in the reference)."""
    runtime = package.manifest.runtime
    if runtime is None or runtime.component is None:
        return None
    if package.files.get(runtime.component) != TOOL_TEMPLATE_PLACEHOLDER:
        return None
    return Diagnostic(
        "placeholder", "runtime",
        f"plugin component runtime artifact `{runtime.component}` is the generated placeholder; "
        "replace it with a real built component before enabling or execution",
        location=package.manifest.location("runtime.component"),
    )


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


def diagnostic_entry(diagnostic: Diagnostic) -> dict[str, str]:
    """The `{kind, phase, message}` form of the check report, message CLI-bounded (§4.6)."""
    return {"kind": diagnostic.kind, "phase": diagnostic.phase, "message": bound_text(diagnostic.message)}


def next_steps(status: str, reference: str) -> list[str]:
    if status == "active":
        return [
            "Package metadata is valid without executing Plugin code.",
            f"To enable after review, add an explicit plugin enablement entry for `{reference}` "
            "with matching digest and grants.",
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


def build_check_report(
    path: str | os.PathLike[str], *, inspectors: Sequence[Inspector] = DEFAULT_INSPECTORS
) -> dict[str, Any]:
    """Read `path` (folder or archive, source `project`) and report on it; never raises for
    bad package content (that is what the report is for)."""
    from engine.package.materialize import load_package_path

    try:
        package = load_package_path(path)
    except DiagnosticError as error:
        return rejected_input_report(path, error.diagnostics)
    return package_check_report(package, str(path), inspectors=inspectors)


def rejected_input_report(path: str | os.PathLike[str], diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    """The report for an input that did not materialize (bad archive or manifest)."""
    return _report(
        path, input_kind(path), "rejected", package=None, diagnostics=diagnostics, static_inspection=None,
        steps=list(MATERIALIZE_NEXT_STEPS),
    )


def package_check_report(
    package: Package, input_path: str, *, inspectors: Sequence[Inspector] = DEFAULT_INSPECTORS
) -> dict[str, Any]:
    """Status per §4.2: any inspection diagnostic -> rejected; else placeholder -> partial."""
    inspection = [d for inspect in inspectors for d in inspect(package)]
    placeholder = placeholder_diagnostic(package)
    status = "rejected" if inspection else "partial" if placeholder else "active"
    diagnostics = inspection + ([placeholder] if placeholder else [])
    return _report(
        input_path, package.input_kind, status, package=package_report(package, input_path), diagnostics=diagnostics,
        static_inspection={"status": "rejected" if inspection else "active", "diagnostics": len(inspection)},
        steps=next_steps(status, package.identity),
    )


def _report(path, kind, status, *, package, diagnostics, static_inspection, steps) -> dict[str, Any]:
    return {
        "command": "check",
        "status": status,
        "input_path": str(path),
        "input_kind": kind,
        "package": package,
        "diagnostics": [diagnostic_entry(d) for d in diagnostics],
        "static_inspection": static_inspection,
        "safety": dict(SAFETY),
        "next_steps": steps,
    }
