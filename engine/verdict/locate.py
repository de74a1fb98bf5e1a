"""Where a finding points: the plugin.toml line of what it is about, or the enablement key.

A conclusion declares what it is about and where that is written (`@about`, `@origin`); this
module turns the pair into a file position. In the enablement that is the key of what it is
about (`limits.fuel`, the `grants.https` table, a grant entry), made exact by the input facts the
finding rests on: a warning about the https host API that rests on one `https_grant` lands on
that `[[...grants.https]]` entry. A conclusion without metadata (an org rule's plain `deny`) is
located where the facts its body matched were written: the verdict follows its kept derivation
down to the input facts and takes the first one whose origin (engine/graph/facts.py FACT_SCHEMA)
can be pointed at, at the key that fact is written at (FACT_SCHEMA `key`), so a rule over
`fs_grant` points at that fs grant entry and one over `tool` at that tool's `[[tools]]` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine import api_registry
from engine.datalog.metadata import ABOUT_FORMS, ORIGINS
from engine.diagnostics import Location
from engine.graph.facts import ENTRY, FACT_SCHEMA
from engine.graph.inputs import Subject
from engine.verdict.model import About

MANIFEST_FILE = "plugin.toml"
_PLURAL = {"tool": "tools", "service": "services", "ingress": "ingresses"}
MAX_DERIVATION_FACTS = 256  # input facts visited per conclusion when following a derivation
GRANT_PERMISSIONS = "grants.permissions"


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


Premises = Iterable[tuple[str, tuple]]  # (predicate, fact) input facts, nearest first


class Locator:
    """Positions in one subject's files (its manifest, its enablement), indexes built once."""

    def __init__(self, subject: Subject | None):
        self.subject = subject
        package = subject.package if subject is not None else None
        self.manifest = package.manifest if package is not None else None
        self._indexes: dict[str, dict] = {}
        self._entry_facts: dict[str, list[set[tuple[str, tuple]]]] = {}

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

    # -- the enablement ------------------------------------------------------------------------
    def _entries(self, array: str) -> list[set[tuple[str, tuple]]]:
        """Per entry of a grant array (`grants.permissions`, `grants.<api>`), the facts the graph
        exports for it (engine/graph/build.py, and each API's GrantRecord.facts)."""
        if array not in self._entry_facts:
            grants = self.subject.grants if self.subject is not None else None
            ref = self.subject.ref if self.subject is not None else ""
            found: list[set[tuple[str, tuple]]] = []
            api = array.removeprefix("grants.")
            if grants is not None and array == GRANT_PERMISSIONS:
                found = [{("grants", (ref, p.kind, p.value or ""))} for p in grants.permissions]
            elif grants is not None and api in api_registry.names():
                record = api_registry.get(api).grant
                found = [set(record.facts(ref, entry.graph_attrs())) for entry in grants.table(api)]
            self._entry_facts[array] = found
        return self._entry_facts[array]

    def fact_key(self, pred: str, fact: tuple) -> str | None:
        """The enablement key fact `pred(fact)` is written at (FACT_SCHEMA `key`), an array's `[*]`
        resolved to the entry the fact came from, with the key inside it if any (the array itself
        when none matches)."""
        spec = FACT_SCHEMA.get(pred)
        key = spec.key_of(fact) if spec is not None else None
        if key is None or ENTRY not in key:
            return key
        array, _, inside = key.partition(ENTRY)
        for index, facts in enumerate(self._entries(array)):
            if (pred, fact) in facts:
                return f"{array}[{index}]{inside}"
        return array

    def enablement_key(self, about: About) -> str:
        """The enablement key of what `about` names: a limit's `limits.<name>`, a host API's
        grant table, a grant's own entry, the grant permissions for an item or a permission, the
        selected surfaces; "" (the entry itself) for the package or the run."""
        if about.subject == "limit":
            return f"limits.{about.name}"
        if about.subject == "host_api":
            return f"grants.{about.name}"
        if about.subject == "grant":
            return self._grant_key(about)
        if about.subject in ("item", "permission"):
            return GRANT_PERMISSIONS
        if about.subject == "surface":
            return "surfaces"
        return ""

    def _grant_key(self, about: About) -> str:
        """`grant(P, Kind, Value)`: the grants.permissions entry of that permission, or for an
        API's table (Kind `https`, `fs`) the first entry with a field equal to Value."""
        kind, value = str(about.kind), about.name
        api = kind in api_registry.names()
        array = f"grants.{kind}" if api else GRANT_PERMISSIONS
        wanted = ("grants", (about.package, kind, value if value is not None else ""))
        for index, facts in enumerate(self._entries(array)):
            if any(value in row[1:] for _, row in facts) if api else wanted in facts:
                return f"{array}[{index}]"
        return array

    # -- a finding ----------------------------------------------------------------------------
    def locate(
        self, about: About, origin: str | None, rule: Location | None, premises: Premises = ()
    ) -> Location | None:
        """Where a finding about `about`, written in `origin`, points. In the enablement it is the
        key of what `about` names, made exact by the first of the finding's `premises` written
        at or under that key (an https warning about the host API lands on the grant entry it
        rests on)."""
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
            base = self.enablement_key(about)
            for pred, fact in premises:
                spec = FACT_SCHEMA.get(pred)
                key = self.fact_key(pred, fact) if spec is not None and spec.origin == "enablement" else None
                if key is not None and _within(key, base):
                    return enablement.location_of(key)
            return enablement.location_of(base)
        if origin == "artifact":
            key = "runtime"  # the table that names the artifact
        elif origin == "manifest":
            key = self.manifest_key(about)
        else:
            key = "id"
        return self.manifest_location(key)

    def manifest_location(self, key: str) -> Location | None:
        """A manifest key's position (else the id line), in plugin.toml."""
        assert self.manifest is not None
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


def _within(key: str, base: str) -> bool:
    """`key` is `base` or a key under it (`grants.fs[1]` under `grants.fs`; anything under "")."""
    return not base or key == base or key.startswith((base + ".", base + "["))


def package_premises(result, code: str, args: tuple, package: str, breadth_first: bool = False) -> Premises:
    """The input facts about `package` under the kept derivation of a conclusion."""
    for pred, fact in result.input_facts(code, args, MAX_DERIVATION_FACTS, breadth_first=breadth_first):
        spec = FACT_SCHEMA.get(pred)
        if spec is not None and "P" in spec.args and fact[spec.args.index("P")] == package:
            yield pred, fact


def derivation_location(
    result, code: str, args: tuple, package: str, locator: Locator
) -> tuple[Location | None, str | None]:
    """(location, origin) of a conclusion without metadata: its first premise, in the kept
    derivation's body order, that is an input fact about `package` with a locatable origin, at
    the key that fact is written at. Without one it points at the manifest's id line."""
    for pred, fact in package_premises(result, code, args, package):
        spec = FACT_SCHEMA[pred]
        if not locator.locatable(spec.origin):
            continue
        if spec.origin == "enablement":
            return locator.locate(About("package", package), "enablement", None, [(pred, fact)]), spec.origin
        if spec.key is not None and spec.origin == "manifest":
            return locator.manifest_location(spec.key_of(fact) or "id"), spec.origin
        if spec.about is not None:
            form, positions = spec.about
            about = make_about(form, [fact[i] for i in positions])
        else:
            about = About("package", package)
        return locator.locate(about, spec.origin, None), spec.origin
    return locator.locate(About("package", package), "manifest", None), None
