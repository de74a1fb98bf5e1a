"""Resolving worlds: items, `include` (with renames), plain-name checks, elaboration.

A mixin of the Resolver (engine/wit/resolver.py): it uses the resolver's tables, scopes and
type machinery, and adds what only worlds have.
"""

from __future__ import annotations

from dataclasses import replace

from engine.wit import ast
from engine.wit import model as m
from engine.wit.elaborate import elaborate
from engine.wit.errors import Problem
from engine.wit.loader import Unit
from engine.wit.scope import PkgTable, Scope, iface_id, problem_at
from engine.wit.state import ResolverState


class WorldResolver(ResolverState):
    def ensure_world(self, table: PkgTable, name: str, pos: ast.Pos) -> str:
        wid = iface_id(table.unit.name, name)
        node, file = table.worlds[name]

        def build() -> None:
            self.worlds[wid] = self.build_world(wid, node, table.unit, file)

        return self.ensure(wid, build, pos, f"world `{name}` includes itself (cycle through `include`)")

    def build_world(self, wid: str, node: ast.World, unit: Unit, file: ast.File) -> m.World:
        scope = Scope(wid, file)
        items = self.active_items(node.items, scope, file, unit)
        scope.inline_imports = {
            i.name.name
            for i in items
            if isinstance(i, ast.Extern) and i.kind == "inline" and i.direction == "import" and i.name is not None
        }
        resource_funcs: dict[str, m.Function] = {}
        self.define_types(scope, items, unit, resource_funcs)
        sides: dict[str, dict[str, m.WorldItem]] = {"import": {}, "export": {}}
        positions: dict[tuple[str, str], ast.Pos] = {}
        for name, func in resource_funcs.items():
            sides["import"][name] = m.WorldItem(name, "function", function=func, location=func.location)
        for item in items:
            if not isinstance(item, ast.Extern):
                continue
            try:
                self.world_extern(wid, item, scope, unit, sides, positions)
            except Problem as problem:
                self.record(problem, file)
        for item in items:
            if isinstance(item, ast.Include):
                try:
                    if self.shadow:  # includes are merged after gated items are dropped
                        self.lookup_item(item.path, unit, file, "world")
                    else:
                        self.include(item, scope, unit, sides, positions)
                except Problem as problem:
                    self.record(problem, file)
        # imports and exports are separate namespaces (the same plain name may be in both), but
        # within one side kebab-case names are case-insensitive; world types count as imports
        type_names = [n for n, k in scope.names.items() if k is not None]
        for direction, side in () if self.shadow else sides.items():
            names = [k for k, v in side.items() if v.kind == "function" or v.interface != k]
            self.case_clashes(
                wid, node, direction, (type_names if direction == "import" else []) + names, positions, file
            )
        types = self.finish_scope(scope)
        imports, exports, failed = elaborate(sides["import"], sides["export"], scope.deps, self.deps)
        if failed is not None and not self.shadow:
            self.error(
                f"interface `{failed}` transitively depends on an interface in incompatible ways (an "
                "imported dependency itself depends on an export)",
                file,
                node.name.pos,
            )
        return m.World(
            wid, node.name.name, unit.key, m.frozen_map(imports), m.frozen_map(exports), types, **self.meta(file, node)
        )

    def case_clashes(
        self, wid: str, node: ast.World, direction: str, names: list[str], positions: dict, file: ast.File
    ) -> None:
        seen: dict[str, str] = {}
        for name in names:
            first = seen.setdefault(name.lower(), name)
            if first != name:
                self.error(
                    f"{direction} `{name}` in world `{node.name.name}` conflicts with {direction} `{first}` "
                    "(kebab-case identifiers are case-insensitive)",
                    file,
                    positions.get((direction, name), node.name.pos),
                )

    def world_extern(
        self,
        wid: str,
        item: ast.Extern,
        scope: Scope,
        unit: Unit,
        sides: dict[str, dict[str, m.WorldItem]],
        positions: dict,
    ) -> None:
        file = scope.file
        side = sides[item.direction]
        common = self.meta(file, item, item.pos)
        if item.kind == "func":
            assert item.name is not None and item.func is not None, "the parser names a func extern and its signature"
            func = self.function(item.name.name, "freestanding", item.func, scope, None, item, file, unit)
            entry = m.WorldItem(item.name.name, "function", function=func, **common)
        elif item.kind == "inline":
            assert item.name is not None, "the parser names an inline extern"
            iid = f"{wid}/{item.name.name}"
            if item.direction == "export" and item.name.name in scope.inline_imports:  # a separate namespace
                iid = f"{wid}/[export]{item.name.name}"
            self.interfaces[iid] = self.build_interface(iid, None, item, unit, file)
            entry = m.WorldItem(item.name.name, "interface", interface=iid, **common)
        else:
            assert item.path is not None, "the parser gives a path extern its path"
            iid = self.lookup_item(item.path, unit, file, "interface")
            key = item.name.name if item.name is not None else iid
            entry = m.WorldItem(key, "interface", interface=iid, **common)
        key = entry.key
        if key in side or (item.direction == "import" and key in scope.taken and item.name is not None):
            what = "interface" if item.name is None else "name"
            raise problem_at(f"{item.direction} of {what} `{key}` is given more than once in this world", item.pos)
        side[key] = entry
        positions[(item.direction, key)] = item.pos

    def include(
        self, item: ast.Include, scope: Scope, unit: Unit, sides: dict[str, dict[str, m.WorldItem]], positions: dict
    ) -> None:
        file = scope.file
        other = self.worlds[self.lookup_item(item.path, unit, file, "world")]
        renames = {old.name: new for old, new in item.renames}
        names = {
            k
            for side in (other.imports, other.exports)
            for k, v in side.items()
            if v.kind == "function" or v.interface != k
        } | set(other.types)
        for old, _new in item.renames:
            if old.name not in names:
                raise problem_at(
                    f"`{old.name}` in `with` is not a name imported or exported by world `{other.id}`", old.pos
                )
        for direction, source in (("import", other.imports), ("export", other.exports)):
            side = sides[direction]
            for key, entry in source.items():
                if entry.implicit:
                    continue
                plain = entry.kind == "function" or entry.interface != key
                new_key = _renamed(key, renames) if plain else key
                if new_key in side:
                    if not plain and side[new_key].interface == entry.interface:
                        continue
                    raise problem_at(
                        f"{direction} `{new_key}` of included world `{other.id}` conflicts with an "
                        f"existing {direction}; rename it with `with {{ {key} as ... }}`",
                        item.path.name.pos,
                    )
                func = entry.function
                if func is not None and func.name != new_key:
                    func = replace(func, name=new_key)
                side[new_key] = m.WorldItem(
                    new_key, entry.kind, entry.interface, func, False, entry.docs, entry.location, entry.gates
                )
                positions[(direction, new_key)] = item.path.name.pos
        for name, td in other.types.items():
            new_name = renames[name].name if name in renames else name
            if new_name in scope.names:
                if scope.names[new_name] == td.key:
                    continue
                raise problem_at(
                    f"type `{new_name}` of included world `{other.id}` conflicts with an existing "
                    f"name; rename it with `with {{ {name} as ... }}`",
                    item.path.name.pos,
                )
            scope.names[new_name] = td.key
            scope.taken[new_name] = "type"
        scope.deps.extend(self.deps.get(other.id, []))


def _renamed(key: str, renames: dict[str, ast.Ident]) -> str:
    """A world item's name after `include w with { old as new }`, as wit-parser renames it: a
    plain name, or the resource part of `[constructor]r`, `[method]r.m`, `[static]r.m`."""
    if key in renames:
        return renames[key].name
    if not key.startswith("[") or "]" not in key:
        return key
    kind, rest = key.split("]", 1)
    name, dot, member = rest.partition(".")
    if name in renames:
        return f"{kind}]{renames[name].name}{dot}{member}"
    return key
