"""What static inspection says about a wasm artifact (pinned interface, see the team brief).

Frozen values only: the same ArtifactInfo is shared through the in-process inspection cache.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.diagnostics import Diagnostic

FORMS = ("component", "core", "placeholder", "unknown", "unreadable")


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
class CoreMemory:
    """A core module's linear memory as declared: sizes in pages of 2**page_size_log2 bytes
    (64 KiB unless the custom-page-sizes proposal says otherwise). `imported` memories are
    provided by whoever instantiates the module; only the others are created by instantiating it."""

    initial_pages: int
    max_pages: int | None
    memory64: bool
    shared: bool = False
    page_size_log2: int = 16
    imported: bool = False

    @property
    def initial_bytes(self) -> int:
        return self.initial_pages << self.page_size_log2


@dataclass(frozen=True)
class CoreTable:
    """A core module's table as declared: element type and sizes in elements; `imported` as for
    CoreMemory."""

    element: str
    initial: int
    maximum: int | None
    table64: bool = False
    shared: bool = False
    imported: bool = False


@dataclass(frozen=True)
class ModuleShape:
    """The memories and tables one core module declares, imported ones first (index order)."""

    memories: tuple[CoreMemory, ...] = ()
    tables: tuple[CoreTable, ...] = ()


@dataclass(frozen=True)
class InstantiationCounts:
    """What instantiating the artifact once creates, read statically (what store limits count).

    `core_instances`: core module instances created (a core module: 1; a component: every core
    `instantiate`, nested components' ones included once per instantiation of that component).
    `core_modules`: core modules embedded in the binary, at every nesting level.
    `memories`, `tables`: memories and tables those instances define (imported ones are shared,
    not created). `memory_bytes`, `table_elements`: the largest initial size among them (what
    a store's memory_size and table_elements limits check at instantiation).
    `exact` is False when a nested component instantiates a component or module that it
    imports, whose contents are only known where it is supplied; the numbers are then a lower
    bound.
    """

    core_instances: int
    core_modules: int
    memories: int
    tables: int
    memory_bytes: int = 0
    table_elements: int = 0
    exact: bool = True


@dataclass(frozen=True)
class ArtifactInfo:
    """Result of `inspect_artifact`: the artifact's form, its imports/exports, and why not, if not.

    `placeholder` names the recognized placeholder (engine/artifact/placeholder.py) when
    form is "placeholder". Diagnostics explain an "unreadable" or "unknown" form; other forms
    carry none. "unknown" means static inspection stopped at its time bound
    (`inspection_bound_s`, seconds) before it knew the artifact's types.
    `modules`: the memories and tables of each core module (a core artifact: itself; a
    component: every embedded core module, in binary order, nested ones included), and `counts`
    what one instantiation creates; both are read statically, for target limits (issue 19).
    """

    form: str
    imports: tuple[ArtifactImport, ...] = ()
    exports: tuple[ArtifactExport, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    placeholder: str | None = None
    modules: tuple[ModuleShape, ...] = ()
    counts: InstantiationCounts | None = None
    inspection_bound_s: float | None = None

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


def inspection_stopped(seconds: float) -> ArtifactInfo:
    """The "unknown" result of an inspection that ran past its time bound."""
    message = f"static inspection stopped at its {seconds:g} s bound; the artifact's types are unknown"
    return ArtifactInfo(
        form="unknown",
        diagnostics=(Diagnostic("limit", "artifact", message, code="artifact.inspection-bound"),),
        inspection_bound_s=seconds,
    )
