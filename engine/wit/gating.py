"""Feature gates (`@since`, `@unstable`, `@deprecated`) as wit-parser applies them.

A mixin of the Resolver (engine/wit/resolver.py). wit-parser resolves every item, then drops
those of inactive features; what a dropped item holds must be dropped too, and `@since` may not
name a version newer than the package's own.
"""

from __future__ import annotations

from engine.wit import ast
from engine.wit.loader import Unit
from engine.wit.semver import newer
from engine.wit.state import ResolverState


def excluded(kind: str) -> str:
    """wit-parser's words for a reference to an item of an inactive feature ("a interface" as it has it)."""
    return f"found a reference to a {kind} which is excluded due to its feature not being activated"


def excluded_reference(kind: str, name: str, feature: str) -> str:
    """A reference to `name`, gated out by `feature`: wit-parser's words, then which item and feature."""
    return f"{excluded(kind)}: `{name}` is gated by feature `{feature}`, which is not enabled"


class GateResolver(ResolverState):
    def disabled_by(
        self, gates: tuple[ast.Gate, ...], file: ast.File, pkg: ast.PackageName, pos: ast.Pos | None = None
    ) -> str | None:
        """The feature (not enabled) that gates an item out, or None when the item is active.
        Bad gate combinations, and `@since` a version the package has not reached (reported at
        `pos`, the item's name), are reported here."""
        if not gates:  # most items
            return None
        kinds = [g.kind for g in gates]
        for g in gates:
            if kinds.count(g.kind) > 1:
                self.error(f"`@{g.kind}` is given more than once", file, g.pos)
                break
        if "since" in kinds and "unstable" in kinds:
            g = gates[kinds.index("unstable")]
            self.error("an item cannot be both `@since` and `@unstable`", file, g.pos)
        if "deprecated" in kinds and not ("since" in kinds or "unstable" in kinds):
            g = gates[kinds.index("deprecated")]
            self.error("`@deprecated` needs an `@since` or `@unstable` gate on the same item", file, g.pos)
        if "since" in kinds:
            g = gates[kinds.index("since")]
            if pkg.version is None:
                self.error("`@since` is only allowed in a package with a version", file, g.pos)
            elif not self.shadow and newer(g.value, pkg.version):
                self.error(
                    f"feature gate cannot reference unreleased version {g.value} of package [{pkg}] "
                    f"(current version {pkg.version})",
                    file,
                    pos or g.pos,
                )
        feature = (
            None
            if self.shadow
            else next((g.value for g in gates if g.kind == "unstable" and g.value not in self.features), None)
        )
        self.excluded_any = self.excluded_any or feature is not None
        return feature

    def gated_out(self, gates: tuple[ast.Gate, ...]) -> bool:
        return not self.shadow and any(g.kind == "unstable" and g.value not in self.features for g in gates)

    def resource_gates(self, item: ast.TypeDef, file: ast.File, unit: Unit) -> None:
        for rf in item.members(ast.ResourceFunc):
            self.disabled_by(rf.gates, file, unit.name, rf.name.pos)

    def excluded_contents(self, item: object, file: ast.File, unit: Unit) -> None:
        """wit-parser drops an item of an inactive feature after resolving it; what it holds must
        then be gated out too: a type of a dropped interface or world, a function of a dropped
        resource, is an error."""
        if isinstance(item, ast.TypeDef) and item.kind == "resource":
            for rf in item.members(ast.ResourceFunc):
                if self.disabled_by(rf.gates, file, unit.name, rf.name.pos) is None:
                    self.error(excluded("type"), file, rf.name.pos)
            return
        children: tuple[ast.InterfaceItem | ast.WorldItem, ...]
        if isinstance(item, ast.Extern) and item.kind == "inline":
            owner, children = "interface", item.items
        elif isinstance(item, (ast.Interface, ast.World)):
            owner, children = ("interface" if isinstance(item, ast.Interface) else "world"), item.items
        else:
            return
        for child in children:
            if isinstance(child, ast.TypeDef):
                pos = child.name.pos
            elif isinstance(child, ast.UseItem) and child.names:  # each name is a type of the owner
                pos = child.names[0][0].pos
            else:
                continue
            if self.disabled_by(child.gates, file, unit.name, item_pos(child)) is None:
                self.error(f"{excluded(owner)}; this type is not gated by a feature but its {owner} is", file, pos)


def item_pos(item: object) -> ast.Pos | None:
    """Where wit-parser points for an item: its name, or the path it refers to."""
    if isinstance(item, ast.Extern):
        return item.pos
    if isinstance(item, (ast.Include, ast.UseItem)):
        return item.path.name.pos
    name = getattr(item, "name", None)
    return name.pos if isinstance(name, ast.Ident) else None
