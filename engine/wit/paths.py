"""References to other packages, checked as wit-parser checks them before resolving anything.

A mixin of the Resolver (engine/wit/resolver.py): which package a `ns:pkg/name@v` path names,
whether it is an interface or a world (decided by its first mention), and top-level `use`s.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.wit import ast
from engine.wit.errors import Problem
from engine.wit.scope import PkgTable, problem_at
from engine.wit.state import ResolverState


class PathResolver(ResolverState):
    def check_paths(self, table: PkgTable) -> None:
        """What wit-parser checks before resolving anything: a foreign `pkg/name` is an interface
        or a world depending on where a file of the package first mentions it (`include`: a world,
        anything else: an interface) and must be that in its package; a top-level `use` of this
        package names an existing interface or world (not another file's `use`)."""
        unit = table.unit
        kinds = self.foreign_kinds[unit.key] = {}
        mentions: dict[tuple[str, str], tuple[ast.UsePath, ast.File, bool]] = {}
        for file, items in sorted(unit.parts, key=lambda part: part[0].path):
            for path, kind, gates in foreign_paths(items):
                key = (str(path.package), path.name.name)
                if path.package is None:
                    continue
                first = mentions.get(key)
                if first is None:
                    kinds[key] = kind
                    mentions[key] = (path, file, not self.gated_out(gates))
                elif not first[2] and not self.gated_out(gates):
                    mentions[key] = (*first[:2], True)
        for key, (path, file, enabled) in mentions.items():
            package = path.package
            assert package is not None, "only paths that name a package are recorded"
            try:  # the package must exist even when every mention is gated out
                target = self.find_package(package)
                if target is table:  # its own items are named without the package
                    raise problem_at(f"package `{unit.key}` creates a dependency cycle (it names itself)", package.pos)
            except Problem as problem:
                self.record(problem, file)
                self.broken_refs.add((unit.key, *key))
                continue
            kind, name = kinds[key], path.name.name
            defined = target.interfaces if kind == "interface" else target.worlds
            if enabled and not self.shadow and name not in defined and name not in target.disabled:
                self.error(f"{kind} '{name}' not found in package '{target.unit.key}'", file, path.name.pos)
                self.broken_refs.add((unit.key, *key))
        for file, _ in unit.parts:
            for name, use in table.top_uses.get(file.path, {}).items():
                used = use.path.name
                if use.path.package is None and not any(
                    used.name in d for d in (table.interfaces, table.worlds, table.disabled)
                ):
                    self.error(f"interface or world `{used.name}` does not exist", file, used.pos)
                    self.broken_refs.add((file.path, name))

    def find_package(self, pkg: ast.PackageName) -> PkgTable:
        """The package `pkg` names, version included (`wasi:io` does not find `wasi:io@0.2.0`,
        as in wit-parser)."""
        key = str(pkg)
        if key in self.tables:
            return self.tables[key]
        raise problem_at(f"package `{key}` not found (dependencies go in a `deps/` folder)", pkg.pos)


def foreign_paths(items: tuple) -> Iterable[tuple[ast.UsePath, str, tuple[ast.Gate, ...]]]:
    """Every path the items of one file refer to, in order, with the kind it must name and the
    gates of the statement it is written in (only those count, as in wit-parser)."""
    for item in items:
        if isinstance(item, ast.TopUse):
            yield item.path, "interface", item.gates
            continue
        for child in item.items:
            if isinstance(child, ast.UseItem):
                yield child.path, "interface", child.gates
            elif isinstance(child, ast.Include):
                yield child.path, "world", child.gates
            elif isinstance(child, ast.Extern) and child.kind == "path" and child.path is not None:
                yield child.path, "interface", child.gates
            elif isinstance(child, ast.Extern) and child.kind == "inline":
                yield from ((u.path, "interface", u.gates) for u in child.items if isinstance(u, ast.UseItem))
