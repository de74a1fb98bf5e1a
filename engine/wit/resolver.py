"""Resolve parsed WIT packages into the model: names, `use`, worlds, `include`, gates.

Interfaces and worlds are resolved on demand and memoized, so files and items may appear in
any order; an item met again while it is being resolved is a cycle. Problems are collected
(one per item) rather than stopping at the first, and a name whose definition failed is
remembered as broken so one mistake does not cascade into many messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from engine.diagnostics import Diagnostic, Location
from engine.wit import ast
from engine.wit import model as m
from engine.wit.docs import DocIndex
from engine.wit.errors import Problem, WitError, wit_diagnostic
from engine.wit.gating import GateResolver, excluded_reference, item_pos
from engine.wit.loader import Unit, load_units
from engine.wit.order import postorder
from engine.wit.paths import PathResolver
from engine.wit.scope import Broken, PkgTable, Scope, iface_id, problem_at
from engine.wit.typeview import TypeView, edges
from engine.wit.worlds import WorldResolver

_ARTICLE = {"interface": "an", "world": "a"}
# wit-parser takes only these as `map` keys (not floats, not named types, even aliases of these)
MAP_KEYS = frozenset(["bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "char", "string"])


class Resolver(WorldResolver, GateResolver, PathResolver):
    def __init__(self, units: list[Unit], features: Iterable[str] = (), *, shadow: bool = False):
        self.features = frozenset(features)
        # shadow: every feature on, to find what wit-parser reports inside items it later drops
        # (it resolves everything first); checks it makes only after dropping them are skipped
        self.shadow = shadow
        self.excluded_any = False  # some item was gated out (then a shadow pass is worth running)
        self.errors: list[Diagnostic] = []
        self.tables: dict[str, PkgTable] = {}
        self.types: dict[str, m.TypeDef] = {}
        self.interfaces: dict[str, m.Interface] = {}
        self.worlds: dict[str, m.World] = {}
        self.deps: dict[str, list[str]] = {}
        self.state: dict[str, str] = {}
        self.doc_index: dict[str, DocIndex] = {}
        self.pkg_refs: dict[str, list[tuple[str, ast.Pos, ast.File]]] = {}
        self.foreign_kinds: dict[str, dict[tuple[str, str], str]] = {}
        self.broken_refs: set[tuple[str, ...]] = set()  # foreign paths and `use` aliases already reported
        for unit in units:
            self.tables[unit.key] = self._table(unit)

    # ---- helpers ---------------------------------------------------------------------------

    def error(self, message: str, file: ast.File, pos: ast.Pos | None) -> None:
        line, col = (pos.line, pos.column) if pos else (None, None)
        self.errors.append(wit_diagnostic(message, file.path, line, col))

    def record(self, problem: Problem, file: ast.File) -> None:
        if not isinstance(problem, Broken):
            self.errors.append(problem.diagnostic(file.path))

    def docs(self, file: ast.File, start: int) -> str:
        index = self.doc_index.get(file.path)
        if index is None:
            index = self.doc_index[file.path] = DocIndex(file.source, file.comments)
        return index.docs_before(start)

    def location(self, file: ast.File, pos: ast.Pos) -> Location:
        return Location(file.path, pos.line, pos.column)

    def meta(self, file: ast.File, node, pos: ast.Pos | None = None) -> dict:
        """docs, location and gates of a model item made from `node` (an ast item with `start`
        and `gates`), located at `pos` (default: its name)."""
        return {
            "docs": self.docs(file, node.start),
            "location": self.location(file, pos or node.name.pos),
            "gates": tuple(m.Gate(g.kind, g.value) for g in node.gates),
        }

    # ---- package tables --------------------------------------------------------------------

    def _table(self, unit: Unit) -> PkgTable:
        table = PkgTable(unit)
        seen: dict[str, str] = {}
        for file, items in unit.parts:
            uses = table.top_uses.setdefault(file.path, {})
            in_file: set[str] = set()  # a top-level `use` is scoped to its file
            for item in items:
                name = item.name if not isinstance(item, ast.TopUse) else (item.alias or item.path.name)
                what = {ast.Interface: "interface", ast.World: "world", ast.TopUse: "use"}[type(item)]
                if isinstance(item, ast.TopUse):
                    if item.gates:
                        self.error("attributes not allowed on top-level use", file, item.gates[0].pos)
                elif name.name in seen:
                    self.error(
                        f"`{name.name}` is defined more than once in package `{unit.key}` "
                        f"(already a {seen[name.name]})",
                        file,
                        name.pos,
                    )
                    continue
                if name.name in in_file:
                    self.error(f"duplicate name `{name.name}` in this file", file, name.pos)
                    continue
                in_file.add(name.name)
                if isinstance(item, ast.TopUse):
                    uses[name.name] = item
                    continue
                seen[name.name] = what
                feature = self.disabled_by(item.gates, file, unit.name, name.pos)
                if feature is not None:
                    table.disabled[name.name] = feature
                    self.excluded_contents(item, file, unit)
                elif isinstance(item, ast.Interface):
                    table.interfaces[name.name] = (item, file)
                else:
                    table.worlds[name.name] = (item, file)
        return table

    def _note_pkg_ref(self, here: Unit, target: PkgTable, pos: ast.Pos, file: ast.File) -> None:
        if target.unit.key != here.key:
            self.pkg_refs.setdefault(here.key, []).append((target.unit.key, pos, file))

    # ---- interfaces ------------------------------------------------------------------------

    def target(
        self, path: ast.UsePath, unit: Unit, file: ast.File, *, note: bool = True
    ) -> tuple[PkgTable, str, ast.Pos]:
        """(package table, item name, position) that `path` names, following a top-level
        `use ... as`; `note` records a reference to another package (for package order)."""
        table = self.tables[unit.key]
        pos = path.name.pos
        package = path.package
        if package is None:
            use = table.top_uses.get(file.path, {}).get(path.name.name)
            if use is None:
                return table, path.name.name, pos
            if use.path.package is None:  # `use w as alias;` of an item of this package
                return table, use.path.name.name, pos
            path, package = use.path, use.path.package
        target = self.find_package(package)
        if note:
            self._note_pkg_ref(unit, target, package.pos, file)
        return target, path.name.name, path.name.pos

    def lookup_item(self, path: ast.UsePath, unit: Unit, file: ast.File, kind: str) -> str:
        """The id of the interface or world (`kind`) `path` names, resolving it if needed."""
        other = "world" if kind == "interface" else "interface"
        named = path
        if path.package is None and path.name.name in self.tables[unit.key].top_uses.get(file.path, {}):
            if (file.path, path.name.name) in self.broken_refs:
                raise Broken()
            named = self.tables[unit.key].top_uses[file.path][path.name.name].path
        if named.package is not None:
            key = (str(named.package), named.name.name)
            if self.foreign_kinds.get(unit.key, {}).get(key, kind) != kind:
                raise problem_at(
                    f"name `{path.name.name}` is defined as {_ARTICLE[other]} {other}, not {_ARTICLE[kind]} {kind}",
                    path.name.pos,
                )
            if (unit.key, *key) in self.broken_refs:
                raise Broken()
        table, name, pos = self.target(path, unit, file)
        items: dict[str, Mapping[str, object]] = {"interface": table.interfaces, "world": table.worlds}
        if self.shadow and named.package is not None and name not in items[kind]:
            raise Broken()  # wit-parser checks a foreign target only for what it keeps
        if name in items[kind]:
            ensure = self.ensure_interface if kind == "interface" else self.ensure_world
            return ensure(table, name, pos)
        if name in items[other]:
            raise problem_at(f"`{name}` is {_ARTICLE[other]} {other}, not {_ARTICLE[kind]} {kind}", pos)
        if name in table.disabled:
            raise problem_at(excluded_reference(kind, name, table.disabled[name]), pos)
        where = "" if table.unit.key == unit.key else f" in package `{table.unit.key}`"
        raise problem_at(f"{kind} `{name}` is not defined{where}", pos)

    def ensure(self, item_id: str, build, pos: ast.Pos, cycle: str) -> str:
        """Build an interface or world once: memoized, a re-entry is the cycle `cycle`."""
        state = self.state.get(item_id)
        if state == "done":
            return item_id
        if state == "busy":
            raise problem_at(cycle, pos)
        if state == "failed":
            raise Broken()
        self.state[item_id] = "busy"
        try:
            build()
        except RecursionError:
            self.state[item_id] = "failed"
            raise problem_at("definitions are nested too deeply to resolve", pos) from None
        self.state[item_id] = "done"
        return item_id

    def ensure_interface(self, table: PkgTable, name: str, pos: ast.Pos) -> str:
        iid = iface_id(table.unit.name, name)
        node, file = table.interfaces[name]

        def build() -> None:
            self.interfaces[iid] = self.build_interface(iid, name, node, table.unit, file)

        return self.ensure(iid, build, pos, f"`use` of interface `{name}` forms a cycle")

    def build_interface(
        self, iid: str, name: str | None, node: ast.Interface | ast.Extern, unit: Unit, file: ast.File
    ) -> m.Interface:
        """An interface, or the inline interface of a world's `import x: interface { ... }`."""
        scope = Scope(iid, file)
        active = self.active_items(node.items, scope, file, unit)
        functions: dict[str, m.Function] = {}
        self.define_types(scope, active, unit, functions)
        for item in active:
            if isinstance(item, ast.FuncItem):
                try:
                    func = self.function(item.name.name, "freestanding", item.func, scope, None, item, file, unit)
                    functions[func.name] = func
                except Problem as problem:
                    self.record(problem, file)
        types = self.finish_scope(scope)
        return m.Interface(iid, name, unit.key, types, m.frozen_map(functions), **self.meta(file, node))

    def active_items(self, items: tuple, scope: Scope, file: ast.File, unit: Unit) -> list:
        active = []
        for item in items:
            feature = self.disabled_by(item.gates, file, unit.name, item_pos(item))
            if feature is None:
                active.append(item)
                if isinstance(item, ast.TypeDef) and item.kind == "resource":
                    self.resource_gates(item, file, unit)
                continue
            self.excluded_contents(item, file, unit)
            for n in _item_names(item):
                scope.disabled[n] = feature
        return active

    def claim(self, scope: Scope, ident: ast.Ident, what: str) -> bool:
        if ident.name in scope.taken:
            self.error(
                f"`{ident.name}` is defined more than once (already a {scope.taken[ident.name]})", scope.file, ident.pos
            )
            return False
        scope.taken[ident.name] = what
        return True

    def define_types(self, scope: Scope, items: list, unit: Unit, functions: dict[str, m.Function]) -> None:
        file = scope.file
        # pass 1: every name, so definitions may refer to each other in any order
        for item in items:
            if isinstance(item, ast.UseItem):
                for orig, alias in item.names:
                    local = alias or orig
                    if self.claim(scope, local, "type"):
                        scope.names[local.name] = None  # filled in by pass 2
            elif isinstance(item, ast.TypeDef):
                if self.claim(scope, item.name, "type"):
                    scope.names[item.name.name] = f"{scope.owner}#{item.name.name}"
            elif isinstance(item, ast.FuncItem):
                self.claim(scope, item.name, "function")
        # pass 2: `use` targets
        for item in items:
            if isinstance(item, ast.UseItem):
                self.use_item(scope, item, unit)
        # pass 3: definitions
        for item in items:
            if (
                isinstance(item, ast.TypeDef)
                and scope.names.get(item.name.name) == f"{scope.owner}#{item.name.name}"
                and f"{scope.owner}#{item.name.name}" not in self.types
            ):
                try:
                    self.typedef(scope, item, unit, functions)
                except Problem as problem:
                    self.record(problem, file)

    def use_item(self, scope: Scope, item: ast.UseItem, unit: Unit) -> None:
        file = scope.file
        try:
            if not item.names:  # names nothing, so refers to nothing a feature may have dropped
                table, name, _ = self.target(item.path, unit, file, note=False)
                if name in table.disabled and name not in table.interfaces and name not in table.worlds:
                    return
            target_id = self.lookup_item(item.path, unit, file, "interface")
        except Problem as problem:
            self.record(problem, file)
            return
        if target_id == scope.owner:
            self.error("an interface cannot `use` itself", file, item.path.name.pos)
            return
        if item.names:  # only types brought in make a dependency (an empty `use` makes none)
            scope.deps.append(target_id)
        target = self.interfaces[target_id]
        for orig, alias in item.names:
            local = alias or orig
            if local.name not in scope.names or scope.names[local.name] is not None:
                continue  # claimed by another item, or already filled by an earlier `use`
            td = target.types.get(orig.name)
            if td is None:
                # wit-parser checks a type of another package only where the `use` is kept
                if not (self.shadow and target.package != unit.key):
                    self.error(f"type `{orig.name}` is not defined in interface `{target_id}`", file, orig.pos)
                continue
            key = f"{scope.owner}#{local.name}"
            self.types[key] = m.TypeDef(
                key, local.name, scope.owner, "use", target=m.Ref(td.key), **self.meta(file, item, local.pos)
            )
            scope.names[local.name] = key

    def lookup(self, scope: Scope, ident: ast.Ident) -> str:
        name = ident.name
        if name in scope.names:
            key = scope.names[name]
            if key is None:
                raise Broken()
            return key
        if name in scope.disabled:
            raise problem_at(excluded_reference("type", name, scope.disabled[name]), ident.pos)
        if scope.taken.get(name) == "function":
            raise problem_at(f"`{name}` is a function, not a type", ident.pos)
        raise problem_at(f"type `{name}` is not defined", ident.pos)

    def convert(self, t: object, scope: Scope) -> m.Type:
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
            key_type = self.convert(t.key, scope)
            if not (isinstance(key_type, m.Prim) and key_type.name in MAP_KEYS):
                raise problem_at(
                    "invalid map key type: map keys must be bool, u8, u16, u32, u64, s8, s16, "
                    "s32, s64, char, or string",
                    t.pos,
                )
            return m.MapOf(key_type, self.convert(t.value, scope))
        raise TypeError(f"unknown type node {type(t).__name__}")  # pragma: no cover

    def typedef(self, scope: Scope, item: ast.TypeDef, unit: Unit, functions: dict[str, m.Function]) -> None:
        file = scope.file
        key = f"{scope.owner}#{item.name.name}"
        common = self.meta(file, item)
        kind = item.kind
        if kind == "alias":
            td = m.TypeDef(key, item.name.name, scope.owner, "alias", target=self.convert(item.body, scope), **common)
        elif kind == "record":
            fields = []
            for f in self._unique(item.members(ast.Field), "field", file):
                fields.append(m.Field(f.name.name, self.convert(f.type, scope), self.docs(file, f.start)))
            td = m.TypeDef(key, item.name.name, scope.owner, "record", fields=tuple(fields), **common)
        elif kind in ("variant", "enum", "flags"):
            cases = tuple(
                m.Case(
                    c.name.name, self.convert(c.type, scope) if c.type is not None else None, self.docs(file, c.start)
                )
                for c in self._unique(item.members(ast.Case), "case" if kind != "flags" else "flag", file)
            )
            if not cases and kind != "flags":  # empty records and flags are valid, as in wit-parser
                raise problem_at(f"{kind} `{item.name.name}` must have at least one case", item.name.pos)
            td = m.TypeDef(key, item.name.name, scope.owner, kind, cases=cases, **common)
        else:  # resource
            td = m.TypeDef(key, item.name.name, scope.owner, "resource", **common)
            self.types[key] = td
            self.resource_functions(scope, item, key, unit, functions)
            return
        self.types[key] = td

    def _unique(self, entries: tuple, what: str, file: ast.File) -> list:
        """`entries` without repeated names; each repeat is reported, and the type is still
        defined (so what refers to it is not reported too)."""
        seen: set[str] = set()
        kept = []
        for entry in entries:
            if entry.name.name in seen:
                self.error(f"{what} `{entry.name.name}` is defined more than once", file, entry.name.pos)
                continue
            seen.add(entry.name.name)
            kept.append(entry)
        return kept

    def resource_functions(
        self, scope: Scope, item: ast.TypeDef, key: str, unit: Unit, functions: dict[str, m.Function]
    ) -> None:
        rname = item.name.name
        plain: set[str] = set()  # a method and a static function share one namespace
        for rf in item.members(ast.ResourceFunc):
            if self.gated_out(rf.gates):
                continue
            name = f"[{rf.kind}]{rname}" if rf.kind == "constructor" else f"[{rf.kind}]{rname}.{rf.name.name}"
            if name in functions or (rf.kind != "constructor" and rf.name.name in plain):
                what = "constructor" if rf.kind == "constructor" else f"function `{rf.name.name}`"
                self.error(f"resource `{rname}` has more than one {what}", scope.file, rf.name.pos)
                continue
            if rf.kind != "constructor":
                plain.add(rf.name.name)
            try:
                functions[name] = self.function(name, rf.kind, rf.func, scope, key, rf, scope.file, unit)
            except Problem as problem:
                self.record(problem, scope.file)

    def function(
        self,
        name: str,
        kind: str,
        func: ast.Func,
        scope: Scope,
        resource: str | None,
        item: object,
        file: ast.File,
        unit: Unit,
    ) -> m.Function:
        params: list[m.Param] = []
        if kind in ("method", "constructor") and resource is None:
            raise TypeError(f"a {kind} needs the resource it belongs to")  # the callers' contract
        if kind == "method" and resource is not None:
            params.append(m.Param("self", m.Handle("borrow", resource)))
        seen = {p.name for p in params}
        for ident, ty in func.params:
            if ident.name in seen:
                raise problem_at(f"parameter `{ident.name}` is defined more than once", ident.pos)
            seen.add(ident.name)
            params.append(m.Param(ident.name, self.convert(ty, scope)))
        result: m.Type | None = None
        if func.result is not None:
            result = self.convert(func.result, scope)
            scope.result_checks.append((result, func.result.pos))
            if kind == "constructor" and resource is not None and not func.is_async:  # async is refused below
                _check_constructor_result(resource, result, func.result)
        if kind == "constructor" and resource is not None:
            if func.is_async:
                raise problem_at("a constructor cannot be `async`", func.pos)
            if result is None:
                result = m.Handle("own", resource)
        return m.Function(name, kind, tuple(params), result, func.is_async, resource, **self.meta(file, item))

    # ---- validation of one scope ------------------------------------------------------------

    def finish_scope(self, scope: Scope) -> Mapping[str, m.TypeDef]:
        """Validate a built interface or world, record the interfaces it uses (for world
        elaboration) and return its types by name."""
        self.validate_scope(scope)
        self.deps[scope.owner] = list(dict.fromkeys(scope.deps))
        return m.frozen_map((n, self.types[k]) for n, k in scope.names.items() if k is not None and k in self.types)

    def validate_scope(self, scope: Scope) -> None:
        file = scope.file
        self._check_cycles(scope)
        view = TypeView(self.types)
        for key, pos in scope.handle_checks:
            if key in self.types and view.resource_of(key) is None and not view.broken(key):
                name = key.rsplit("#", 1)[-1]
                self.error(f"`{name}` is not a resource; `own`/`borrow` need a resource type", file, pos)
        for ty, pos in () if self.shadow else scope.result_checks:  # checked on what is kept
            if view.has_borrow(ty):
                self.error("a function result cannot contain a `borrow` handle", file, pos)

    def _check_cycles(self, scope: Scope) -> None:
        """A type that contains itself (by value) is reported once and made harmless."""
        prefix = scope.owner + "#"

        def local_edges(key: str) -> Iterable[str]:
            return (k for k in edges(self.types[key]) if k.startswith(prefix) and k in self.types)

        reported: set[str] = set()

        def report(path: list[str], nxt: str) -> None:
            if nxt in reported:  # another way round the same cycle
                return
            reported.add(nxt)
            names = " -> ".join(k.rsplit("#", 1)[-1] for k in path[path.index(nxt) :] + [nxt])
            td = self.types[nxt]
            loc = td.location or Location(None)  # every type written in a file has a location
            self.errors.append(
                wit_diagnostic(f"type `{td.name}` refers to itself ({names})", loc.file, loc.line, loc.column)
            )
            self.types[nxt] = m.TypeDef(td.key, td.name, td.owner, "alias", target=m.Prim("u8"))

        local = [k for k in scope.names.values() if k and k.startswith(prefix) and k in self.types]
        postorder(local, local_edges, report)

    # ---- order and the whole resolve --------------------------------------------------------

    def _syntactic_deps(self, table: PkgTable, node: ast.Interface, file: ast.File) -> list[tuple[PkgTable, str]]:
        """Interfaces an interface `use`s, found from the syntax alone (for build order)."""
        out = []
        for item in node.items:
            if not isinstance(item, ast.UseItem):
                continue
            try:
                target, name, _ = self.target(item.path, table.unit, file, note=False)
            except Problem:
                continue
            if name in target.interfaces:
                out.append((target, name))
        return out

    def _interface_order(self) -> list[tuple[PkgTable, str]]:
        """All interfaces, dependencies first, so resolving them never recurses deeply.
        Cycles are skipped here; resolving reports them."""

        def deps(key: tuple[str, str]) -> list[tuple[str, str]]:
            table = self.tables[key[0]]
            node, file = table.interfaces[key[1]]
            return [(t.unit.key, n) for t, n in self._syntactic_deps(table, node, file)]

        roots = [(key, name) for key, table in self.tables.items() for name in table.interfaces]
        return [(self.tables[key], name) for key, name in postorder(roots, deps)]

    def run(self) -> m.Resolve:
        for table in self.tables.values():
            self.check_paths(table)
        for table, name in self._interface_order():
            node, _file = table.interfaces[name]
            try:
                self.ensure_interface(table, name, node.name.pos)
            except Problem as problem:
                self.record(problem, _file)
        for table in self.tables.values():
            for name, (world_node, _file) in table.worlds.items():
                try:
                    self.ensure_world(table, name, world_node.name.pos)
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
                key,
                unit.name.namespace.name,
                unit.name.name.name,
                unit.name.version,
                m.frozen_map((n, iface_id(unit.name, n)) for n in table.interfaces),
                m.frozen_map((n, iface_id(unit.name, n)) for n in table.worlds),
                self.docs(file, _package_start(unit)),
                self.location(file, unit.name.pos),
            )
        main = tuple(k for k in order if self.tables[k].unit.main)
        return m.Resolve(
            m.frozen_map(packages),
            m.frozen_map(self.interfaces),
            m.frozen_map(self.worlds),
            m.frozen_map(self.types),
            main,
        )

    def _package_order(self) -> list[str]:
        """Dependency order of packages; a cycle between packages is an error."""

        def report(path: list[str], ref: tuple[str, ast.Pos, ast.File]) -> None:
            target, pos, file = ref
            self.error(f"packages depend on each other in a cycle (`{path[-1]}` -> `{target}`)", file, pos)

        return postorder(self.tables, lambda key: self.pkg_refs.get(key, []), report, target=lambda ref: ref[0])


def _package_start(unit: Unit) -> int:
    """Offset of the `package` keyword before the name (docs are written before it)."""
    offset = unit.name.pos.offset
    found = unit.file.source.rfind("package", 0, offset)
    return found if found >= 0 else offset


def _check_constructor_result(resource: str, result: m.Type, node: ast.TypeExpr) -> None:
    """A declared constructor result is `result<r>` or `result<r, E>`, `r` being the resource
    itself (not an alias of it), as wit-parser requires."""
    if not isinstance(result, m.ResultOf):
        raise problem_at("if a constructor return type is declared it must be a `result`", node.pos)
    ok = result.ok
    if not (isinstance(ok, m.Ref) or (isinstance(ok, m.Handle) and ok.kind == "own")) or ok.key != resource:
        pos = node.ok.pos if isinstance(node, ast.TResult) and node.ok is not None else node.pos
        raise problem_at("the `ok` type must be the resource being constructed", pos)


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
    if isinstance(features, str):  # one feature name, not its characters
        features = (features,)
    units = load_units(Path(path))
    try:
        resolver = Resolver(units, features)
        try:
            resolve, errors = resolver.run(), []
        except WitError as exc:
            resolve, errors = None, list(exc.diagnostics)
        if resolver.excluded_any:  # wit-parser resolves gated-out items too before dropping them
            shadow = Resolver(units, shadow=True)
            try:
                shadow.run()
            except WitError as exc:
                errors.extend(exc.diagnostics)
    except RecursionError:
        raise WitError([wit_diagnostic("definitions are nested too deeply to resolve", str(path))]) from None
    if errors or resolve is None:  # a WitError holds at least one diagnostic
        raise WitError(_dedupe(errors))
    return resolve
