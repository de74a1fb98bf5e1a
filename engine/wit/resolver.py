"""Resolve parsed WIT packages into the model: names, `use`, worlds, `include`, gates.

Interfaces and worlds are resolved on demand and memoized, so files and items may appear in
any order; an item met again while it is being resolved is a cycle. Problems are collected
(one per item) rather than stopping at the first, and a name whose definition failed is
remembered as broken so one mistake does not cascade into many messages.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.diagnostics import Diagnostic, Location
from engine.wit import ast
from engine.wit import model as m
from engine.wit.docs import DocIndex
from engine.wit.errors import Problem, WitError, wit_diagnostic
from engine.wit.loader import Unit, load_units


class _Broken(Problem):
    """A reference to something that already failed: silently skipped (no new message)."""

    def __init__(self) -> None:
        super().__init__("broken reference")


def _problem(message: str, pos: ast.Pos) -> Problem:
    return Problem(message, pos.line, pos.column)


def _iface_id(pkg: ast.PackageName, name: str) -> str:
    base = f"{pkg.namespace.name}:{pkg.name.name}/{name}"
    return f"{base}@{pkg.version}" if pkg.version else base


@dataclass
class _PkgTable:
    unit: Unit
    interfaces: dict[str, tuple[ast.Interface, ast.File]] = field(default_factory=dict)
    worlds: dict[str, tuple[ast.World, ast.File]] = field(default_factory=dict)
    disabled: dict[str, str] = field(default_factory=dict)
    top_uses: dict[str, dict[str, ast.TopUse]] = field(default_factory=dict)


@dataclass
class _Scope:
    """A namespace of types (and freestanding functions) of one interface or world."""

    owner: str
    file: ast.File
    names: dict[str, str | None] = field(default_factory=dict)  # type name -> key (None: broken)
    kinds: dict[str, str] = field(default_factory=dict)
    taken: dict[str, str] = field(default_factory=dict)  # any name -> what it is
    disabled: dict[str, str] = field(default_factory=dict)
    deps: list[str] = field(default_factory=list)  # interfaces this scope `use`s, in order
    handle_checks: list[tuple[str, ast.Pos]] = field(default_factory=list)
    result_checks: list[tuple[m.Type, ast.Pos]] = field(default_factory=list)
    ctor_checks: list[tuple[str, m.Type, ast.Pos]] = field(default_factory=list)


class Resolver:
    def __init__(self, units: list[Unit], features: Iterable[str] = ()):
        self.features = frozenset(features)
        self.errors: list[Diagnostic] = []
        self.tables: dict[str, _PkgTable] = {}
        self.types: dict[str, m.TypeDef] = {}
        self.interfaces: dict[str, m.Interface] = {}
        self.worlds: dict[str, m.World] = {}
        self.deps: dict[str, list[str]] = {}
        self.state: dict[str, str] = {}
        self.doc_index: dict[str, DocIndex] = {}
        self.pkg_refs: dict[str, list[tuple[str, ast.Pos, ast.File]]] = {}
        for unit in units:
            self.tables[unit.key] = self._table(unit)

    # ---- helpers ---------------------------------------------------------------------------

    def error(self, message: str, file: ast.File, pos: ast.Pos | None) -> None:
        line, col = (pos.line, pos.column) if pos else (None, None)
        self.errors.append(wit_diagnostic(message, file.path, line, col))

    def record(self, problem: Problem, file: ast.File) -> None:
        if not isinstance(problem, _Broken):
            self.errors.append(problem.diagnostic(file.path))

    def docs(self, file: ast.File, start: int) -> str:
        index = self.doc_index.get(file.path)
        if index is None:
            index = self.doc_index[file.path] = DocIndex(file.source)
        return index.docs_before(start)

    def location(self, file: ast.File, pos: ast.Pos) -> Location:
        return Location(file.path, pos.line, pos.column)

    def gates(self, gates: tuple[ast.Gate, ...], file: ast.File, pkg: ast.PackageName) -> tuple[bool, tuple[m.Gate, ...]]:
        """(active?, model gates); bad combinations are reported here."""
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
        if "since" in kinds and pkg.version is None:
            g = gates[kinds.index("since")]
            self.error("`@since` is only allowed in a package with a version", file, g.pos)
        active = all(g.value in self.features for g in gates if g.kind == "unstable")
        return active, tuple(m.Gate(g.kind, g.value) for g in gates)

    def _feature(self, gates: tuple[ast.Gate, ...]) -> str:
        return next((g.value for g in gates if g.kind == "unstable" and g.value not in self.features), "")

    # ---- package tables --------------------------------------------------------------------

    def _table(self, unit: Unit) -> _PkgTable:
        table = _PkgTable(unit)
        seen: dict[str, str] = {}
        for file, items in unit.parts:
            uses = table.top_uses.setdefault(file.path, {})
            for item in items:
                name = item.name if not isinstance(item, ast.TopUse) else (item.alias or item.path.name)
                what = {ast.Interface: "interface", ast.World: "world", ast.TopUse: "use"}[type(item)]
                active, _ = self.gates(item.gates, file, unit.name)
                if not active:
                    table.disabled[name.name] = self._feature(item.gates)
                    continue
                if isinstance(item, ast.TopUse):
                    if name.name in uses:
                        self.error(f"`{name.name}` is imported by `use` more than once in this file", file, name.pos)
                    else:
                        uses[name.name] = item
                    continue
                if name.name in seen:
                    self.error(f"`{name.name}` is defined more than once in package `{unit.key}` "
                               f"(already a {seen[name.name]})", file, name.pos)
                    continue
                seen[name.name] = what
                if isinstance(item, ast.Interface):
                    table.interfaces[name.name] = (item, file)
                else:
                    table.worlds[name.name] = (item, file)
        for file, _ in unit.parts:
            for name, use in table.top_uses.get(file.path, {}).items():
                if name in seen:
                    self.error(f"`use` of `{name}` conflicts with the {seen[name]} of that name in this package",
                               file, (use.alias or use.path.name).pos)
        return table

    def find_package(self, pkg: ast.PackageName, here: Unit) -> _PkgTable:
        key = str(pkg)
        if key in self.tables:
            return self.tables[key]
        if pkg.version is None:
            base = f"{pkg.namespace.name}:{pkg.name.name}"
            matches = [t for k, t in self.tables.items() if k.split("@", 1)[0] == base]
            if len(matches) == 1:
                return matches[0]
        raise _problem(f"package `{key}` not found (dependencies go in a `deps/` folder)", pkg.pos)

    def _note_pkg_ref(self, here: Unit, target: _PkgTable, pos: ast.Pos, file: ast.File) -> None:
        if target.unit.key != here.key:
            self.pkg_refs.setdefault(here.key, []).append((target.unit.key, pos, file))

    # ---- interfaces ------------------------------------------------------------------------

    def interface_path(self, path: ast.UsePath, unit: Unit, file: ast.File) -> str:
        """The id of the interface `path` names, resolving it if needed."""
        table = self.tables[unit.key]
        if path.package is None:
            name = path.name.name
            use = table.top_uses.get(file.path, {}).get(name)
            if use is not None and use.path.package is not None:
                return self.interface_path(use.path, unit, file)
            if use is not None:
                name = use.path.name.name
            return self._local_interface(table, name, path.name.pos, unit)
        target = self.find_package(path.package, unit)
        self._note_pkg_ref(unit, target, path.package.pos, file)
        return self._local_interface(target, path.name.name, path.name.pos, unit)

    def _local_interface(self, table: _PkgTable, name: str, pos: ast.Pos, here: Unit) -> str:
        if name in table.interfaces:
            return self.ensure_interface(table, name, pos)
        if name in table.worlds:
            raise _problem(f"`{name}` is a world, not an interface", pos)
        if name in table.disabled:
            raise _problem(f"interface `{name}` is gated by feature `{table.disabled[name]}`, "
                           "which is not enabled", pos)
        where = "" if table.unit.key == here.key else f" in package `{table.unit.key}`"
        raise _problem(f"interface `{name}` is not defined{where}", pos)

    def ensure_interface(self, table: _PkgTable, name: str, pos: ast.Pos) -> str:
        iid = _iface_id(table.unit.name, name)
        state = self.state.get(iid)
        if state == "done":
            return iid
        if state == "busy":
            raise _problem(f"`use` of interface `{name}` forms a cycle (cycle through `use`)", pos)
        if state == "failed":
            raise _Broken()
        self.state[iid] = "busy"
        node, file = table.interfaces[name]
        try:
            self.interfaces[iid] = self.build_interface(
                iid, name, node.items, table.unit, file, node.start, node.name.pos, node.gates)
        except RecursionError:
            self.state[iid] = "failed"
            raise _problem("definitions are nested too deeply to resolve", pos) from None
        self.state[iid] = "done"
        return iid

    def build_interface(self, iid: str, name: str | None, items: tuple, unit: Unit, file: ast.File,
                        start: int, pos: ast.Pos, gates: tuple[ast.Gate, ...]) -> m.Interface:
        scope = _Scope(iid, file)
        active = self.active_items(items, scope, file, unit)
        functions: dict[str, m.Function] = {}
        self.define_types(scope, active, unit, functions)
        for item in active:
            if isinstance(item, ast.FuncItem):
                try:
                    func = self.function(item.name.name, "freestanding", item.func, scope, None, item, file, unit)
                    functions[func.name] = func
                except Problem as problem:
                    self.record(problem, file)
        self.validate_scope(scope)
        self.deps[iid] = list(dict.fromkeys(scope.deps))
        types = {n: self.types[k] for n, k in scope.names.items() if k is not None and k in self.types}
        return m.Interface(
            iid, name, unit.key, m.frozen_map(types), m.frozen_map(functions),
            self.docs(file, start), self.location(file, pos), tuple(m.Gate(g.kind, g.value) for g in gates))

    def active_items(self, items: tuple, scope: _Scope, file: ast.File, unit: Unit) -> list:
        active = []
        for item in items:
            ok, _ = self.gates(item.gates, file, unit.name)
            if ok:
                active.append(item)
                continue
            feature = self._feature(item.gates)
            for n in _item_names(item):
                scope.disabled[n] = feature
        return active

    def claim(self, scope: _Scope, ident: ast.Ident, what: str) -> bool:
        if ident.name in scope.taken:
            self.error(f"`{ident.name}` is defined more than once (already a {scope.taken[ident.name]})",
                       scope.file, ident.pos)
            return False
        scope.taken[ident.name] = what
        return True

    def define_types(self, scope: _Scope, items: list, unit: Unit, functions: dict[str, m.Function],
                     world_names: dict[str, str] | None = None) -> None:
        file = scope.file
        # pass 1: every name, so definitions may refer to each other in any order
        for item in items:
            if isinstance(item, ast.UseItem):
                for orig, alias in item.names:
                    local = alias or orig
                    if self.claim(scope, local, "type"):
                        scope.names[local.name] = None
                        scope.kinds[local.name] = "use"
            elif isinstance(item, ast.TypeDef):
                if self.claim(scope, item.name, "type"):
                    scope.names[item.name.name] = f"{scope.owner}#{item.name.name}"
                    scope.kinds[item.name.name] = item.kind
            elif isinstance(item, ast.FuncItem):
                self.claim(scope, item.name, "function")
        # pass 2: `use` targets
        for item in items:
            if isinstance(item, ast.UseItem):
                self.use_item(scope, item, unit)
        # pass 3: definitions
        for item in items:
            if isinstance(item, ast.TypeDef) and scope.names.get(item.name.name) == f"{scope.owner}#{item.name.name}" \
                    and f"{scope.owner}#{item.name.name}" not in self.types:
                try:
                    self.typedef(scope, item, unit, functions)
                except Problem as problem:
                    self.record(problem, file)

    def use_item(self, scope: _Scope, item: ast.UseItem, unit: Unit) -> None:
        file = scope.file
        try:
            target_id = self.interface_path(item.path, unit, file)
        except Problem as problem:
            self.record(problem, file)
            return
        if target_id == scope.owner:
            self.error("an interface cannot `use` itself", file, item.path.name.pos)
            return
        scope.deps.append(target_id)
        target = self.interfaces[target_id]
        for orig, alias in item.names:
            local = alias or orig
            if scope.kinds.get(local.name) != "use" or scope.names.get(local.name) is not None:
                continue
            td = target.types.get(orig.name)
            if td is None:
                self.error(f"type `{orig.name}` is not defined in interface `{target_id}`", file, orig.pos)
                continue
            key = f"{scope.owner}#{local.name}"
            self.types[key] = m.TypeDef(
                key, local.name, scope.owner, "use", target=m.Ref(td.key),
                docs=self.docs(file, item.start), location=self.location(file, local.pos),
                gates=tuple(m.Gate(g.kind, g.value) for g in item.gates))
            scope.names[local.name] = key

    def lookup(self, scope: _Scope, ident: ast.Ident) -> str:
        name = ident.name
        if name in scope.names:
            key = scope.names[name]
            if key is None:
                raise _Broken()
            return key
        if name in scope.disabled:
            raise _problem(f"type `{name}` is gated by feature `{scope.disabled[name]}`, which is not enabled",
                           ident.pos)
        if scope.taken.get(name) == "function":
            raise _problem(f"`{name}` is a function, not a type", ident.pos)
        raise _problem(f"type `{name}` is not defined", ident.pos)

    def convert(self, t: object, scope: _Scope) -> m.Type:
        if isinstance(t, ast.TPrim):
            return m.Prim(t.name)
        if isinstance(t, ast.TNamed):
            return m.Ref(self.lookup(scope, t.name))
        if isinstance(t, ast.TList):
            return m.ListOf(self.convert(t.element, scope), t.size)
        if isinstance(t, ast.TOption):
            return m.OptionOf(self.convert(t.element, scope))
        if isinstance(t, ast.TResult):
            ok = self.convert(t.ok, scope) if t.ok is not None else None
            err = self.convert(t.err, scope) if t.err is not None else None
            return m.ResultOf(ok, err)
        if isinstance(t, ast.TTuple):
            return m.TupleOf(tuple(self.convert(x, scope) for x in t.items))
        if isinstance(t, ast.TFuture):
            return m.FutureOf(self.convert(t.element, scope) if t.element is not None else None)
        if isinstance(t, ast.TStream):
            return m.StreamOf(self.convert(t.element, scope) if t.element is not None else None)
        if isinstance(t, ast.THandle):
            key = self.lookup(scope, t.name)
            scope.handle_checks.append((key, t.name.pos))
            return m.Handle(t.kind, key)
        if isinstance(t, ast.TMap):
            return m.MapOf(self.convert(t.key, scope), self.convert(t.value, scope))
        raise TypeError(f"unknown type node {type(t).__name__}")  # pragma: no cover

    def typedef(self, scope: _Scope, item: ast.TypeDef, unit: Unit, functions: dict[str, m.Function]) -> None:
        file = scope.file
        key = f"{scope.owner}#{item.name.name}"
        common = dict(docs=self.docs(file, item.start), location=self.location(file, item.name.pos),
                      gates=tuple(m.Gate(g.kind, g.value) for g in item.gates))
        kind = item.kind
        if kind == "alias":
            td = m.TypeDef(key, item.name.name, scope.owner, "alias", target=self.convert(item.body, scope), **common)
        elif kind == "record":
            fields = []
            self._unique(item.body, "field", file)
            for f in item.body:
                fields.append(m.Field(f.name.name, self.convert(f.type, scope), self.docs(file, f.start)))
            if not fields:
                raise _problem(f"record `{item.name.name}` must have at least one field", item.name.pos)
            td = m.TypeDef(key, item.name.name, scope.owner, "record", fields=tuple(fields), **common)
        elif kind in ("variant", "enum", "flags"):
            self._unique(item.body, "case" if kind != "flags" else "flag", file)
            cases = tuple(
                m.Case(c.name.name, self.convert(c.type, scope) if c.type is not None else None,
                       self.docs(file, c.start))
                for c in item.body)
            if not cases:
                raise _problem(f"{kind} `{item.name.name}` must have at least one "
                               f"{'flag' if kind == 'flags' else 'case'}", item.name.pos)
            td = m.TypeDef(key, item.name.name, scope.owner, kind, cases=cases, **common)
        else:  # resource
            td = m.TypeDef(key, item.name.name, scope.owner, "resource", **common)
            self.types[key] = td
            self.resource_functions(scope, item, key, unit, functions)
            return
        self.types[key] = td

    def _unique(self, entries: tuple, what: str, file: ast.File) -> None:
        seen: set[str] = set()
        for entry in entries:
            if entry.name.name in seen:
                raise _problem(f"{what} `{entry.name.name}` is defined more than once", entry.name.pos)
            seen.add(entry.name.name)

    def resource_functions(self, scope: _Scope, item: ast.TypeDef, key: str, unit: Unit,
                           functions: dict[str, m.Function]) -> None:
        rname = item.name.name
        for rf in item.body:
            ok, _ = self.gates(rf.gates, scope.file, unit.name)
            if not ok:
                continue
            name = f"[{rf.kind}]{rname}" if rf.kind == "constructor" else f"[{rf.kind}]{rname}.{rf.name.name}"
            if name in functions:
                what = "constructor" if rf.kind == "constructor" else f"function `{rf.name.name}`"
                self.error(f"resource `{rname}` has more than one {what}", scope.file, rf.name.pos)
                continue
            try:
                functions[name] = self.function(name, rf.kind, rf.func, scope, key, rf, scope.file, unit)
            except Problem as problem:
                self.record(problem, scope.file)

    def function(self, name: str, kind: str, func: ast.Func, scope: _Scope, resource: str | None,
                 item: object, file: ast.File, unit: Unit) -> m.Function:
        params: list[m.Param] = []
        if kind == "method":
            params.append(m.Param("self", m.Handle("borrow", resource)))
        seen = {p.name for p in params}
        for ident, ty in func.params:
            if ident.name in seen:
                raise _problem(f"parameter `{ident.name}` is defined more than once", ident.pos)
            seen.add(ident.name)
            params.append(m.Param(ident.name, self.convert(ty, scope)))
        result = self.convert(func.result, scope) if func.result is not None else None
        if func.result is not None:
            scope.result_checks.append((result, func.result.pos))
        if kind == "constructor":
            if func.is_async:
                raise _problem("a constructor cannot be `async`", func.pos)
            if result is None:
                result = m.Handle("own", resource)
            else:
                scope.ctor_checks.append((resource, result, func.result.pos))
        return m.Function(
            name, kind, tuple(params), result, func.is_async, resource,
            self.docs(file, item.start), self.location(file, item.name.pos),
            tuple(m.Gate(g.kind, g.value) for g in item.gates))

    # ---- validation of one scope ------------------------------------------------------------

    def validate_scope(self, scope: _Scope) -> None:
        file = scope.file
        self._check_cycles(scope)
        view = _View(self.types)
        for key, pos in scope.handle_checks:
            if key in self.types and view.resource_of(key) is None and not view.broken(key):
                name = key.rsplit("#", 1)[-1]
                self.error(f"`{name}` is not a resource; `own`/`borrow` need a resource type", file, pos)
        for ty, pos in scope.result_checks:
            if view.has_borrow(ty):
                self.error("a function result cannot contain a `borrow` handle", file, pos)
        for resource, ty, pos in scope.ctor_checks:
            ok = ty
            if isinstance(ok, m.ResultOf):
                ok = ok.ok
            if ok is None or view.resource_key(ok) != resource:
                rname = resource.rsplit("#", 1)[-1]
                self.error(f"constructor of `{rname}` must return `{rname}` or `result<{rname}, E>`", file, pos)

    def _check_cycles(self, scope: _Scope) -> None:
        prefix = scope.owner + "#"
        local = [k for k in scope.names.values() if k and k.startswith(prefix) and k in self.types]
        color: dict[str, int] = {}
        for root in local:
            if root in color:
                continue
            stack = [(root, iter(_edges(self.types[root])))]
            color[root] = 1
            path = [root]
            while stack:
                node, it = stack[-1]
                nxt = next((k for k in it if k.startswith(prefix) and k in self.types), None)
                if nxt is None:
                    color[node] = 2
                    stack.pop()
                    path.pop()
                    continue
                if color.get(nxt) == 1:
                    cycle = path[path.index(nxt):] + [nxt]
                    names = " -> ".join(k.rsplit("#", 1)[-1] for k in cycle)
                    td = self.types[nxt]
                    loc = td.location
                    self.errors.append(wit_diagnostic(f"type `{td.name}` refers to itself ({names})",
                                                      loc.file, loc.line, loc.column))
                    self.types[nxt] = m.TypeDef(td.key, td.name, td.owner, "alias", target=m.Prim("u8"))
                    continue
                if nxt not in color:
                    color[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, iter(_edges(self.types[nxt]))))

    # ---- worlds ----------------------------------------------------------------------------

    def world_path(self, path: ast.UsePath, unit: Unit, file: ast.File) -> str:
        table = self.tables[unit.key]
        if path.package is None:
            name = path.name.name
            use = table.top_uses.get(file.path, {}).get(name)
            if use is not None and use.path.package is not None:
                return self.world_path(use.path, unit, file)
            target = table
        else:
            target = self.find_package(path.package, unit)
            self._note_pkg_ref(unit, target, path.package.pos, file)
            name = path.name.name
        if name in target.worlds:
            return self.ensure_world(target, name, path.name.pos)
        if name in target.interfaces:
            raise _problem(f"`{name}` is an interface, not a world", path.name.pos)
        if name in target.disabled:
            raise _problem(f"world `{name}` is gated by feature `{target.disabled[name]}`, which is not enabled",
                           path.name.pos)
        where = "" if target.unit.key == unit.key else f" in package `{target.unit.key}`"
        raise _problem(f"world `{name}` is not defined{where}", path.name.pos)

    def ensure_world(self, table: _PkgTable, name: str, pos: ast.Pos) -> str:
        wid = _iface_id(table.unit.name, name)
        state = self.state.get(wid)
        if state == "done":
            return wid
        if state == "busy":
            raise _problem(f"world `{name}` includes itself (cycle through `include`)", pos)
        if state == "failed":
            raise _Broken()
        self.state[wid] = "busy"
        node, file = table.worlds[name]
        try:
            self.worlds[wid] = self.build_world(wid, node, table.unit, file)
        except RecursionError:
            self.state[wid] = "failed"
            raise _problem("definitions are nested too deeply to resolve", pos) from None
        self.state[wid] = "done"
        return wid

    def build_world(self, wid: str, node: ast.World, unit: Unit, file: ast.File) -> m.World:
        scope = _Scope(wid, file)
        items = self.active_items(node.items, scope, file, unit)
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
                    self.include(item, scope, unit, sides, positions)
                except Problem as problem:
                    self.record(problem, file)
        for key, item in sides["export"].items():
            if item.kind == "function" or item.interface != key:
                if key in sides["import"] and not key.startswith("["):
                    self.error(f"`{key}` is both imported and exported", file, positions.get(("export", key)))
        self.validate_scope(scope)
        self.deps[wid] = list(dict.fromkeys(scope.deps))
        imports, exports = self.elaborate(sides["import"], sides["export"], scope.deps, file, node.name.pos)
        types = {n: self.types[k] for n, k in scope.names.items() if k is not None and k in self.types}
        return m.World(
            wid, node.name.name, unit.key, m.frozen_map(imports), m.frozen_map(exports), m.frozen_map(types),
            self.docs(file, node.start), self.location(file, node.name.pos),
            tuple(m.Gate(g.kind, g.value) for g in node.gates))

    def world_extern(self, wid: str, item: ast.Extern, scope: _Scope, unit: Unit,
                     sides: dict[str, dict[str, m.WorldItem]], positions: dict) -> None:
        file = scope.file
        side = sides[item.direction]
        common = dict(docs=self.docs(file, item.start), location=self.location(file, item.pos),
                      gates=tuple(m.Gate(g.kind, g.value) for g in item.gates))
        if item.kind == "func":
            func = self.function(item.name.name, "freestanding", item.func, scope, None, item, file, unit)
            entry = m.WorldItem(item.name.name, "function", function=func, **common)
        elif item.kind == "inline":
            iid = f"{wid}/{item.name.name}"
            self.interfaces[iid] = self.build_interface(
                iid, None, item.items, unit, file, item.start, item.name.pos, item.gates)
            entry = m.WorldItem(item.name.name, "interface", interface=iid, **common)
        else:
            iid = self.interface_path(item.path, unit, file)
            key = item.name.name if item.name is not None else iid
            entry = m.WorldItem(key, "interface", interface=iid, **common)
        key = entry.key
        if key in side or (item.direction == "import" and key in scope.taken and item.name is not None):
            what = "interface" if item.name is None else "name"
            raise _problem(f"{item.direction} of {what} `{key}` is given more than once in this world", item.pos)
        side[key] = entry
        positions[(item.direction, key)] = item.pos

    def include(self, item: ast.Include, scope: _Scope, unit: Unit,
                sides: dict[str, dict[str, m.WorldItem]], positions: dict) -> None:
        file = scope.file
        other = self.worlds[self.world_path(item.path, unit, file)]
        renames = {old.name: new for old, new in item.renames}
        names = {k for side in (other.imports, other.exports) for k, v in side.items()
                 if v.kind == "function" or v.interface != k} | set(other.types)
        for old, _new in item.renames:
            if old.name not in names:
                raise _problem(f"`{old.name}` in `with` is not a name imported or exported by world "
                               f"`{other.id}`", old.pos)
        for direction, source in (("import", other.imports), ("export", other.exports)):
            side = sides[direction]
            for key, entry in source.items():
                if entry.implicit:
                    continue
                plain = entry.kind == "function" or entry.interface != key
                new_key = renames[key].name if plain and key in renames else key
                if new_key in side:
                    if not plain and side[new_key].interface == entry.interface:
                        continue
                    raise _problem(f"{direction} `{new_key}` of included world `{other.id}` conflicts with an "
                                   f"existing {direction}; rename it with `with {{ {key} as ... }}`",
                                   item.path.name.pos)
                side[new_key] = m.WorldItem(new_key, entry.kind, entry.interface, entry.function, False,
                                            entry.docs, entry.location, entry.gates)
                positions[(direction, new_key)] = item.path.name.pos
        for name, td in other.types.items():
            new_name = renames[name].name if name in renames else name
            if new_name in scope.names:
                if scope.names[new_name] == td.key:
                    continue
                raise _problem(f"type `{new_name}` of included world `{other.id}` conflicts with an existing "
                               f"name; rename it with `with {{ {name} as ... }}`", item.path.name.pos)
            scope.names[new_name] = td.key
            scope.taken[new_name] = "type"
        scope.deps.extend(self.deps.get(other.id, []))

    def elaborate(self, imports: dict[str, m.WorldItem], exports: dict[str, m.WorldItem],
                  type_deps: list[str], file: ast.File, pos: ast.Pos) -> tuple[dict, dict]:
        """Add the interfaces that imported/exported items depend on, as the reference does."""
        new_imports: dict[str, m.WorldItem] = {}

        def implicit(iid: str) -> m.WorldItem:
            return m.WorldItem(iid, "interface", interface=iid, implicit=True)

        def add_import(root: str) -> None:
            if root in new_imports:
                return
            stack = [(root, iter(self.deps.get(root, ())))]
            visiting = {root}
            while stack:
                iid, it = stack[-1]
                dep = next(it, None)
                if dep is None:
                    stack.pop()
                    new_imports.setdefault(iid, imports.get(iid) or implicit(iid))
                elif dep not in new_imports and dep not in visiting:
                    visiting.add(dep)
                    stack.append((dep, iter(self.deps.get(dep, ()))))

        for dep in type_deps:
            add_import(dep)
        for key, entry in imports.items():
            if entry.kind == "interface":
                for dep in self.deps.get(entry.interface, ()):
                    add_import(dep)
            new_imports[key] = entry
        export_ifaces: dict[str, str] = {}
        for k, e in exports.items():
            if e.kind == "interface":
                export_ifaces.setdefault(e.interface, k)
        new_exports = {k: e for k, e in exports.items() if e.kind == "function"}
        required: set[str] = set()

        def add_export(iid: str, key: str, as_export: bool) -> bool:
            if key in new_exports:
                return as_export
            if not as_export and iid in required:
                return True
            for dep in self.deps.get(iid, ()):
                dep_export = as_export and dep in export_ifaces
                if not add_export(dep, export_ifaces[dep] if dep_export else dep, dep_export):
                    return False
            if as_export:
                new_exports[key] = exports[key]
            else:
                required.add(iid)
                if key not in new_imports:
                    new_imports[key] = imports.get(key) or implicit(iid)
            return True

        for key, entry in exports.items():
            if entry.kind == "interface" and not add_export(entry.interface, key, True):
                self.error(f"exported interface `{key}` depends on an interface in incompatible ways "
                           "(an imported dependency itself depends on an export)", file, pos)
        return new_imports, new_exports

    # ---- whole resolve ---------------------------------------------------------------------

    def _syntactic_deps(self, table: _PkgTable, node: ast.Interface, file: ast.File) -> list[tuple[_PkgTable, str]]:
        """Interfaces an interface `use`s, found from the syntax alone (for build order)."""
        out = []
        for item in node.items:
            if not isinstance(item, ast.UseItem):
                continue
            path = item.path
            if path.package is None:
                use = table.top_uses.get(file.path, {}).get(path.name.name)
                if use is not None:
                    path = use.path
            target = table
            if path.package is not None:
                try:
                    target = self.find_package(path.package, table.unit)
                except Problem:
                    continue
            if path.name.name in target.interfaces:
                out.append((target, path.name.name))
        return out

    def _interface_order(self) -> list[tuple[_PkgTable, str]]:
        """All interfaces, dependencies first, so resolving them never recurses deeply.
        Cycles are skipped here; resolving reports them."""
        order: list[tuple[_PkgTable, str]] = []
        state: dict[tuple[str, str], int] = {}
        for table in self.tables.values():
            for name in table.interfaces:
                if (table.unit.key, name) in state:
                    continue
                state[(table.unit.key, name)] = 1
                node, file = table.interfaces[name]
                stack = [(table, name, iter(self._syntactic_deps(table, node, file)))]
                while stack:
                    t, n, it = stack[-1]
                    nxt = next(it, None)
                    if nxt is None:
                        state[(t.unit.key, n)] = 2
                        order.append((t, n))
                        stack.pop()
                        continue
                    key = (nxt[0].unit.key, nxt[1])
                    if key not in state:
                        state[key] = 1
                        dnode, dfile = nxt[0].interfaces[nxt[1]]
                        stack.append((nxt[0], nxt[1], iter(self._syntactic_deps(nxt[0], dnode, dfile))))
        return order

    def run(self) -> m.Resolve:
        for table, name in self._interface_order():
            node, _file = table.interfaces[name]
            try:
                self.ensure_interface(table, name, node.name.pos)
            except Problem as problem:
                self.record(problem, _file)
        for table in self.tables.values():
            for name, (node, _file) in table.worlds.items():
                try:
                    self.ensure_world(table, name, node.name.pos)
                except Problem as problem:
                    self.record(problem, _file)
        order = self._package_order()
        if self.errors:
            raise WitError(_dedupe(self.errors))
        packages = {}
        for key in order:
            table = self.tables[key]
            unit = table.unit
            file = unit.file
            packages[key] = m.Package(
                key, unit.name.namespace.name, unit.name.name.name, unit.name.version,
                m.frozen_map((n, _iface_id(unit.name, n)) for n in table.interfaces),
                m.frozen_map((n, _iface_id(unit.name, n)) for n in table.worlds),
                self.docs(file, _package_start(unit)), self.location(file, unit.name.pos))
        main = tuple(k for k in order if self.tables[k].unit.main)
        return m.Resolve(m.frozen_map(packages), m.frozen_map(self.interfaces), m.frozen_map(self.worlds),
                         m.frozen_map(self.types), main)

    def _package_order(self) -> list[str]:
        """Dependency order of packages; a cycle between packages is an error."""
        order: list[str] = []
        color: dict[str, int] = {}
        for root in self.tables:
            if root in color:
                continue
            color[root] = 1
            stack = [(root, iter(self.pkg_refs.get(root, [])))]
            while stack:
                node, it = stack[-1]
                ref = next(it, None)
                if ref is None:
                    color[node] = 2
                    order.append(node)
                    stack.pop()
                    continue
                target, pos, file = ref
                if color.get(target) == 1:
                    self.error(f"packages depend on each other in a cycle (`{node}` -> `{target}`)", file, pos)
                elif target not in color:
                    color[target] = 1
                    stack.append((target, iter(self.pkg_refs.get(target, []))))
        return order


def _package_start(unit: Unit) -> int:
    """Offset of the `package` keyword before the name (docs are written before it)."""
    offset = unit.name.pos.offset
    found = unit.file.source.rfind("package", 0, offset)
    return found if found >= 0 else offset


class _View:
    """Read-only questions about types while resolving (tolerates broken definitions)."""

    def __init__(self, types: dict[str, m.TypeDef]):
        self.types = types

    def dealias(self, ty: m.Type) -> m.Type:
        for _ in range(len(self.types) + 1):
            if not isinstance(ty, m.Ref) or ty.key not in self.types:
                return ty
            td = self.types[ty.key]
            if td.kind not in ("alias", "use") or td.target is None:
                return ty
            ty = td.target
        return ty

    def broken(self, key: str) -> bool:
        ty = self.dealias(m.Ref(key))
        return isinstance(ty, m.Ref) and ty.key not in self.types

    def resource_of(self, key: str) -> m.TypeDef | None:
        ty = self.dealias(m.Ref(key))
        if isinstance(ty, m.Ref) and ty.key in self.types and self.types[ty.key].kind == "resource":
            return self.types[ty.key]
        return None

    def resource_key(self, ty: m.Type) -> str | None:
        if isinstance(ty, m.Handle) and ty.kind == "own":
            td = self.resource_of(ty.key)
            return td.key if td else None
        ty = self.dealias(ty)
        if isinstance(ty, m.Ref) and ty.key in self.types and self.types[ty.key].kind == "resource":
            return ty.key
        return None

    def has_borrow(self, ty: m.Type | None) -> bool:
        """Does `ty` contain a borrow handle, looking through named types (iteratively)?"""
        seen: set[str] = set()
        stack = [ty]
        while stack:
            t = stack.pop()
            if t is None:
                continue
            if isinstance(t, m.Handle):
                if t.kind == "borrow":
                    return True
            elif isinstance(t, m.Ref):
                if t.key in seen or t.key not in self.types:
                    continue
                seen.add(t.key)
                td = self.types[t.key]
                if td.kind != "resource":
                    stack.append(td.target)
                    stack.extend(f.type for f in td.fields)
                    stack.extend(c.type for c in td.cases)
            else:
                stack.extend(_children(t))
        return False


def _children(ty: m.Type) -> list:
    if isinstance(ty, (m.ListOf, m.OptionOf)):
        return [ty.element]
    if isinstance(ty, m.ResultOf):
        return [ty.ok, ty.err]
    if isinstance(ty, m.TupleOf):
        return list(ty.items)
    if isinstance(ty, (m.FutureOf, m.StreamOf)):
        return [ty.element]
    if isinstance(ty, m.MapOf):
        return [ty.key, ty.value]
    return []


def _refs(ty: m.Type | None) -> Iterable[str]:
    """Keys a type depends on by value (handles do not count: resources are nominal)."""
    if ty is None or isinstance(ty, (m.Prim, m.Handle)):
        return
    if isinstance(ty, m.Ref):
        yield ty.key
        return
    for child in _children(ty):
        yield from _refs(child)


def _edges(td: m.TypeDef) -> list[str]:
    out = list(_refs(td.target))
    for f in td.fields:
        out.extend(_refs(f.type))
    for c in td.cases:
        out.extend(_refs(c.type))
    return out


def _item_names(item: object) -> list[str]:
    if isinstance(item, ast.UseItem):
        return [(alias or orig).name for orig, alias in item.names]
    name = getattr(item, "name", None)
    return [name.name] if isinstance(name, ast.Ident) else []


def _dedupe(errors: list[Diagnostic]) -> list[Diagnostic]:
    seen = set()
    out = []
    for d in errors:
        key = (d.message, d.location)
        if key not in seen:
            seen.add(key)
            out.append(d)
    loc = lambda d: (d.location.file or "", d.location.line or 0, d.location.column or 0)  # noqa: E731
    return sorted(out, key=loc)


def resolve_path(path: str | Path, features: Iterable[str] = ()) -> m.Resolve:
    """Resolve a `.wit` file, or a folder (its `.wit` files + `deps/`), into a Resolve.

    Raises WitError listing every problem (each with file, line, column).
    """
    units = load_units(Path(path))
    try:
        return Resolver(units, features).run()
    except RecursionError:
        raise WitError([wit_diagnostic("definitions are nested too deeply to resolve", str(path))]) from None
