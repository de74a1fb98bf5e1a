"""Where a finding points: the plugin.toml line of what it is about, or the enablement entry.

A conclusion declares what it is about and where that is written (`@about`, `@origin`); this
module turns the pair into a file position. A conclusion without metadata (an org rule's plain
`deny`) is located where the facts its body matched were written: the verdict follows its kept
derivation down to the input facts and takes the first one whose origin (engine/graph/facts.py
FACT_SCHEMA) can be pointed at, so a rule over `fs_grant` points at the enablement and one over
`tool` at that tool's `[[tools]]` table.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.datalog.metadata import ABOUT_FORMS, ORIGINS
from engine.diagnostics import Location
from engine.graph.facts import FACT_SCHEMA
from engine.graph.inputs import Subject
from engine.verdict.model import About

MANIFEST_FILE = "plugin.toml"
_PLURAL = {"tool": "tools", "service": "services", "ingress": "ingresses"}
MAX_DERIVATION_FACTS = 256  # input facts visited per conclusion when following a derivation


def make_about(form: str, values: Sequence[object]) -> About:
    """An About from an @about form and its argument values (in the form's parameter order)."""
    shape = ABOUT_FORMS[form]
    fields: dict[str, object] = dict(zip(shape.fields, values, strict=True))
    if shape.surface is not None:
        fields["surface"] = shape.surface
    package = fields.get("package")
    return About(
        shape.subject,
        package if isinstance(package, str) else None,
        fields.get("surface"),  # type: ignore[arg-type]
        fields.get("name"),  # type: ignore[arg-type]
        fields.get("kind"),  # type: ignore[arg-type]
    )


class Locator:
    """Positions in one subject's files (its manifest, its enablement), indexes built once."""

    def __init__(self, subject: Subject | None):
        self.subject = subject
        package = subject.package if subject is not None else None
        self.manifest = package.manifest if package is not None else None
        self._indexes: dict[str, dict] = {}

    def _index(self, group: str) -> dict:
        """First position of each name in a manifest list (tools, services, ingresses,
        permissions as (kind, value)), built on first use."""
        if group not in self._indexes:
            index: dict = {}
            manifest = self.manifest
            assert manifest is not None
            if group == "permissions":
                for i, permission in enumerate(manifest.permissions):
                    index.setdefault((permission.kind, permission.value), i)
            else:
                for i, entry in enumerate(getattr(manifest, group)):
                    index.setdefault(entry.name, i)
            self._indexes[group] = index
        return self._indexes[group]

    def manifest_key(self, about: About) -> str:
        """The manifest key (as Manifest.location takes it) of what `about` names."""
        if about.subject == "item" and about.surface in _PLURAL:
            group = _PLURAL[about.surface]
            index = self._index(group).get(about.name)
            return f"{group}[{index}]" if index is not None else "id"
        if about.subject in ("host_api", "permission"):
            kind = "host_api" if about.subject == "host_api" else about.kind
            index = self._index("permissions").get((kind, about.name))
            return f"permissions[{index}]" if index is not None else "permissions"
        if about.subject == "surface":
            return "surfaces"
        if about.subject == "runtime":
            return "runtime"
        return "id"

    def locate(self, about: About, origin: str | None, rule: Location | None) -> Location | None:
        """Where a finding about `about`, written in `origin`, points."""
        if origin == "policy":
            return rule
        trust = self.subject.trust if self.subject is not None else None
        beside = trust.file(origin) if trust is not None and origin is not None else None
        if beside:  # a file beside the package: its signature, Sigstore bundle or provenance
            return Location(beside)
        if self.manifest is None:
            return None
        enablement = self.subject.enablement if self.subject is not None else None
        if origin == "enablement" and enablement is not None:
            return enablement.location
        if origin == "artifact":
            key = "runtime"  # the table that names the artifact
        elif origin == "manifest":
            key = self.manifest_key(about)
        else:
            key = "id"
        location = self.manifest.location(key) or self.manifest.location("id")
        if location is not None and location.file is None:
            location = Location(MANIFEST_FILE, location.line, location.column)
        return location

    def locatable(self, origin: str) -> bool:
        """Whether a fact of `origin` can be pointed at for this subject."""
        if not ORIGINS[origin].locates:
            return False
        if origin == "enablement":
            return self.subject is not None and self.subject.enablement is not None
        return self.manifest is not None


def derivation_location(
    result, code: str, args: tuple, package: str, locator: Locator
) -> tuple[Location | None, str | None]:
    """(location, origin) of a conclusion without metadata: its first premise, in the kept
    derivation's body order, that is an input fact about `package` with a locatable origin.
    Without one it points at the manifest's id line."""
    for pred, fact in result.input_facts(code, args, MAX_DERIVATION_FACTS):
        spec = FACT_SCHEMA.get(pred)
        if spec is None or "P" not in spec.args or fact[spec.args.index("P")] != package:
            continue
        if not locator.locatable(spec.origin):
            continue
        if spec.about is not None:
            form, positions = spec.about
            about = make_about(form, [fact[i] for i in positions])
        else:
            about = About("package", package)
        return locator.locate(about, spec.origin, None), spec.origin
    return locator.locate(About("package", package), "manifest", None), None
