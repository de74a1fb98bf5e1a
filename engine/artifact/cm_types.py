"""Component-model types as wasmparser's validator models them, in pure Python.

A port of the parts of wasmparser's validator/component_types.rs that decide what a component's
imports and exports are (wasm-tools at the version wasmtime 50 uses), so that static inspection
reports exactly the types `wasmtime.component.Component(...).type` reports, without compiling:

- value types: a primitive is its name ("u32"); every other defined type is a `Defined` object.
  An object's identity is its *nominal* identity (the "is this type exported under a name"
  checks use it); `same_valtype` compares structure.
- resources are `(resource id, alias id)` pairs: instantiating, importing or exporting can give a
  resource a fresh id, and substitution (`Remap`) rewrites resource ids inside types.
- function, instance, component and core module types are objects with their imports/exports.
- `Info` is wasmparser's TypeInfo (size, depth, contains-borrow): a type's size may not reach
  1,000,000 and its nesting may not pass 100, which bounds every walk over types here.
- `Subtype` is wasmparser's SubtypeCx: the checks made when instantiating and when an export
  ascribes a type, resource substitution included.

Every walk ticks the inspection Budget once per node, so a deadline stops any of them.
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

from engine.artifact.binary import Budget, MalformedWasm
from engine.artifact.cm_names import kebab_key
from engine.artifact.sections import CoreFuncType, CoreMemory
from engine.errors import EngineError, ErrorKind

MAX_TYPE_SIZE = 1_000_000
MAX_TYPE_DEPTH = 100
PRIMITIVES = {
    0x7F: "bool",
    0x7E: "s8",
    0x7D: "u8",
    0x7C: "s16",
    0x7B: "u16",
    0x7A: "s32",
    0x79: "u32",
    0x78: "s64",
    0x77: "u64",
    0x76: "f32",
    0x75: "f64",
    0x74: "char",
    0x73: "string",
    0x64: "error-context",
}

# --- Info ------------------------------------------------------------------------------------

Info = tuple[int, int, bool]  # (size, depth, contains a borrow)
INFO_NEW: Info = (1, 1, False)
INFO_BORROW: Info = (1, 1, True)


def combine(info: Info, other: Info, offset: int) -> Info:
    """`info` as an aggregate that contains `other` (wasmparser's TypeInfo::combine)."""
    size = info[0] + other[0]
    if size >= MAX_TYPE_SIZE:
        raise MalformedWasm(f"effective type size exceeds the limit of {MAX_TYPE_SIZE}", offset)
    depth = max(info[1], other[1] + 1)
    if depth > MAX_TYPE_DEPTH:
        raise MalformedWasm("type nesting is too deep", offset)
    return size, depth, info[2] or other[2]


# --- what an instantiation creates ---------------------------------------------------------


class Creates(NamedTuple):
    """What one instantiation creates: core instances, memories and tables (the things store
    limits count) and the largest initial memory (bytes) and table (elements) among them;
    `exact` is False when part of it is only known where an import is supplied."""

    instances: int = 0
    memories: int = 0
    tables: int = 0
    memory_bytes: int = 0
    table_elements: int = 0
    exact: bool = True

    def plus(self, other: Creates | None) -> Creates:
        """Both together; `other` None (not known here) makes the sum inexact."""
        if other is None:
            return self._replace(exact=False)
        return Creates(
            self.instances + other.instances,
            self.memories + other.memories,
            self.tables + other.tables,
            max(self.memory_bytes, other.memory_bytes),
            max(self.table_elements, other.table_elements),
            self.exact and other.exact,
        )


# --- the types ------------------------------------------------------------------------------

ResRef = tuple[int, int]  # (resource id, alias id)
ValType = Any  # str (primitive) | Defined


class Defined:
    """A defined value type. kind: prim, record, variant, list, tuple, flags, enum, option,
    result, own, borrow, future, stream. payload by kind:
      prim: name; record: ((label, vt), ...); variant: ((label, vt | None), ...);
      list, option: vt; tuple: (vt, ...); flags, enum: (label, ...); result: (ok, err) each
      vt | None; own, borrow: ResRef; future, stream: vt | None."""

    __slots__ = ("info", "kind", "payload", "ptr")

    def __init__(self, kind: str, payload: Any, info: Info, ptr: bool):
        self.kind, self.payload, self.info, self.ptr = kind, payload, info, ptr

    def alias(self) -> Defined:
        """The same type under a new nominal identity (wasmparser's `with_unique`)."""
        return Defined(self.kind, self.payload, self.info, self.ptr)


class FuncT:
    __slots__ = ("info", "is_async", "params", "result")

    def __init__(self, params: tuple, result: ValType | None, is_async: bool, info: Info):
        self.params, self.result, self.is_async, self.info = params, result, is_async, info


class InstT:
    """An instance type: exports (name -> entity), and the resources it defines, which only a
    declared, not yet attached, instance type has (see wasmparser's ComponentInstanceType)."""

    __slots__ = ("defined_resources", "explicit_resources", "exports", "info", "provenance")

    def __init__(self, exports: dict, defined: list, explicit: dict, info: Info):
        self.exports, self.defined_resources, self.explicit_resources, self.info = exports, defined, explicit, info
        self.provenance: dict | None = None


class CompT:
    """A component type. For a component defined in the binary: `counts` is what one
    instantiation creates, `provenance` says per export where a function comes from,
    `export_items` what each export is before a type ascription (see component_reader.py)."""

    __slots__ = (
        "counts",
        "defined_resources",
        "explicit_resources",
        "export_items",
        "exports",
        "imported_resources",
        "imports",
        "info",
        "provenance",
    )

    def __init__(self, imports: dict, exports: dict, imported: list, defined: list, explicit: dict, info: Info):
        self.imports, self.exports = imports, exports
        self.imported_resources, self.defined_resources, self.explicit_resources = imported, defined, explicit
        self.info = info
        self.counts: Creates | None = None
        self.provenance: dict | None = None
        self.export_items: dict | None = None  # a defined component's exports before ascription


class ModT:
    """A core module type: imports ((module, name) -> core entity), exports (name -> core
    entity); `counts`, what instantiating it creates, when it is a module embedded in the binary."""

    __slots__ = ("counts", "exports", "imports", "info")

    def __init__(self, imports: dict, exports: dict, info: Info, counts: Creates | None = None):
        self.imports, self.exports, self.info, self.counts = imports, exports, info, counts


class CoreInstT:
    __slots__ = ("exports", "info")

    def __init__(self, exports: dict, info: Info):
        self.exports, self.info = exports, info


# A component entity type:
#   ("module", ModT) ("func", FuncT) ("instance", InstT) ("component", CompT)
#   ("type", referenced, created) where each is a ResRef or a Defined/FuncT/InstT/CompT
Entity = tuple


def vt_info(vt: ValType) -> Info:
    return INFO_NEW if isinstance(vt, str) else vt.info


def any_info(t: Any) -> Info:
    return INFO_NEW if isinstance(t, tuple) else t.info


def entity_info(entity: Entity) -> Info:
    return any_info(entity[1])


def vt_ptr(vt: ValType) -> bool:
    return vt == "string" if isinstance(vt, str) else vt.ptr


def type_kind(t: Any) -> str:
    """What a type is: resource, type (a value type), func, instance or component."""
    if isinstance(t, tuple):
        return "resource"
    if isinstance(t, Defined):
        return "type"
    if isinstance(t, FuncT):
        return "func"
    if isinstance(t, InstT):
        return "instance"
    return "component"


def any_desc(t: Any) -> str:
    kind = type_kind(t)
    return "defined type" if kind == "type" else kind


class TypeStore:
    """Allocates resource and alias ids (unique within one inspection)."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self._resources = itertools.count(1)
        self._aliases = itertools.count(1)

    def new_resource(self) -> ResRef:
        return (next(self._resources), 0)

    def with_unique(self, t: Any) -> Any:
        """A new nominal identity for `t` when it is a resource or a defined type (what an export
        or an `eq` import creates); function, instance and component types keep theirs, as in
        wasmparser, where only those two kinds of id carry an alias."""
        if isinstance(t, tuple):
            return (t[0], next(self._aliases))
        if isinstance(t, Defined):
            return t.alias()
        return t


# --- making defined types ---------------------------------------------------------------------


def make_defined(kind: str, payload: Any, children: list[ValType], offset: int) -> Defined:
    """A Defined of `kind` over `children` (its value-type operands), with its Info and whether
    it (transitively) holds a pointer (a string or a list)."""
    if kind in ("prim", "flags", "enum", "own"):
        info = INFO_NEW
    elif kind == "borrow":
        info = INFO_BORROW
    else:
        info = INFO_NEW
        for child in children:
            info = combine(info, vt_info(child), offset)
    if kind == "list":
        ptr = True
    elif kind == "prim":
        ptr = payload == "string"
    elif kind in ("future", "stream", "flags", "enum", "own", "borrow"):
        ptr = False
    else:
        ptr = any(vt_ptr(c) for c in children)
    return Defined(kind, payload, info, ptr)


def defined_children(d: Defined) -> list[ValType]:
    kind, p = d.kind, d.payload
    if kind == "record":
        return [t for _, t in p]
    if kind == "variant":
        return [t for _, t in p if t is not None]
    if kind in ("list", "option"):
        return [p]
    if kind == "tuple":
        return list(p)
    if kind == "result":
        return [t for t in p if t is not None]
    if kind in ("future", "stream"):
        return [] if p is None else [p]
    return []


def _rebuild(d: Defined, new_children: list[ValType]) -> Defined:
    """`d` with its value-type operands replaced, in the order defined_children lists them."""
    it = iter(new_children)
    kind, p = d.kind, d.payload
    if kind == "record":
        payload: Any = tuple((n, next(it)) for n, _ in p)
    elif kind == "variant":
        payload = tuple((n, None if t is None else next(it)) for n, t in p)
    elif kind in ("list", "option"):
        payload = next(it)
    elif kind == "tuple":
        payload = tuple(it)
    elif kind == "result":
        payload = tuple(None if t is None else next(it) for t in p)
    else:  # future, stream
        payload = None if p is None else next(it)
    return Defined(kind, payload, d.info, d.ptr)


# --- substitution of resources (wasmparser's Remap) --------------------------------------------


class Remapping:
    """Resource ids to replace, and (filled while remapping) what each type became."""

    def __init__(self) -> None:
        self.resources: dict[int, int] = {}
        self.types: dict[Any, Any] = {}


class Remapper:
    """Substitutes resources in types: a type that changes is a new object (each counted)."""

    def __init__(self, store: TypeStore):
        self.store = store
        self.tick = store.budget.tick
        self.create = store.budget.create

    def _cached(self, t: Any, m: Remapping) -> tuple[Any, bool] | None:
        new = m.types.get(t)
        if new is None:
            return None
        return new, new is not t

    def resource(self, r: ResRef, m: Remapping) -> tuple[ResRef, bool]:
        new = m.types.get(r)
        if new is not None:
            return new, new != r
        res = m.resources.get(r[0])
        if res is None:
            return r, False
        return (res, r[1]), True

    def valtype(self, vt: ValType, m: Remapping) -> tuple[ValType, bool]:
        if isinstance(vt, str):
            return vt, False
        return self.defined(vt, m)

    def defined(self, d: Defined, m: Remapping) -> tuple[Defined, bool]:
        hit = self._cached(d, m)
        if hit is not None:
            return hit
        self.tick()
        if d.kind in ("own", "borrow"):
            r, changed = self.resource(d.payload, m)
            new = Defined(d.kind, r, d.info, d.ptr) if changed else d
        else:
            children = defined_children(d)
            remapped = [self.valtype(c, m) for c in children]
            changed = any(c for _, c in remapped)
            new = _rebuild(d, [t for t, _ in remapped]) if changed else d
        if changed:
            self.create()
        m.types[d] = new
        return new, changed

    def func(self, f: FuncT, m: Remapping) -> tuple[FuncT, bool]:
        hit = self._cached(f, m)
        if hit is not None:
            return hit
        self.tick()
        params = [(n, *self.valtype(t, m)) for n, t in f.params]
        result, changed = (None, False) if f.result is None else self.valtype(f.result, m)
        changed = changed or any(c for _, _, c in params)
        new = FuncT(tuple((n, t) for n, t, _ in params), result, f.is_async, f.info) if changed else f
        if changed:
            self.create()
        m.types[f] = new
        return new, changed

    def _map_paths(self, paths: dict, m: Remapping) -> tuple[dict, bool]:
        out, changed = {}, False
        for res, path in paths.items():
            new = m.resources.get(res)
            changed = changed or new is not None
            out[res if new is None else new] = path
        return out, changed

    def instance(self, i: InstT, m: Remapping) -> tuple[InstT, bool]:
        hit = self._cached(i, m)
        if hit is not None:
            return hit
        self.tick()
        exports, changed = self.entities(i.exports, m)
        defined = [m.resources.get(r, r) for r in i.defined_resources]
        changed = changed or defined != i.defined_resources
        explicit, moved = self._map_paths(i.explicit_resources, m)
        changed = changed or moved
        new = i
        if changed:
            self.create()
            new = InstT(exports, defined, explicit, i.info)
            new.provenance = i.provenance
        m.types[i] = new
        return new, changed

    def component(self, c: CompT, m: Remapping) -> tuple[CompT, bool]:
        hit = self._cached(c, m)
        if hit is not None:
            return hit
        self.tick()
        imports, ch1 = self.entities(c.imports, m)
        exports, ch2 = self.entities(c.exports, m)
        imported = [(m.resources.get(r, r), p) for r, p in c.imported_resources]
        defined = [(m.resources.get(r, r), p) for r, p in c.defined_resources]
        explicit, moved = self._map_paths(c.explicit_resources, m)
        changed = ch1 or ch2 or moved or imported != c.imported_resources or defined != c.defined_resources
        new = c
        if changed:
            self.create()
            new = CompT(imports, exports, imported, defined, explicit, c.info)
            new.counts, new.provenance = c.counts, c.provenance
        m.types[c] = new
        return new, changed

    def entities(self, items: dict, m: Remapping) -> tuple[dict, bool]:
        out, changed = {}, False
        for name, entity in items.items():
            new, c = self.entity(entity, m)
            out[name] = new
            changed = changed or c
        return out, changed

    def any(self, t: Any, m: Remapping) -> tuple[Any, bool]:
        if isinstance(t, tuple):
            return self.resource(t, m)
        if isinstance(t, Defined):
            return self.defined(t, m)
        if isinstance(t, FuncT):
            return self.func(t, m)
        if isinstance(t, InstT):
            return self.instance(t, m)
        return self.component(t, m)

    def entity(self, e: Entity, m: Remapping) -> tuple[Entity, bool]:
        kind = e[0]
        if kind == "module":
            return e, False
        if kind == "type":
            referenced, created = e[1], e[2]
            new_ref, changed = self.any(referenced, m)
            if created is referenced or created == referenced:
                new_created = new_ref
            else:
                new_created, c2 = self.any(created, m)
                changed = changed or c2
            return (("type", new_ref, new_created) if changed else e), changed
        new, changed = self.any(e[1], m)
        return ((kind, new) if changed else e), changed


# --- free variables (resources a type refers to but does not define) ---------------------------


def free_resources(e: Entity, out: set[int], tick: Any, seen: set[int] | None = None) -> None:
    """Add the resources entity `e` refers to without defining them to `out`. `seen` (ids of
    value and function types already walked into this `out`) keeps a walk over shared types
    linear."""
    seen = set() if seen is None else seen
    if e[0] == "type":
        _free_any(e[2], out, tick, seen)
    elif e[0] != "module":
        _free_any(e[1], out, tick, seen)


def _free_any(t: Any, out: set[int], tick: Any, seen: set[int]) -> None:
    if isinstance(t, tuple):
        out.add(t[0])
        return
    if isinstance(t, (Defined, FuncT)):  # their free resources do not depend on where they sit
        if id(t) in seen:
            return
        seen.add(id(t))
    tick()
    if isinstance(t, Defined):
        if t.kind in ("own", "borrow"):
            out.add(t.payload[0])
        else:
            for child in defined_children(t):
                if not isinstance(child, str):
                    _free_any(child, out, tick, seen)
    elif isinstance(t, FuncT):
        for _, vt in t.params:
            if not isinstance(vt, str):
                _free_any(vt, out, tick, seen)
        if t.result is not None and not isinstance(t.result, str):
            _free_any(t.result, out, tick, seen)
    elif isinstance(t, InstT):
        inner: set[int] = set()
        inner_seen: set[int] = set()
        for e in t.exports.values():
            free_resources(e, inner, tick, inner_seen)
        out.update(inner - set(t.defined_resources))
    elif isinstance(t, CompT):
        inner = set()
        inner_seen = set()
        for e in itertools.chain(t.imports.values(), t.exports.values()):
            free_resources(e, inner, tick, inner_seen)
        out.update(inner - {r for r, _ in t.imported_resources} - {r for r, _ in t.defined_resources})


# --- "every type an export uses is exported by name" (wasmparser's type_named_*) ---------------


def type_named_valtype(vt: ValType, named: set, tick: Any) -> bool:
    if isinstance(vt, str):
        return True
    tick()
    kind = vt.kind
    if kind == "prim":
        return True
    if kind in ("flags", "enum", "record", "variant"):
        return vt in named
    if kind in ("own", "borrow"):
        return vt.payload in named
    return all(type_named_valtype(c, named, tick) for c in defined_children(vt))


def all_valtypes_named_in_defined(d: Defined, named: set, tick: Any) -> bool:
    if d.kind in ("prim", "flags", "enum"):
        return True
    if d.kind in ("own", "borrow"):
        return d.payload in named
    return all(type_named_valtype(c, named, tick) for c in defined_children(d))


def all_valtypes_named_in_func(f: FuncT, named: set, tick: Any) -> bool:
    vts = [t for _, t in f.params] + ([] if f.result is None else [f.result])
    return all(type_named_valtype(t, named, tick) for t in vts)


def all_valtypes_named_in_instance(i: InstT, named: set, tick: Any) -> bool:
    for e in i.exports.values():
        kind = e[0]
        if kind == "func" and not all_valtypes_named_in_func(e[1], named, tick):
            return False
        if kind == "type" and not all_valtypes_named(e[2], named, tick):
            return False
        if kind == "instance" and not all_valtypes_named_in_instance(e[1], named, tick):
            return False
    return True


def all_valtypes_named(t: Any, named: set, tick: Any) -> bool:
    if isinstance(t, (tuple, CompT)):
        return True
    if isinstance(t, Defined):
        return all_valtypes_named_in_defined(t, named, tick)
    if isinstance(t, FuncT):
        return all_valtypes_named_in_func(t, named, tick)
    return all_valtypes_named_in_instance(t, named, tick)


# --- core entity subtyping ------------------------------------------------------------------


def _limits_match(a_initial: int, a_max: int | None, b_initial: int, b_max: int | None) -> bool:
    if a_initial < b_initial:
        return False
    if b_max is None:
        return True
    return a_max is not None and a_max <= b_max


def core_func_matches(a: CoreFuncType, b: CoreFuncType) -> bool:
    """Structural for plain function types; GC-era types only by identity, except that a pair
    this reader cannot compare structurally is let through (the compile at the start decides)."""
    if isinstance(a.key, tuple) and isinstance(b.key, tuple):
        return a.key == b.key
    return True


def memory_matches(a: CoreMemory, b: CoreMemory) -> str | None:
    if a.shared != b.shared:
        return "mismatch in the shared flag for memories"
    if a.memory64 != b.memory64:
        return "mismatch in index type used for memories"
    if a.page_size_log2 != b.page_size_log2:
        return "mismatch in page size for memories"
    if not _limits_match(a.initial_pages, a.max_pages, b.initial_pages, b.max_pages):
        return "mismatch in memory limits"
    return None


def core_entity_mismatch(a: tuple, b: tuple) -> str | None:
    """Why core entity `a` cannot be used where `b` is expected, or None."""
    if a[0] != b[0]:
        return f"expected {b[0]}, found {a[0]}"
    kind = a[0]
    if kind in ("func", "tag"):
        return None if core_func_matches(a[1], b[1]) else "function types do not match"
    if kind == "table":
        ta, tb = a[1], b[1]
        if ta.element != tb.element:
            return f"expected table element type {tb.element}, found {ta.element}"
        if ta.shared != tb.shared:
            return "mismatch in the shared flag for tables"
        if not _limits_match(ta.initial, ta.maximum, tb.initial, tb.maximum):
            return "mismatch in table limits"
        return None
    if kind == "memory":
        return memory_matches(a[1], b[1])
    (ta_, ma), (tb_, mb) = a[1], b[1]
    if ma != mb:
        return "global types differ in mutability"
    return None if ta_ == tb_ else f"expected global type {tb_}, found {ta_}"


# --- component subtyping (wasmparser's SubtypeCx) ---------------------------------------------


class Mismatch(EngineError):
    """A subtype check failed (the message says where)."""

    error_kind = ErrorKind.REJECTED


class Subtype:
    def __init__(self, store: TypeStore):
        self.store = store
        self.remapper = Remapper(store)
        self.tick = store.budget.tick

    def entity(self, a: Entity, b: Entity) -> None:
        if a[0] != b[0]:
            raise Mismatch(f"expected {b[0]}, found {a[0]}")
        kind = a[0]
        if kind == "module":
            self.module(a[1], b[1])
        elif kind == "func":
            self.func(a[1], b[1])
        elif kind == "type":
            self.any(a[1], b[1])
        elif kind == "instance":
            self.instance(a[1], b[1])
        else:
            self.component(a[1], b[1])

    def any(self, a: Any, b: Any) -> None:
        if isinstance(a, tuple) or isinstance(b, tuple):
            if not (isinstance(a, tuple) and isinstance(b, tuple)):
                raise Mismatch(f"expected {any_desc(b)}, found {any_desc(a)}")
            if a[0] != b[0]:
                raise Mismatch("resource types are not the same")
            return
        if type(a) is not type(b):
            raise Mismatch(f"expected {any_desc(b)}, found {any_desc(a)}")
        if isinstance(a, Defined):
            self.defined(a, b)
        elif isinstance(a, FuncT):
            self.func(a, b)
        elif isinstance(a, InstT):
            self.instance(a, b)
        else:
            self.component(a, b)

    def module(self, a: ModT, b: ModT) -> None:
        for key, expected in a.imports.items():  # imports are contravariant
            self.tick()
            given = b.imports.get(key)
            if given is None:
                raise Mismatch(f"missing expected import `{key[0]}::{key[1]}`")
            why = core_entity_mismatch(given, expected)
            if why:
                raise Mismatch(f"type mismatch in import `{key[0]}::{key[1]}`: {why}")
        for name, expected in b.exports.items():
            self.tick()
            given = a.exports.get(name)
            if given is None:
                raise Mismatch(f"missing expected export `{name}`")
            why = core_entity_mismatch(given, expected)
            if why:
                raise Mismatch(f"type mismatch in export `{name}`: {why}")

    def func(self, a: FuncT, b: FuncT) -> None:
        self.tick()
        if a.is_async != b.is_async:
            raise Mismatch("expected a function of the same asyncness")
        if len(a.params) != len(b.params):
            raise Mismatch(f"expected {len(b.params)} parameters, found {len(a.params)}")
        for (an, at), (bn, bt) in zip(a.params, b.params, strict=True):
            if kebab_key(an) != kebab_key(bn):
                raise Mismatch(f"expected parameter named `{bn}`, found `{an}`")
            self.valtype(at, bt)
        if (a.result is None) != (b.result is None):
            raise Mismatch("expected a result, found none" if a.result is None else "expected no result, found one")
        if a.result is not None:
            self.valtype(a.result, b.result)

    def instance(self, a: InstT, b: InstT) -> None:
        pairs = []
        for name, expected in b.exports.items():
            given = a.exports.get(name)
            if given is None:
                raise Mismatch(f"missing expected export `{name}`")
            pairs.append((name, given, expected))
        for name, given, expected in pairs:
            try:
                self.entity(given, expected)
            except Mismatch as exc:
                raise Mismatch(f"type mismatch in instance export `{name}`: {exc}") from None

    def component(self, a: CompT, b: CompT) -> None:
        # b's imports must satisfy a's (contravariance); a's exports, with the resources that
        # mapping gives, must then satisfy b's.
        import_mapping = self.open_instance(dict(b.imports), a, "import")
        exports = {}
        for name, e in a.exports.items():
            exports[name], _ = self.remapper.entity(e, import_mapping)
            import_mapping.types.clear()
        self.open_instance(exports, b, "export")

    def open_instance(self, given: dict, b: CompT, kind: str) -> Remapping:
        """Check `given` (name -> entity) against b's imports or exports; the resource mapping
        from b's imported (or defined) resources to the given ones (wasmparser's
        open_instance_type)."""
        entities = b.imports if kind == "import" else b.exports
        resources = b.imported_resources if kind == "import" else b.defined_resources
        names = list(entities)
        member_names: dict[int, list[str]] = {}  # per instance type, its export names in order
        mapping = Remapping()
        for resource, path in resources:
            self.tick()
            ty = entities[names[path[0]]]
            arg = given.get(names[path[0]])
            for i in path[1:]:
                inst = ty[1]
                if id(inst) not in member_names:
                    member_names[id(inst)] = list(inst.exports)
                member = member_names[id(inst)][i]
                ty = inst.exports[member]
                if arg is None or arg[0] != "instance":
                    arg = None
                    break
                arg = arg[1].exports.get(member)
            if arg is not None and arg[0] == "type" and isinstance(arg[2], tuple):
                mapping.resources[resource] = arg[2][0]
        checks = []
        for name, expected in entities.items():
            arg = given.get(name)
            if arg is None:
                raise Mismatch(f"missing {kind} named `{name}`")
            checks.append((name, arg, expected))
        renamings: dict[Any, Any] = {}
        for name, actual, declared in checks:
            expected, _ = self.remapper.entity(declared, mapping)
            mapping.types.clear()
            try:
                self.entity(actual, expected)
            except Mismatch as exc:
                raise Mismatch(f"type mismatch for {kind} `{name}`: {exc}") from None
            self._register_renamings(actual, expected, renamings)
        mapping.types = renamings
        return mapping

    def _register_renamings(self, actual: Entity, expected: Entity, out: dict) -> None:
        if expected[0] == "type" and actual[0] == "type":
            out[expected[2]] = actual[2]
        elif expected[0] == "instance" and actual[0] == "instance":
            for name, e in expected[1].exports.items():
                got = actual[1].exports.get(name)
                if got is not None:
                    self._register_renamings(got, e, out)

    def valtype(self, a: ValType, b: ValType) -> None:
        self.tick()
        if a is b:
            return
        if isinstance(a, str) or isinstance(b, str):
            pa = a if isinstance(a, str) else (a.payload if a.kind == "prim" else None)
            pb = b if isinstance(b, str) else (b.payload if b.kind == "prim" else None)
            if pa is None or pb is None:
                raise Mismatch(f"expected {pb or b.kind}, found {pa or a.kind}")
            if pa != pb:
                raise Mismatch(f"expected primitive `{pb}` found primitive `{pa}`")
            return
        self.defined(a, b)

    def defined(self, a: Defined, b: Defined) -> None:
        self.tick()
        if a is b:
            return
        if a.kind != b.kind:
            raise Mismatch(f"expected {b.kind}, found {a.kind}")
        kind, pa, pb = a.kind, a.payload, b.payload
        if kind == "prim":
            if pa != pb:
                raise Mismatch(f"expected primitive `{pb}` found primitive `{pa}`")
        elif kind in ("record", "variant"):
            if len(pa) != len(pb):
                raise Mismatch(f"expected {len(pb)} {'fields' if kind == 'record' else 'cases'}, found {len(pa)}")
            for (an, at), (bn, bt) in zip(pa, pb, strict=True):
                if kebab_key(an) != kebab_key(bn):
                    raise Mismatch(f"expected {kind} label `{bn}`, found `{an}`")
                self._optional(at, bt)
        elif kind in ("flags", "enum"):
            if len(pa) != len(pb) or any(kebab_key(x) != kebab_key(y) for x, y in zip(pa, pb, strict=True)):
                raise Mismatch(f"mismatch in {kind} elements")
        elif kind in ("own", "borrow"):
            if pa[0] != pb[0]:
                raise Mismatch("resource types are not the same")
        elif kind == "tuple":
            if len(pa) != len(pb):
                raise Mismatch(f"expected {len(pb)} types, found {len(pa)}")
            for x, y in zip(pa, pb, strict=True):
                self.valtype(x, y)
        elif kind == "result":
            self._optional(pa[0], pb[0])
            self._optional(pa[1], pb[1])
        elif kind in ("list", "option"):
            self.valtype(pa, pb)
        else:  # future, stream
            self._optional(pa, pb)

    def _optional(self, a: ValType | None, b: ValType | None) -> None:
        if (a is None) != (b is None):
            raise Mismatch("expected a type, found none" if a is None else "expected no type")
        if a is not None:
            self.valtype(a, b)


# --- the canonical ABI's flat signatures (wasmparser's ComponentFuncType::lower) ---------------

MAX_FLAT_PARAMS = 16
MAX_FLAT_ASYNC_PARAMS = 4
MAX_FLAT_RESULTS = 1
MAX_LOWERED = MAX_FLAT_PARAMS + 1
_FLAT_PRIMITIVES = {
    "s64": "i64",
    "u64": "i64",
    "f32": "f32",
    "f64": "f64",
}


def _join(a: str, b: str) -> str:
    if a == b:
        return a
    if {a, b} == {"i32", "f32"}:
        return "i32"
    return "i64"


def flatten(vt: ValType, ptr: str, out: list[str], limit: int) -> bool:
    """Append vt's flat core types to `out`; False once more than `limit` would be needed."""
    if isinstance(vt, str) or vt.kind == "prim":
        name = vt if isinstance(vt, str) else vt.payload
        if name == "string":
            return _push(out, ptr, limit) and _push(out, ptr, limit)
        return _push(out, _FLAT_PRIMITIVES.get(name, "i32"), limit)
    kind, p = vt.kind, vt.payload
    if kind == "record":
        return all(flatten(t, ptr, out, limit) for _, t in p)
    if kind == "tuple":
        return all(flatten(t, ptr, out, limit) for t in p)
    if kind == "list":
        return _push(out, ptr, limit) and _push(out, ptr, limit)
    if kind == "flags":
        return all(_push(out, "i32", limit) for _ in range((len(p) + 31) // 32))
    if kind in ("enum", "own", "borrow", "future", "stream"):
        return _push(out, "i32", limit)
    if kind == "variant":
        cases = [t for _, t in p if t is not None]
    elif kind == "option":
        cases = [p]
    else:  # result
        cases = [t for t in p if t is not None]
    if not _push(out, "i32", limit):
        return False
    start = len(out)
    for case in cases:
        flat: list[str] = []
        if not flatten(case, ptr, flat, limit):
            return False
        for i, t in enumerate(flat):
            if start + i < len(out):
                out[start + i] = _join(out[start + i], t)
            elif not _push(out, t, limit):
                return False
    return True


def _push(out: list[str], t: str, limit: int) -> bool:
    if len(out) >= limit:
        return False
    out.append(t)
    return True


# --- rendering (the canonical signature text of the team brief) --------------------------------


class Renderer:
    """Renders types as canonical signature text: "func(a: u32) -> string",
    "record{a: u32, b: list<string>}". Resources are nominal: `own<R>` names R as the resource is
    imported or exported (first such name wins), else "resource".

    A type may be referenced many times, so text is memoized per type, and the length of each
    signature is computed (memoized too) before any text is built: all signatures together may
    not pass MAX_TEXT bytes.
    """

    MAX_TEXT = 1024 * 1024

    def __init__(self, resource_names: dict[int, str], budget: Budget):
        self.names = resource_names
        self.texts: dict[Defined, str] = {}
        self.lengths: dict[Defined, int] = {}
        self.total = 0
        self.tick = budget.tick

    # lengths, computed before text exists

    def _vt_len(self, vt: ValType) -> int:
        if isinstance(vt, str):
            return len(vt)
        found = self.lengths.get(vt)
        if found is None:
            self.tick()
            found = self._defined_len(vt)
            self.lengths[vt] = found
        return found

    def _opt_len(self, vt: ValType | None) -> int:
        return 0 if vt is None else self._vt_len(vt)

    def _defined_len(self, d: Defined) -> int:
        kind, p = d.kind, d.payload
        if kind == "prim":
            return len(p)
        if kind in ("list", "option"):
            return len(kind) + 2 + self._vt_len(p)
        if kind == "result":
            return 12 + self._opt_len(p[0]) + self._opt_len(p[1])
        if kind == "tuple":
            return 7 + sum(self._vt_len(t) + 2 for t in p)
        if kind in ("record", "variant"):
            return len(kind) + 2 + sum(len(n) + 4 + self._opt_len(t) for n, t in p)
        if kind in ("enum", "flags"):
            return len(kind) + 2 + sum(len(n) + 2 for n in p)
        if kind in ("own", "borrow"):
            return len(kind) + 2 + len(self.names.get(p[0], "resource"))
        return len(kind) + 2 + self._opt_len(p)  # future, stream

    def _reserve(self, length: int) -> None:
        self.total += length
        self.tick(1 + length // 256)
        if self.total > self.MAX_TEXT:
            raise MalformedWasm(f"the component's types render to more than {self.MAX_TEXT} bytes of text", 0)

    # text

    def valtype(self, vt: ValType) -> str:
        self._reserve(self._vt_len(vt))
        return self._text(vt)

    def func(self, f: FuncT) -> str:
        params = [(n, t) for n, t in f.params]
        length = 10 + sum(len(n) + 4 + self._vt_len(t) for n, t in params) + self._opt_len(f.result)
        self._reserve(length)
        text = "func(" + ", ".join(f"{n}: {self._text(t)}" for n, t in params) + ")"
        return text if f.result is None else f"{text} -> {self._text(f.result)}"

    def _text(self, vt: ValType) -> str:
        if isinstance(vt, str):
            return vt
        found = self.texts.get(vt)
        if found is None:
            found = self._defined(vt)
            self.texts[vt] = found
        return found

    def _defined(self, d: Defined) -> str:
        kind, p = d.kind, d.payload
        t = self._text
        if kind == "prim":
            return p
        if kind in ("list", "option"):
            return f"{kind}<{t(p)}>"
        if kind == "result":
            ok, err = p
            if ok is None and err is None:
                return "result"
            if err is None:
                return f"result<{t(ok)}>"
            return f"result<{'_' if ok is None else t(ok)}, {t(err)}>"
        if kind == "tuple":
            return "tuple<" + ", ".join(t(x) for x in p) + ">"
        if kind == "record":
            return "record{" + ", ".join(f"{n}: {t(x)}" for n, x in p) + "}"
        if kind == "variant":
            return "variant{" + ", ".join(n if x is None else f"{n}({t(x)})" for n, x in p) + "}"
        if kind in ("enum", "flags"):
            return kind + "{" + ", ".join(p) + "}"
        if kind in ("own", "borrow"):
            return f"{kind}<{self.names.get(p[0], 'resource')}>"
        return kind if p is None else f"{kind}<{t(p)}>"  # future, stream
