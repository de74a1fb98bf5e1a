"""What static inspection says about a wasm artifact (pinned interface, see the team brief).

Frozen values only: the same ArtifactInfo is shared through the in-process inspection cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.diagnostics import Diagnostic

FORMS = ("component", "core", "placeholder", "unreadable")


@dataclass(frozen=True)
class ArtifactImport:
    """One imported item.

    Core modules: `interface` is the import module name (e.g. "yoi:tool"), `name` the field.
    Components: `interface` is the imported instance name (e.g. "yoi:host/https@1.0.0") and `name`
    one of its members; a world-level import has interface "". An imported instance with no
    members at all appears once, with name "" and kind "instance".
    `kind`: "func", "memory", "table", "global", "tag" (core); "func", "instance", "resource",
    "type", "component", "module" (component). `signature` is set for functions only.
    """

    interface: str
    name: str
    kind: str
    signature: str | None = None


@dataclass(frozen=True)
class ArtifactExport:
    """One exported item; same conventions as ArtifactImport (world-level items: interface "")."""

    interface: str
    name: str
    kind: str
    signature: str | None = None


@dataclass(frozen=True)
class ArtifactInfo:
    """Result of `inspect_artifact`: the artifact's form, its imports/exports, and why not, if not.

    `placeholder` names the recognized placeholder ("tool-template" / "instance-template") when
    form is "placeholder". Diagnostics explain an "unreadable" form; other forms carry none.
    """

    form: str
    imports: tuple[ArtifactImport, ...] = ()
    exports: tuple[ArtifactExport, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    placeholder: str | None = None

    def export(self, name: str, interface: str = "") -> ArtifactExport | None:
        """The export called `name` in `interface` ("" = world level), if any."""
        return next((e for e in self.exports if e.name == name and e.interface == interface), None)

    @property
    def import_interfaces(self) -> tuple[str, ...]:
        """Distinct import interfaces (core: module names), in first-seen order."""
        return tuple(dict.fromkeys(i.interface for i in self.imports))


def unreadable(message: str, code: str = "artifact.unreadable", kind: str = "malformed") -> ArtifactInfo:
    """An "unreadable" result carrying one bounded diagnostic."""
    return ArtifactInfo(form="unreadable", diagnostics=(Diagnostic(kind, "artifact", message, code=code),))


def info_to_json(info: ArtifactInfo) -> dict:
    """A JSON form of an ArtifactInfo, for the on-disk inspection cache."""
    return {
        "form": info.form,
        "placeholder": info.placeholder,
        "imports": [[i.interface, i.name, i.kind, i.signature] for i in info.imports],
        "exports": [[e.interface, e.name, e.kind, e.signature] for e in info.exports],
        "diagnostics": [[d.kind, d.phase, d.message, d.code] for d in info.diagnostics],
    }


def info_from_json(data: dict) -> ArtifactInfo:
    return ArtifactInfo(
        form=data["form"],
        placeholder=data["placeholder"],
        imports=tuple(ArtifactImport(*row) for row in data["imports"]),
        exports=tuple(ArtifactExport(*row) for row in data["exports"]),
        diagnostics=tuple(
            Diagnostic(kind, phase, message, code=code) for kind, phase, message, code in data["diagnostics"]
        ),
    )
