"""Read a component's binary in pure Python and work out its type, as wasmtime would.

A port of wasmparser's component validator (validator/component.rs; component-model
design/mvp/Binary.md for the encoding) plus the few root-level refusals wasmtime 50 adds when it
translates a component, with the feature set wasmtime 50 enables by default (async yes;
error-context, values, maps, fixed-length lists, threads, 64-bit and GC options no). It checks
what decides a component's imports and exports and whether they fit together: every index,
every type, canonical lift/lower signatures and options, instantiation arguments, resources,
extern names. It does not validate core function bodies (the compile at the planned start
does; docs/artifacts.md).

Nested components are walked with an explicit stack, so nesting depth costs no Python
recursion; type declarations nest at most MAX_TYPE_NESTING deep, and value types at most 100
(cm_types.Info). Every decoded item and visited type node ticks the inspection Budget.
Any error raises MalformedWasm with the offset it was found at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.artifact.binary import Budget, MalformedWasm, Reader
from engine.artifact.cm_names import BadName, ComponentName, kebab_key, parse_name
from engine.artifact.cm_types import (
    INFO_NEW,
    MAX_FLAT_ASYNC_PARAMS,
    MAX_FLAT_PARAMS,
    MAX_FLAT_RESULTS,
    MAX_LOWERED,
    MAX_TYPE_SIZE,
    PRIMITIVES,
    CompT,
    CoreInstT,
    Creates,
    Defined,
    FuncT,
    Info,
    InstT,
    Mismatch,
    ModT,
    Remapper,
    Remapping,
    Subtype,
    TypeStore,
    all_valtypes_named,
    all_valtypes_named_in_func,
    combine,
    core_entity_mismatch,
    entity_info,
    flatten,
    free_resources,
    make_defined,
    vt_info,
    vt_ptr,
)
from engine.artifact.model import CoreMemory, ModuleShape
from engine.artifact.sections import (
    MAGIC,
    CoreFuncType,
    CoreModuleInfo,
    core_func_type,
    import_entity,
    parse_core_module,
    read_rec_group,
    sections,
    value_type,
)

NOTHING_CREATED = Creates()
COMPONENT_VERSION = 0x0D
MAX_TYPE_NESTING = 32  # component and instance type declarations inside each other
MAX_INSTANCES = 1000  # wasmparser's per-component limits
MAX_MODULES = 1000
MAX_COMPONENTS = 1000
MAX_CANON_OPTIONS = 10

LIFTED = "L"  # provenance of a function defined here (lifted), as opposed to ("I", import, path)

I32 = "i32"


def _fail(reason: str, offset: int) -> MalformedWasm:
    return MalformedWasm(reason, offset)


# --- extern names and the resources named in a scope ------------------------------------------


class NameContext:
    """The resources a scope imports (or exports) at top level, by name, for checking
    `[constructor]r`, `[method]r.f` and `[static]r.f` names (wasmparser's ComponentNameContext)."""

    def __init__(self) -> None:
        self.by_resource: dict[tuple[int, int], str] = {}
        self.names: set[str] = set()

    def register(self, name: str, resource: tuple[int, int]) -> None:
        self.by_resource[resource] = name
        self.names.add(name)

    def check(self, name: ComponentName, entity: tuple, offset: int) -> None:
        kind = name.kind
        if kind == "interface":
            name.interface_version()
            return
        if kind not in ("constructor", "method", "static"):
            return
        if entity[0] != "func":
            raise BadName("item is not a func")
        func: FuncT = entity[1]
        if kind == "static":
            if name.resource not in self.names:
                raise BadName("static resource name is not known in this context")
            return
        if kind == "constructor":
            if func.is_async:
                raise BadName("constructor function cannot be async")
            if func.result is None:
                raise BadName("function should return one value")
            found = _owned_resource(func.result)
            if found is None:
                raise BadName("function should return `(own $T)` or `(result (own $T))`")
        else:
            if not func.params:
                raise BadName("function should have at least one argument")
            pname, ptype = func.params[0]
            if pname != "self":
                raise BadName("function should have a first argument called `self`")
            if isinstance(ptype, str) or ptype.kind != "borrow":
                raise BadName("function should take a first argument of `(borrow $T)`")
            found = ptype.payload
        expected = self.by_resource.get(found)
        if expected is None:
            raise BadName("resource used in function does not have a name in this context")
        if name.resource != expected:
            raise BadName(f"function does not match expected resource name `{expected}`")


def _owned_resource(vt: Any) -> tuple[int, int] | None:
    if isinstance(vt, str):
        return None
    if vt.kind == "own":
        return vt.payload
    if vt.kind == "result" and vt.payload[0] is not None and not isinstance(vt.payload[0], str):
        ok = vt.payload[0]
        return ok.payload if ok.kind == "own" else None
    return None


# --- one scope: a component, a component type or an instance type ----------------------------


@dataclass
class Scope:
    """wasmparser's ComponentState: the index spaces and what is imported/exported so far."""

    kind: str  # "component" | "component-type" | "instance-type"
    core_types: list = field(default_factory=list)
    core_funcs: list = field(default_factory=list)
    core_tags: list = field(default_factory=list)
    core_modules: list = field(default_factory=list)
    core_instances: list = field(default_factory=list)
    core_memories: list = field(default_factory=list)
    core_tables: list = field(default_factory=list)
    core_globals: list = field(default_factory=list)
    types: list = field(default_factory=list)
    funcs: list = field(default_factory=list)
    instances: list = field(default_factory=list)
    components: list = field(default_factory=list)
    imports: dict = field(default_factory=dict)
    import_keys: set = field(default_factory=set)
    exports: dict = field(default_factory=dict)
    export_keys: set = field(default_factory=set)
    info: Info = INFO_NEW
    imported_resources: dict = field(default_factory=dict)  # resource -> path
    defined_resources: dict = field(default_factory=dict)  # resource -> rep ("i32") or None
    explicit_resources: dict = field(default_factory=dict)  # resource -> path
    imported_types: set = field(default_factory=set)
    exported_types: set = field(default_factory=set)
    imported_names: NameContext = field(default_factory=NameContext)
    exported_names: NameContext = field(default_factory=NameContext)
    context_type: str | None = None
    func_prov: list = field(default_factory=list)
    instance_prov: list = field(default_factory=list)
    export_prov: dict = field(default_factory=dict)
    # What each export is before a type ascription narrows it: wasmtime reports a component's
    # exports from the exported items themselves (its inliner), not from the ascribed types.
    export_items: dict = field(default_factory=dict)
    creates: Creates = NOTHING_CREATED

    def at(self, space: str, index: int, what: str, offset: int) -> Any:
        items = getattr(self, space)
        if index >= len(items):
            raise _fail(f"unknown {what} {index}: {what} index out of bounds", offset)
        return items[index]

    def instance_count(self) -> int:
        return len(self.core_instances) + len(self.instances)


@dataclass
class ComponentRead:
    """The root component's type, its core modules and what instantiating it creates."""

    type: CompT
    modules: list[ModuleShape]
    creates: Creates


# --- the reader -------------------------------------------------------------------------------


class _Frame:
    __slots__ = ("scope", "sections")

    def __init__(self, sections_: Iterator[tuple[int, Reader]], scope: Scope):
        self.sections, self.scope = sections_, scope


class ComponentReader:
    def __init__(self, data: bytes, budget: Budget):
        self.data = data
        self.budget = budget
        self.tick = budget.tick
        self.store = TypeStore(budget)
        self.remapper = Remapper(self.store)
        self.subtype = Subtype(self.store)
        self.scopes: list[Scope] = []  # components and type scopes, innermost last (outer aliases)
        self.modules: list[ModuleShape] = []
        self.type_nesting = 0
        self.converted: set[int] = set()  # ids of types _check_convertible has passed

    # -- driver

    def read(self) -> ComponentRead:
        data = self.data
        _check_component_preamble(data, 0)
        root = Scope("component")
        stack = [_Frame(sections(data, 8, len(data), None), root)]
        self.scopes.append(root)
        result: CompT | None = None
        end_offset = len(data)
        while stack:
            frame = stack[-1]
            item = next(frame.sections, None)
            if item is None:
                stack.pop()
                self.scopes.pop()
                finished = self.finish(frame.scope, end_offset)
                if stack:
                    parent = stack[-1].scope
                    self._check_max(len(parent.components), MAX_COMPONENTS, "components", end_offset)
                    parent.components.append(finished)
                else:
                    result = finished
                continue
            sid, r = item
            self.tick()
            if sid == 4:  # a nested component: walked by this loop, not by recursion
                _check_component_preamble(self.data, r.pos)
                scope = Scope("component")
                stack.append(_Frame(sections(data, r.pos + 8, r.end, None), scope))
                self.scopes.append(scope)
                continue
            self.section(frame.scope, sid, r)
        assert result is not None
        self.check_root(result)
        return ComponentRead(result, self.modules, root.creates)

    def section(self, scope: Scope, sid: int, r: Reader) -> None:
        if sid == 0:
            return
        if sid == 1:
            self.core_module(scope, r)
            return
        handlers = {
            2: self.core_instance,
            3: self.core_type,
            5: self.instance,
            6: self.alias,
            7: self.type_item,
            8: self.canon,
            10: self.import_,
            11: self.export,
        }
        handler = handlers.get(sid)
        if handler is None:
            if sid in (9, 12):
                raise r.fail("support for component model `value`s is not enabled")
            raise _fail(f"malformed section id: {sid}", r.pos)
        for _ in range(r.count()):
            self.tick()
            handler(scope, r)
        r.expect_end(f"section {sid}")

    def _check_max(self, current: int, limit: int, what: str, offset: int) -> None:
        if current >= limit:
            raise _fail(f"{what} count exceeds limit of {limit}", offset)

    # -- core modules, instances and types

    def core_module(self, scope: Scope, r: Reader) -> None:
        self._check_max(len(scope.core_modules), MAX_MODULES, "modules", r.pos)
        info = parse_core_module(self.data, r.pos, r.end, self.budget)
        self.modules.append(ModuleShape(tuple(info.memories), tuple(info.tables)))
        scope.core_modules.append(_module_type(info, r.pos))

    def core_instance(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        self._check_max(scope.instance_count(), MAX_INSTANCES, "instances", offset)
        form = r.byte()
        if form == 0x00:
            module: ModT = scope.at("core_modules", r.unsigned(), "module", offset)
            args: dict[str, CoreInstT] = {}
            for _ in range(r.count()):
                self.tick()
                name = r.name()
                if r.byte() != 0x12:
                    raise _fail("invalid instantiation arg kind", r.pos - 1)
                instance = scope.at("core_instances", r.unsigned(), "core instance", offset)
                if name in args:
                    raise _fail(f"duplicate module instantiation argument named `{name}`", offset)
                args[name] = instance
            for (mod, name), expected in module.imports.items():
                self.tick()
                arg = args.get(mod)
                if arg is None:
                    raise _fail(f"missing module instantiation argument named `{mod}`", offset)
                given = arg.exports.get(name)
                if given is None:
                    raise _fail(f"module instantiation argument `{mod}` does not export an item named `{name}`", offset)
                why = core_entity_mismatch(given, expected)
                if why:
                    raise _fail(
                        f"type mismatch for export `{name}` of module instantiation argument `{mod}`: {why}", offset
                    )
            info = INFO_NEW
            for entity in module.exports.values():
                info = combine(info, _core_entity_info(entity), offset)
            scope.core_instances.append(CoreInstT(module.exports, info))
            scope.creates = scope.creates.plus(module.counts or Creates(instances=1, exact=False))
        elif form == 0x01:
            exports: dict[str, tuple] = {}
            info = INFO_NEW
            for _ in range(r.count()):
                self.tick()
                name = r.name()
                sort = r.byte()
                index = r.unsigned()
                entity = self._core_sort_item(scope, sort, index, offset)
                info = combine(info, _core_entity_info(entity), offset)
                if name in exports:
                    raise _fail(f"duplicate instantiation export name `{name}` already defined", offset)
                exports[name] = entity
            scope.core_instances.append(CoreInstT(exports, info))
        else:
            raise _fail(f"invalid leading byte ({form:#x}) for core instance", offset)

    def _core_sort_item(self, scope: Scope, sort: int, index: int, offset: int) -> tuple:
        if sort == 0x00:
            return ("func", scope.at("core_funcs", index, "core function", offset))
        if sort == 0x01:
            return ("table", scope.at("core_tables", index, "table", offset))
        if sort == 0x02:
            return ("memory", scope.at("core_memories", index, "memory", offset))
        if sort == 0x03:
            return ("global", scope.at("core_globals", index, "global", offset))
        if sort == 0x04:
            return ("tag", scope.at("core_tags", index, "tag", offset))
        raise _fail(f"invalid leading byte ({sort:#x}) for external kind", offset)

    def core_type(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        head = r.peek()
        if head == 0x50:
            r.byte()
            self.budget.create()
            scope.core_types.append(self._module_type_decl(r, offset))
            return
        if head == 0x00:
            r.byte()
            if r.peek() != 0x50:
                raise _fail("invalid leading byte for non-final sub type", r.pos)
        group = read_rec_group(r)
        self.budget.create(len(group))
        scope.core_types.extend(group)

    def _module_type_decl(self, r: Reader, offset: int) -> ModT:
        types: list = []
        holder = CoreModuleInfo()
        imports: dict[tuple[str, str], tuple] = {}
        exports: dict[str, tuple] = {}
        size = 1
        for _ in range(r.count()):
            self.tick()
            tag = r.byte()
            if tag == 0x00:
                module, name = r.name(), r.name()
                entity = import_entity(r, types, holder)
                if (module, name) in imports:
                    raise _fail(
                        f"module has a duplicate import name `{module}:{name}` that is not allowed in components",
                        offset,
                    )
                imports[(module, name)] = entity
                size = _add_size(size, entity, offset)
            elif tag == 0x01:
                group = read_rec_group(r)
                self.budget.create(len(group))
                types.extend(group)
            elif tag == 0x02:
                if r.byte() != 0x10:
                    raise _fail("invalid outer alias kind", r.pos - 1)
                if r.byte() != 0x01:
                    raise _fail("invalid outer alias target", r.pos - 1)
                count, index = r.unsigned(), r.unsigned()
                if count == 0:
                    if index >= len(types):
                        raise _fail(f"unknown type {index}: type index out of bounds", offset)
                    types.append(types[index])
                else:
                    outer = self._outer(count - 1, offset)
                    found = outer.at("core_types", index, "type", offset)
                    if isinstance(found, ModT):
                        raise _fail(
                            "not implemented: aliasing core module types into a core module's types index space",
                            offset,
                        )
                    types.append(found)
            elif tag == 0x03:
                name = r.name()
                entity = import_entity(r, types, holder)
                if name in exports:
                    raise _fail(f"duplicate export name `{name}` already defined", offset)
                exports[name] = entity
                size = _add_size(size, entity, offset)
            else:
                raise _fail(f"invalid leading byte ({tag:#x}) for type definition", r.pos - 1)
        return ModT(imports, exports, (size, 1, False), None)

    # -- component types

    def type_item(self, scope: Scope, r: Reader) -> None:
        self.add_type(scope, r)

    def add_type(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        self.budget.create()
        head = r.byte()
        if head == 0x3F:
            scope.types.append(self._resource(scope, r, offset))
        elif head in (0x40, 0x43):
            scope.types.append(self._func_type(scope, r, head == 0x43, offset))
        elif head == 0x41:
            scope.types.append(self._nested_type(r, "component-type", offset))
        elif head == 0x42:
            scope.types.append(self._nested_type(r, "instance-type", offset))
        else:
            scope.types.append(self._defined_type(scope, r, head, offset))

    def _resource(self, scope: Scope, r: Reader, offset: int) -> tuple[int, int]:
        rep = value_type(r)
        flag = r.byte()
        if flag not in (0, 1):
            raise _fail("invalid leading byte for resource destructor", r.pos - 1)
        dtor = r.unsigned() if flag else None
        if scope.kind != "component":
            raise _fail("resources can only be defined within a concrete component", offset)
        if rep == "i64":
            raise _fail("resources with `i64` require the `cm64` feature to be enabled", offset)
        if rep != I32:
            raise _fail("resources can only be represented by `i32` or `i64`", offset)
        if dtor is not None:
            func = scope.at("core_funcs", dtor, "core function", offset)
            if func.params != (rep,) or func.results != ():
                raise _fail(f"core function {dtor} has wrong signature for a destructor", offset)
        resource = self.store.new_resource()
        scope.defined_resources[resource[0]] = rep
        return resource

    def _valtype(self, scope: Scope, r: Reader, offset: int) -> Any:
        code = r.peek()
        if code in PRIMITIVES:
            r.byte()
            return self._primitive(code, offset)
        index = r.signed33()
        if index < 0:
            raise _fail(f"unknown type {index & 0xFFFFFFFF}: type index out of bounds", offset)
        found = scope.at("types", index, "type", offset)
        if not isinstance(found, Defined):
            raise _fail(f"type index {index} is not a defined type", offset)
        return found.payload if found.kind == "prim" else found

    def _primitive(self, code: int, offset: int) -> str:
        name = PRIMITIVES[code]
        if name == "error-context":
            raise _fail("`error-context` requires the component model error-context feature", offset)
        return name

    def _optional_valtype(self, scope: Scope, r: Reader, offset: int) -> Any:
        flag = r.byte()
        if flag == 0:
            return None
        if flag != 1:
            raise _fail("invalid leading byte for optional component value type", r.pos - 1)
        return self._valtype(scope, r, offset)

    def _label(self, r: Reader, what: str, offset: int) -> str:
        name = r.name()
        if not _is_kebab(name):
            if not name:
                raise _fail(f"{what} name cannot be empty", offset)
            raise _fail(f"{what} name `{name}` is not in kebab case", offset)
        return name

    def _unique_labels(self, labels: list[str], what: str, offset: int) -> None:
        seen: dict[str, str] = {}
        for label in labels:
            key = kebab_key(label)
            if key in seen:
                raise _fail(f"{what} name `{label}` conflicts with previous {what} name `{seen[key]}`", offset)
            seen[key] = label

    def _defined_type(self, scope: Scope, r: Reader, head: int, offset: int) -> Defined:
        if head in PRIMITIVES:
            return make_defined("prim", self._primitive(head, offset), [], offset)
        if head == 0x72:
            fields = []
            for _ in range(r.count()):
                self.tick()
                fields.append((self._label(r, "record field", offset), self._valtype(scope, r, offset)))
            if not fields:
                raise _fail("record type must have at least one field", offset)
            self._unique_labels([n for n, _ in fields], "record field", offset)
            return make_defined("record", tuple(fields), [t for _, t in fields], offset)
        if head == 0x71:
            cases = []
            for _ in range(r.count()):
                self.tick()
                label = self._label(r, "variant case", offset)
                vt = self._optional_valtype(scope, r, offset)
                if r.byte() != 0:
                    raise _fail("invalid leading byte: zero byte required", r.pos - 1)
                cases.append((label, vt))
            if not cases:
                raise _fail("variant type must have at least one case", offset)
            self._unique_labels([n for n, _ in cases], "variant case", offset)
            return make_defined("variant", tuple(cases), [t for _, t in cases if t is not None], offset)
        if head in (0x70, 0x6B):
            vt = self._valtype(scope, r, offset)
            return make_defined("list" if head == 0x70 else "option", vt, [vt], offset)
        if head == 0x6F:
            items = [self._valtype(scope, r, offset) for _ in range(r.count())]
            if not items:
                raise _fail("tuple type must have at least one type", offset)
            return make_defined("tuple", tuple(items), items, offset)
        if head in (0x6E, 0x6D):
            kind = "flags" if head == 0x6E else "enum"
            labels = [self._label(r, "flag" if kind == "flags" else "enum tag", offset) for _ in range(r.count())]
            if not labels:
                raise _fail(f"{kind} type must have at least one entry", offset)
            if kind == "flags" and len(labels) > 32:
                raise _fail("cannot have more than 32 flags", offset)
            self._unique_labels(labels, "flag" if kind == "flags" else "enum tag", offset)
            return make_defined(kind, tuple(labels), [], offset)
        if head == 0x6A:
            ok = self._optional_valtype(scope, r, offset)
            err = self._optional_valtype(scope, r, offset)
            return make_defined("result", (ok, err), [t for t in (ok, err) if t is not None], offset)
        if head in (0x69, 0x68):
            resource = self._resource_at(scope, r.unsigned(), offset)
            return make_defined("own" if head == 0x69 else "borrow", resource, [], offset)
        if head in (0x66, 0x65):
            vt = self._optional_valtype(scope, r, offset)
            kind = "stream" if head == 0x66 else "future"
            if kind == "stream" and vt == "char":
                raise _fail("`stream<char>` is not valid at this time, use `stream<u8>`", offset)
            return make_defined(kind, vt, [] if vt is None else [vt], offset)
        if head == 0x63:
            raise _fail("Maps require the component model map feature", offset)
        if head == 0x67:
            raise _fail("Fixed-length lists require the component model fixed-length lists feature", offset)
        raise _fail(f"invalid leading byte ({head:#x}) for component defined type", offset)

    def _resource_at(self, scope: Scope, index: int, offset: int) -> tuple[int, int]:
        found = scope.at("types", index, "type", offset)
        if not isinstance(found, tuple):
            raise _fail(f"type index {index} is not a resource type", offset)
        return found

    def _func_type(self, scope: Scope, r: Reader, is_async: bool, offset: int) -> FuncT:
        params = []
        for _ in range(r.count()):
            self.tick()
            params.append((self._label(r, "function parameter", offset), self._valtype(scope, r, offset)))
        result = self._result_list(scope, r, offset)
        self._unique_labels([n for n, _ in params], "function parameter", offset)
        info = INFO_NEW
        for _, vt in params:
            info = combine(info, vt_info(vt), offset)
        if result is not None:
            if vt_info(result)[2]:
                raise _fail("function result cannot contain a `borrow` type", offset)
            info = combine(info, vt_info(result), offset)
        return FuncT(tuple(params), result, is_async, info)

    def _result_list(self, scope: Scope, r: Reader, offset: int) -> Any:
        tag = r.byte()
        if tag == 0x00:
            return self._valtype(scope, r, offset)
        if tag == 0x01 and r.byte() == 0x00:
            return None
        raise _fail("invalid leading byte for component function results", r.pos - 1)

    def _nested_type(self, r: Reader, kind: str, offset: int) -> Any:
        if self.type_nesting >= MAX_TYPE_NESTING:
            raise _fail(f"type declarations nest more than {MAX_TYPE_NESTING} deep", offset)
        self.type_nesting += 1
        scope = Scope(kind)
        self.scopes.append(scope)
        try:
            for _ in range(r.count()):
                self.tick()
                tag = r.byte()
                if tag == 0x03 and kind == "component-type":
                    self.import_(scope, r)
                elif tag == 0x00:
                    self.core_type(scope, r)
                elif tag == 0x01:
                    self.add_type(scope, r)
                elif tag == 0x02:
                    self.alias(scope, r)
                elif tag == 0x04:
                    name_offset = r.pos
                    name = self._extern_name(r)
                    entity = self.type_ref(scope, r, name_offset)
                    self.add_export(scope, name, entity, name_offset)
                else:
                    raise _fail(f"invalid leading byte ({tag:#x}) for a type declaration", r.pos - 1)
        finally:
            self.scopes.pop()
            self.type_nesting -= 1
        if kind == "component-type":
            return self.finish(scope, offset)
        return InstT(scope.exports, list(scope.defined_resources), scope.explicit_resources, scope.info)

    # -- extern types, imports, exports

    def _extern_name(self, r: Reader) -> str:
        tag = r.byte()
        if tag == 0x02:
            raise _fail("the `cm-implements` feature is not active", r.pos - 1)
        if tag not in (0x00, 0x01):
            raise _fail(f"invalid leading byte ({tag:#x}) for component name", r.pos - 1)
        return r.name()

    def _sort(self, r: Reader) -> str:
        offset = r.pos
        first = r.byte()
        if first == 0x00:
            if r.byte() != 0x11:
                raise _fail("invalid leading byte for component external kind", offset)
            return "module"
        sort = {0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}.get(first)
        if sort is None:
            raise _fail(f"invalid leading byte ({first:#x}) for component external kind", offset)
        return sort

    def type_ref(self, scope: Scope, r: Reader, offset: int) -> tuple:
        sort = self._sort(r)
        if sort == "module":
            found = scope.at("core_types", r.unsigned(), "type", offset)
            if not isinstance(found, ModT):
                raise _fail("core type index is not a module type", offset)
            return ("module", found)
        if sort == "value":
            raise _fail("support for component model `value`s is not enabled", offset)
        if sort == "type":
            bound = r.byte()
            if bound == 0x00:
                referenced = scope.at("types", r.unsigned(), "type", offset)
                return ("type", referenced, self.store.with_unique(referenced))
            if bound == 0x01:
                resource = self.store.new_resource()
                return ("type", resource, resource)
            raise _fail("invalid leading byte for type bound", r.pos - 1)
        index = r.unsigned()
        found = scope.at("types", index, "type", offset)
        expected = {"func": FuncT, "component": CompT, "instance": InstT}[sort]
        if not isinstance(found, expected):
            raise _fail(f"type index {index} is not a {'function' if sort == 'func' else sort} type", offset)
        return (sort, found)

    def import_(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        name = self._extern_name(r)
        entity = self.type_ref(scope, r, offset)
        entity = self.add_entity(scope, entity, name, "import", offset)
        self._record_extern(scope, name, entity, "import", offset)
        if scope.kind == "component":
            prov = ("I", name, ())
            if entity[0] == "func":
                scope.func_prov.append(prov)
            elif entity[0] == "instance":
                scope.instance_prov.append(prov)

    def export(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        name = self._extern_name(r)
        sort = self._sort(r)
        index = r.unsigned()
        ascribed_flag = r.byte()
        if ascribed_flag not in (0, 1):
            raise _fail("invalid leading byte for optional component export type", r.pos - 1)
        if sort == "module":
            actual: tuple = ("module", scope.at("core_modules", index, "module", offset))
        elif sort == "func":
            actual = ("func", scope.at("funcs", index, "function", offset))
        elif sort == "value":
            raise _fail("support for component model `value`s is not enabled", offset)
        elif sort == "type":
            referenced = scope.at("types", index, "type", offset)
            actual = ("type", referenced, self.store.with_unique(referenced))
        elif sort == "instance":
            actual = ("instance", scope.at("instances", index, "instance", offset))
        else:
            actual = ("component", scope.at("components", index, "component", offset))
        entity = actual
        if ascribed_flag:
            entity = self.type_ref(scope, r, offset)
            try:
                self.subtype.entity(actual, entity)
            except Mismatch as exc:
                raise _fail(f"ascribed type of export is not compatible with item's type: {exc}", offset) from None
        prov: Any = LIFTED
        if sort == "func":
            prov = scope.func_prov[index]
        elif sort == "instance":
            prov = scope.instance_prov[index]
        self.add_export(scope, name, entity, offset, prov)
        scope.export_items[name] = actual

    def add_export(self, scope: Scope, name: str, entity: tuple, offset: int, prov: Any = LIFTED) -> None:
        entity = self.add_entity(scope, entity, name, "export", offset)
        self._record_extern(scope, name, entity, "export", offset)
        if scope.kind == "component":
            scope.export_prov[name] = prov
            if entity[0] == "func":
                scope.func_prov.append(prov)
            elif entity[0] == "instance":
                scope.instance_prov.append(prov)

    def add_entity(self, scope: Scope, entity: tuple, name: str | None, kind: str | None, offset: int) -> tuple:
        """Put the item in its index space (wasmparser's add_entity); the entity, with an imported
        or exported instance's resources made fresh where that is due."""
        sort = entity[0]
        if sort == "module":
            self._check_max(len(scope.core_modules), MAX_MODULES, "modules", offset)
            scope.core_modules.append(entity[1])
        elif sort == "component":
            self._check_max(len(scope.components), MAX_COMPONENTS, "components", offset)
            scope.components.append(entity[1])
        elif sort == "instance":
            self._check_max(scope.instance_count(), MAX_INSTANCES, "instances", offset)
            if kind == "import":
                entity = ("instance", self._prepare_instance_import(scope, entity[1]))
            elif kind == "export":
                entity = ("instance", self._prepare_instance_export(scope, entity[1]))
            scope.instances.append(entity[1])
        elif sort == "func":
            scope.funcs.append(entity[1])
        else:  # type
            created, referenced = entity[2], entity[1]
            scope.types.append(created)
            if isinstance(created, tuple):
                fresh = created == referenced
                if kind == "import" and fresh:
                    scope.imported_resources[created[0]] = (len(scope.imports),)
                elif kind == "export":
                    if fresh:
                        scope.defined_resources[created[0]] = None
                    scope.explicit_resources[created[0]] = (len(scope.exports),)
        if name is not None and kind is not None and not self._register_named(scope, name, kind, entity):
            desc = "type" if sort == "type" else sort
            raise _fail(f"{desc} not valid to be used as {kind}", offset)
        return entity

    def _register_named(self, scope: Scope, name: str | None, kind: str, entity: tuple) -> bool:
        """wasmparser's validate_and_register_named_types: every type an import or export refers
        to must itself be imported or exported under a name."""
        if entity[0] == "type" and name is not None and isinstance(entity[2], tuple):
            context = scope.imported_names if kind == "import" else scope.exported_names
            context.register(name, entity[2])
        if scope.kind == "instance-type":
            return True
        named = scope.imported_types if kind == "import" else scope.exported_types
        tick = self.tick
        if entity[0] == "type":
            if not all_valtypes_named(entity[1], named, tick):
                return False
            if kind == "import":
                scope.imported_types.add(entity[2])
            scope.exported_types.add(entity[2])
            return True
        if entity[0] == "instance":
            return all(self._register_named(scope, None, kind, e) for e in entity[1].exports.values())
        if entity[0] == "func":
            return all_valtypes_named_in_func(entity[1], named, tick)
        return True

    def _record_extern(self, scope: Scope, raw: str, entity: tuple, kind: str, offset: int) -> None:
        """wasmparser's validate_extern: the name is valid for the item and unique."""
        try:
            name = parse_name(raw)
        except BadName as exc:
            raise _fail(f"{kind} name `{raw}` is not a valid extern name: {exc}", offset) from None
        if kind == "export" and name.kind in ("hash", "url", "dependency"):
            raise _fail(f"name `{raw}` is not a valid export name", offset)
        context = scope.imported_names if kind == "import" else scope.exported_names
        try:
            context.check(name, entity, offset)
        except BadName as exc:
            raise _fail(f"{kind} name `{raw}` is not valid: {exc}", offset) from None
        keys, items = (scope.import_keys, scope.imports) if kind == "import" else (scope.export_keys, scope.exports)
        if name.key in keys or raw in items:
            raise _fail(f"{kind} name `{raw}` conflicts with a previous name", offset)
        keys.add(name.key)
        items[raw] = entity
        scope.info = combine(scope.info, entity_info(entity), offset)

    def _with_fresh_resources(self, inst: InstT) -> tuple[InstT, dict[int, int]]:
        """`inst` with each resource it defines replaced by a fresh one; and old -> new."""
        mapping = Remapping()
        for old in inst.defined_resources:
            mapping.resources[old] = self.store.new_resource()[0]
        exports = {}
        for name, e in inst.exports.items():
            exports[name], _ = self.remapper.entity(e, mapping)
        explicit = {mapping.resources.get(r, r): p for r, p in inst.explicit_resources.items()}
        fresh = InstT(exports, [], explicit, inst.info)
        fresh.provenance = inst.provenance
        return fresh, mapping.resources

    def _prepare_instance_import(self, scope: Scope, inst: InstT) -> InstT:
        """An imported instance's resources become imports of this scope, fresh per import."""
        if not inst.defined_resources:
            return inst
        fresh, renamed = self._with_fresh_resources(inst)
        for old, new in renamed.items():
            scope.imported_resources[new] = (len(scope.imports), *inst.explicit_resources.get(old, ()))
        return fresh

    def _prepare_instance_export(self, scope: Scope, inst: InstT) -> InstT:
        """An exported instance's resources are defined (fresh) by this scope and exported."""
        if inst.defined_resources:
            inst, renamed = self._with_fresh_resources(inst)
            for new in renamed.values():
                scope.defined_resources[new] = None
        for resource, path in inst.explicit_resources.items():
            scope.explicit_resources[resource] = (len(scope.exports), *path)
        return inst

    # -- component instances

    def instance(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        self.budget.create()
        self._check_max(scope.instance_count(), MAX_INSTANCES, "instances", offset)
        form = r.byte()
        if form == 0x00:
            self._instantiate(scope, r, offset)
        elif form == 0x01:
            self._bag_of_exports(scope, r, offset)
        else:
            raise _fail(f"invalid leading byte ({form:#x}) for instance", offset)

    def _sort_item(self, scope: Scope, sort: str, index: int, offset: int) -> tuple[tuple, Any]:
        """(entity, provenance) of item `index` of `sort` in this scope."""
        if sort == "module":
            return ("module", scope.at("core_modules", index, "module", offset)), LIFTED
        if sort == "component":
            return ("component", scope.at("components", index, "component", offset)), LIFTED
        if sort == "instance":
            inst = scope.at("instances", index, "instance", offset)
            return ("instance", inst), scope.instance_prov[index] if scope.kind == "component" else LIFTED
        if sort == "func":
            func = scope.at("funcs", index, "function", offset)
            return ("func", func), scope.func_prov[index] if scope.kind == "component" else LIFTED
        if sort == "value":
            raise _fail("support for component model `value`s is not enabled", offset)
        found = scope.at("types", index, "type", offset)
        return ("type", found, found), LIFTED

    def _instantiate(self, scope: Scope, r: Reader, offset: int) -> None:
        component: CompT = scope.at("components", r.unsigned(), "component", offset)
        args: dict[str, tuple] = {}
        arg_prov: dict[str, Any] = {}
        for _ in range(r.count()):
            self.tick()
            name = r.name()
            sort = self._sort(r)
            entity, prov = self._sort_item(scope, sort, r.unsigned(), offset)
            if name in args:
                raise _fail(f"instantiation argument `{name}` conflicts with previous argument", offset)
            args[name], arg_prov[name] = entity, prov
        info = INFO_NEW
        for e in component.exports.values():
            info = combine(info, entity_info(e), offset)
        try:
            mapping = self.subtype.open_instance(args, component, "import")
        except Mismatch as exc:
            raise _fail(str(exc), offset) from None
        fresh = []
        for old, _path in component.defined_resources:
            new = self.store.new_resource()[0]
            mapping.resources[old] = new
            fresh.append(new)
        exports = {}
        for name, e in component.exports.items():
            exports[name], _ = self.remapper.entity(e, mapping)
        explicit = {mapping.resources.get(res, res): p for res, p in component.explicit_resources.items()}
        for res in fresh:
            scope.defined_resources[res] = None
        inst = InstT(exports, [], explicit, info)
        scope.instances.append(inst)
        if scope.kind == "component":
            self._check_convertible(("instance", inst), self.converted)
            provenance = component.provenance or {}
            resolved = {name: self._resolve(provenance.get(name, LIFTED), arg_prov) for name in exports}
            scope.instance_prov.append(resolved)
        scope.creates = scope.creates.plus(component.counts)

    def _resolve(self, prov: Any, args: dict[str, Any]) -> Any:
        """A provenance relative to an instantiated component's imports, made relative to this
        scope through the arguments it was given."""
        self.tick()
        if isinstance(prov, dict):
            return {name: self._resolve(p, args) for name, p in prov.items()}
        if prov == LIFTED:
            return LIFTED
        _, name, path = prov
        base = args.get(name, LIFTED)
        for step in path:
            base = _prov_member(base, step)
        return base

    def _bag_of_exports(self, scope: Scope, r: Reader, offset: int) -> None:
        exports: dict[str, tuple] = {}
        keys: set = set()
        explicit: dict[int, tuple] = {}
        provs: dict[str, Any] = {}
        info = INFO_NEW
        empty = NameContext()
        for _ in range(r.count()):
            self.tick()
            raw = self._extern_name(r)
            sort = self._sort(r)
            index = r.unsigned()
            entity, prov = self._sort_item(scope, sort, index, offset)
            if sort == "instance":
                for res, path in entity[1].explicit_resources.items():
                    explicit[res] = (len(exports), *path)
            elif sort == "type" and isinstance(entity[1], tuple):
                explicit[entity[1][0]] = (len(exports),)
            try:
                name = parse_name(raw)
                if name.kind in ("hash", "url", "dependency"):
                    raise BadName("not a valid export name")
                empty.check(name, entity, offset)
            except BadName as exc:
                raise _fail(f"export name `{raw}` is not valid: {exc}", offset) from None
            if name.key in keys or raw in exports:
                raise _fail(f"export name `{raw}` conflicts with a previous name", offset)
            keys.add(name.key)
            exports[raw] = entity
            provs[raw] = prov
            info = combine(info, entity_info(entity), offset)
        bag = InstT(exports, [], explicit, info)
        scope.instances.append(bag)
        if scope.kind == "component":
            self._check_convertible(("instance", bag), self.converted)
            scope.instance_prov.append(provs)

    # -- aliases

    def alias(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        first = r.byte()
        second = r.byte() if first == 0x00 else None
        target = r.byte()
        if target == 0x00:  # export of a component instance
            sort = self._sort_from(first, second, offset)
            index, name = r.unsigned(), r.name()
            if scope.kind != "component" and sort not in ("type", "instance"):
                raise _fail("aliases in a component or instance type may only refer to types or instances", offset)
            self._alias_instance_export(scope, sort, index, name, offset)
        elif target == 0x01:  # export of a core instance
            if second is None:
                raise _fail(f"invalid leading byte ({first:#x}) for core instance export kind", offset)
            if scope.kind != "component":
                raise _fail("aliases in a component or instance type may only refer to types or instances", offset)
            index, name = r.unsigned(), r.name()
            instance: CoreInstT = scope.at("core_instances", index, "core instance", offset)
            entity = instance.exports.get(name)
            if entity is None:
                raise _fail(f"core instance {index} has no export named `{name}`", offset)
            kind = {0x00: "func", 0x01: "table", 0x02: "memory", 0x03: "global", 0x04: "tag"}.get(second)
            if kind is None:
                raise _fail(f"invalid leading byte ({second:#x}) for external kind", offset)
            if entity[0] != kind:
                raise _fail(f"export `{name}` for core instance {index} is not a {_core_desc(kind)}", offset)
            getattr(scope, _CORE_SPACES[kind]).append(entity[1])
        elif target == 0x02:  # outer
            kind = _OUTER_SORTS.get((first, second))
            if kind is None:
                raise _fail("invalid leading byte for outer alias kind", offset)
            count, index = r.unsigned(), r.unsigned()
            if scope.kind != "component" and kind not in ("type", "core type"):
                raise _fail("aliases in a component or instance type may only refer to types or instances", offset)
            self._alias_outer(scope, kind, count, index, offset)
        else:
            raise _fail(f"invalid leading byte ({target:#x}) for alias", offset)

    def _sort_from(self, first: int, second: int | None, offset: int) -> str:
        if first == 0x00:
            if second != 0x11:
                raise _fail("invalid leading byte for component external kind", offset)
            return "module"
        sort = {0x01: "func", 0x02: "value", 0x03: "type", 0x04: "component", 0x05: "instance"}.get(first)
        if sort is None:
            raise _fail(f"invalid leading byte ({first:#x}) for component external kind", offset)
        if sort == "value":
            raise _fail("support for component model `value`s is not enabled", offset)
        return sort

    def _alias_instance_export(self, scope: Scope, sort: str, index: int, name: str, offset: int) -> None:
        instance: InstT = scope.at("instances", index, "instance", offset)
        entity = instance.exports.get(name)
        if entity is None:
            raise _fail(f"instance {index} has no export named `{name}`", offset)
        if entity[0] != sort:
            raise _fail(f"export `{name}` for instance {index} is not a {sort}", offset)
        self.add_entity(scope, entity, None, None, offset)
        if scope.kind == "component" and sort in ("func", "instance"):
            prov = _prov_member(scope.instance_prov[index], name)
            (scope.func_prov if sort == "func" else scope.instance_prov).append(prov)

    def _outer(self, count: int, offset: int) -> Scope:
        if count >= len(self.scopes):
            raise _fail(f"invalid outer alias count of {count}", offset)
        return self.scopes[len(self.scopes) - count - 1]

    def _alias_outer(self, scope: Scope, kind: str, count: int, index: int, offset: int) -> None:
        outer = self._outer(count, offset)
        if kind == "module":
            scope.core_modules.append(outer.at("core_modules", index, "module", offset))
        elif kind == "component":
            scope.components.append(outer.at("components", index, "component", offset))
        elif kind == "core type":
            scope.core_types.append(outer.at("core_types", index, "type", offset))
        else:
            found = outer.at("types", index, "type", offset)
            position = len(self.scopes) - count
            if position < len(self.scopes) and self.scopes[position].kind == "component" and count > 0:
                free: set[int] = set()
                free_resources(("type", found, found), free, self.tick)
                if free:
                    raise _fail(
                        "cannot alias outer type which transitively refers to resources "
                        "not defined in the current component",
                        offset,
                    )
            scope.types.append(found)

    # -- canonical functions

    def canon(self, scope: Scope, r: Reader) -> None:
        offset = r.pos
        op = r.byte()
        if op == 0x00:
            if r.byte() != 0x00:
                raise _fail("invalid leading byte for canonical function lift", r.pos - 1)
            core_index = r.unsigned()
            options = self._options(scope, r, offset)
            self._lift(scope, core_index, options, r.unsigned(), offset)
        elif op == 0x01:
            if r.byte() != 0x00:
                raise _fail("invalid leading byte for canonical function lower", r.pos - 1)
            func = scope.at("funcs", r.unsigned(), "function", offset)
            options = self._options(scope, r, offset)
            self._lower(scope, func, options, offset)
        elif op in (0x02, 0x03, 0x04):
            index = r.unsigned()
            if op == 0x03:
                self._resource_at(scope, index, offset)
                self._core(scope, (I32,), ())
            else:
                rep = self._local_resource(scope, index, offset)
                self._core(scope, (rep,), (I32,)) if op == 0x02 else self._core(scope, (I32,), (rep,))
        else:
            self._async_builtin(scope, op, r, offset)

    def _core(self, scope: Scope, params: tuple[str, ...], results: tuple[str, ...]) -> None:
        scope.core_funcs.append(core_func_type(params, results))

    def _local_resource(self, scope: Scope, index: int, offset: int) -> str:
        resource = self._resource_at(scope, index, offset)
        rep = scope.defined_resources.get(resource[0])
        if rep is None:
            raise _fail(f"type {index} is not a local resource", offset)
        return rep

    def _options(self, scope: Scope, r: Reader, offset: int) -> dict[str, Any]:
        n = r.count()
        if n > MAX_CANON_OPTIONS:
            raise _fail(f"canonical options count exceeds limit of {MAX_CANON_OPTIONS}", offset)
        found: dict[str, Any] = {}
        names = {0x03: "memory", 0x04: "realloc", 0x05: "post-return", 0x06: "async", 0x07: "callback"}
        for _ in range(n):
            code = r.byte()
            if code in (0x00, 0x01, 0x02):
                if "encoding" in found:
                    raise _fail("canonical encoding option conflicts with another", offset)
                found["encoding"] = code
            elif code in names:
                key = names[code]
                if key in found:
                    raise _fail(f"canonical option `{key}` is specified more than once", offset)
                found[key] = True if code == 0x06 else r.unsigned()
            elif code == 0x08:
                raise _fail("canonical option `core type` requires the component model gc feature", offset)
            elif code == 0x09:
                raise _fail("canonical option `gc` requires the `cm-gc` feature", offset)
            else:
                raise _fail(f"invalid leading byte ({code:#x}) for canonical option", r.pos - 1)
        if "memory" in found:
            memory: CoreMemory = scope.at("core_memories", found["memory"], "memory", offset)
            if memory.memory64:
                raise _fail("64-bit memories require the `cm64` feature to be enabled", offset)
            if memory.shared:
                raise _fail("mismatch in the shared flag for memories", offset)
        is_async = found.get("async", False)
        if "callback" in found and not is_async:
            raise _fail("cannot specify callback without async", offset)
        if is_async and "post-return" in found:
            raise _fail("cannot specify post-return function in async", offset)
        if "realloc" in found:
            if "memory" not in found:
                raise _fail("canonical option `realloc` requires `memory` to also be specified", offset)
            realloc = scope.at("core_funcs", found["realloc"], "core function", offset)
            if realloc.params != (I32,) * 4 or realloc.results != (I32,):
                raise _fail("canonical option `realloc` uses a core function with an incorrect signature", offset)
        return found

    def _require(self, options: dict, what: str, offset: int) -> None:
        if "memory" not in options:
            raise _fail("canonical option `memory` is required", offset)
        if what == "realloc" and "realloc" not in options:
            raise _fail("canonical option `realloc` is required", offset)

    def _lowered(self, func: FuncT, options: dict, lift: bool, offset: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The core signature the canonical ABI gives `func` (wasmparser's ComponentFuncType::lower)."""
        is_async = bool(options.get("async"))
        params: list[str] = []
        limit = MAX_FLAT_ASYNC_PARAMS if not lift and is_async else MAX_FLAT_PARAMS
        for _, vt in func.params:
            if vt_ptr(vt):
                self._require(options, "realloc" if lift else "memory", offset)
            if not flatten(vt, I32, params, limit):
                params = [I32]
                self._require(options, "realloc" if lift else "memory", offset)
                break
        results: list[str] = []
        if func.result is not None and not lift and vt_ptr(func.result):
            self._require(options, "realloc", offset)
        if not is_async:
            if func.result is not None and not flatten(func.result, I32, results, MAX_FLAT_RESULTS):
                results = []
                self._require(options, "memory", offset)
                if lift:
                    results = [I32]
                else:
                    params = params[:MAX_LOWERED] + [I32]
        elif not lift:
            if func.result is not None:
                params.append(I32)
                self._require(options, "memory", offset)
            results = [I32]
        else:
            if func.result is not None:
                overflow = not flatten(func.result, I32, [], MAX_FLAT_PARAMS)
                if overflow or vt_ptr(func.result):
                    self._require(options, "memory", offset)
            if "callback" in options:
                results = [I32]
        return tuple(params), tuple(results)

    def _lift(self, scope: Scope, core_index: int, options: dict, type_index: int, offset: int) -> None:
        func = scope.at("types", type_index, "type", offset)
        if not isinstance(func, FuncT):
            raise _fail(f"type index {type_index} is not a function type", offset)
        core: CoreFuncType = scope.at("core_funcs", core_index, "core function", offset)
        if "post-return" in options:
            post = scope.at("core_funcs", options["post-return"], "core function", offset)
            if post.params != core.results or post.results:
                raise _fail("canonical option `post-return` uses a core function with an incorrect signature", offset)
        if options.get("async"):
            if "callback" not in options:
                raise _fail("requires the component model async stackful feature", offset)
            callback = scope.at("core_funcs", options["callback"], "core function", offset)
            if callback.params not in ((I32, I32, I32), (I32,)):
                raise _fail("canonical option `callback` uses a core function with an incorrect signature", offset)
            if not func.is_async:
                raise _fail("the `async` canonical option requires an async function type", offset)
        params, results = self._lowered(func, options, True, offset)
        if params != core.params:
            raise _fail(
                f"lowered parameter types {list(params)} do not match parameter types "
                f"{list(core.params)} of core function {core_index}",
                offset,
            )
        if results != core.results:
            raise _fail(
                f"lowered result types {list(results)} do not match result types "
                f"{list(core.results)} of core function {core_index}",
                offset,
            )
        scope.funcs.append(func)
        scope.func_prov.append(LIFTED)

    def _lower(self, scope: Scope, func: FuncT, options: dict, offset: int) -> None:
        if "post-return" in options:
            raise _fail("canonical option `post-return` cannot be specified for lowerings", offset)
        if "callback" in options:
            raise _fail("canonical option `callback` cannot be specified for lowerings", offset)
        if options.get("async") and not func.is_async:
            raise _fail("the `async` canonical option requires an async function type", offset)
        params, results = self._lowered(func, options, False, offset)
        scope.core_funcs.append(core_func_type(params, results))

    def _async_builtin(self, scope: Scope, op: int, r: Reader, offset: int) -> None:
        simple = _ASYNC_SIMPLE.get(op)
        if simple is not None:
            self._core(scope, *simple)
            return
        if op == 0x09:  # task.return
            result = self._result_list(scope, r, offset)
            options = self._options(scope, r, offset)
            if "realloc" in options:
                raise _fail("cannot specify `realloc` option on `task.return`", offset)
            if "post-return" in options:
                raise _fail("cannot specify `post-return` option on `task.return`", offset)
            if "callback" in options:
                raise _fail("canonical option `callback` cannot be specified for lowerings", offset)
            if options.get("async"):
                raise _fail("cannot specify `async` option on `task.return`", offset)
            params = () if result is None else (("v", result),)
            func = FuncT(params, None, False, INFO_NEW)
            self._core(scope, *self._lowered(func, options, False, offset))
        elif op in (0x0A, 0x0B):  # context.get / context.set
            ty = value_type(r)
            slot = r.unsigned()
            name = "context.get" if op == 0x0A else "context.set"
            if ty == "i64":
                raise _fail(f"64-bit `{name}` requires the component model 64-bit feature", offset)
            if ty != I32:
                raise _fail(f"`{name}` only supports `i32` or `i64`", offset)
            if scope.context_type not in (None, ty):
                raise _fail(f"`{name}` type must match previous context type", offset)
            scope.context_type = ty
            if slot > 0:
                raise _fail(f"`{name}` immediate must be zero: {slot}", offset)
            self._core(scope, (), (ty,)) if op == 0x0A else self._core(scope, (ty,), ())
        elif op == 0x06:  # subtask.cancel
            if r.flag("async"):
                raise _fail("async `subtask.cancel` requires the component model more async builtins feature", offset)
            self._core(scope, (I32,), (I32,))
        elif 0x0E <= op <= 0x1B:
            self._stream_or_future(scope, op, r, offset)
        elif op in (0x1C, 0x1D, 0x1E):
            raise _fail("`error-context` builtins require the component model error-context feature", offset)
        elif op in (0x20, 0x21):  # waitable-set.wait / poll
            r.flag("cancellable")
            memory = scope.at("core_memories", r.unsigned(), "memory", offset)
            if memory.memory64:
                raise _fail("64-bit memories require the `cm64` feature to be enabled", offset)
            if memory.shared:
                raise _fail("mismatch in the shared flag for memories", offset)
            self._core(scope, (I32, I32), (I32,))
        elif op == 0x0C:  # thread.yield
            r.flag("cancellable")
            self._core(scope, (), (I32,))
        elif op in (0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D):
            raise _fail("thread builtins require the component model threading feature", offset)
        elif op in (0x40, 0x41, 0x42):
            raise _fail("thread spawning requires the shared-everything-threads feature", offset)
        else:
            raise _fail(f"invalid leading byte ({op:#x}) for canonical function", offset)

    def _stream_or_future(self, scope: Scope, op: int, r: Reader, offset: int) -> None:
        is_stream = op <= 0x14
        base = op - (0x0E if is_stream else 0x15)  # 0 new, 1 read, 2 write, 3/4 cancel, 5/6 drop
        index = r.unsigned()
        word = "stream" if is_stream else "future"
        found = scope.at("types", index, "type", offset)
        if not isinstance(found, Defined) or found.kind != word:
            raise _fail(f"`{word}` builtin requires a {word} type", offset)
        element = found.payload
        if base == 0:
            self._core(scope, (), ("i64",))
        elif base in (1, 2):
            options = self._options(scope, r, offset)
            if not options.get("async"):
                raise _fail(f"synchronous `{word}` builtins require the more async builtins feature", offset)
            if element is not None:
                self._require(options, "memory", offset)
                if base == 1 and vt_ptr(element):
                    self._require(options, "realloc", offset)
            if "post-return" in options:
                raise _fail("canonical option `post-return` cannot be specified for lowerings", offset)
            if "callback" in options:
                raise _fail("canonical option `callback` cannot be specified for lowerings", offset)
            arity = 3 if is_stream else 2
            self._core(scope, (I32,) * arity, (I32,))
        elif base in (3, 4):
            if r.flag("async"):
                raise _fail(f"async `{word}` cancellation requires the more async builtins feature", offset)
            self._core(scope, (I32,), (I32,))
        else:
            self._core(scope, (I32,), ())

    # -- finishing a component (type)

    def finish(self, scope: Scope, offset: int) -> CompT:
        tick = self.tick
        free: set[int] = set()
        seen: set[int] = set()
        for e in scope.imports.values():
            free_resources(e, free, tick, seen)
        if any(res in free for res in scope.defined_resources):
            raise _fail("local resource type found in imports", offset)
        free = set()
        seen = set()
        for e in scope.exports.values():
            free_resources(e, free, tick, seen)
        defined = []
        for res in scope.defined_resources:
            if res not in free:
                continue
            path = scope.explicit_resources.get(res)
            if path is None:
                raise _fail("local resource type found in export but not exported itself", offset)
            defined.append((res, path))
        comp = CompT(
            scope.imports,
            scope.exports,
            list(scope.imported_resources.items()),
            defined,
            scope.explicit_resources,
            scope.info,
        )
        if scope.kind == "component":
            comp.counts = scope.creates
            comp.provenance = scope.export_prov
            comp.export_items = scope.export_items
        return comp

    def check_root(self, root: CompT) -> None:
        """What wasmtime refuses when it translates a valid component (its inliner and its type
        conversion)."""
        converted = self.converted
        for e in root.imports.values():
            if e[0] == "component":
                raise _fail("root-level component imports are not supported", 0)
            self._check_convertible(e, converted)
        for name, e in (root.export_items or root.exports).items():
            if e[0] == "instance":
                self._check_convertible(e, converted)
            self._check_root_export(name, e, (root.provenance or {}).get(name, LIFTED))

    def _check_convertible(self, entity: tuple, done: set[int]) -> None:
        """wasmtime converts the types of imports and of instances into its own, and has no
        conversion for a type import or export that names a function, instance or component
        type (only value and resource types)."""
        ty = entity[2] if entity[0] == "type" else entity[1]
        if id(ty) in done:
            return
        self.tick()
        if entity[0] == "type" and not isinstance(ty, (tuple, Defined)):
            raise _fail("unsupported type export", 0)
        done.add(id(ty))
        if isinstance(ty, InstT):
            for e in ty.exports.values():
                self._check_convertible(e, done)
        elif isinstance(ty, CompT):
            for e in (*ty.imports.values(), *ty.exports.values()):
                self._check_convertible(e, done)

    def _check_root_export(self, name: str, entity: tuple, prov: Any) -> None:
        self.tick()
        if entity[0] == "component":
            raise _fail("exporting a component from the root component is not supported", 0)
        if entity[0] == "func" and prov != LIFTED:
            raise _fail(f"component export `{name}` is a reexport of an imported function which is not implemented", 0)
        if entity[0] == "instance":
            imported = isinstance(prov, tuple)
            for member, e in entity[1].exports.items():
                if imported and e[0] == "component":
                    raise _fail("root-level component imports are not supported", 0)
                self._check_root_export(member, e, _prov_member(prov, member))


# --- helpers ---------------------------------------------------------------------------------

_OUTER_SORTS = {(0x00, 0x10): "core type", (0x00, 0x11): "module", (0x03, None): "type", (0x04, None): "component"}

_CORE_SPACES = {
    "func": "core_funcs",
    "table": "core_tables",
    "memory": "core_memories",
    "global": "core_globals",
    "tag": "core_tags",
}

_ASYNC_SIMPLE: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    0x24: ((), ()),  # backpressure.inc
    0x25: ((), ()),  # backpressure.dec
    0x05: ((), ()),  # task.cancel
    0x0D: ((I32,), ()),  # subtask.drop
    0x1F: ((), (I32,)),  # waitable-set.new
    0x22: ((I32,), ()),  # waitable-set.drop
    0x23: ((I32, I32), ()),  # waitable.join
}


def _prov_member(prov: Any, name: str) -> Any:
    if isinstance(prov, dict):
        return prov.get(name, LIFTED)
    if isinstance(prov, tuple):
        return (prov[0], prov[1], (*prov[2], name))
    return LIFTED


def _core_desc(kind: str) -> str:
    return "function" if kind == "func" else kind


def _core_entity_info(entity: tuple) -> Info:
    ty = entity[1]
    return (ty.size, 1, False) if isinstance(ty, CoreFuncType) else INFO_NEW


def _add_size(size: int, entity: tuple, offset: int) -> int:
    size += _core_entity_info(entity)[0]
    if size >= MAX_TYPE_SIZE:
        raise _fail(f"effective type size exceeds the limit of {MAX_TYPE_SIZE}", offset)
    return size


def _module_type(info: CoreModuleInfo, offset: int) -> ModT:
    imports: dict[tuple[str, str], tuple] = {}
    for module, name, entity in info.imports:
        if (module, name) in imports:
            raise _fail(
                f"module has a duplicate import name `{module}:{name}` that is not allowed in components", offset
            )
        imports[(module, name)] = entity
    exports: dict[str, tuple] = {}
    for name, entity in info.exports:
        if name in exports:
            raise _fail(f"duplicate export name `{name}` already defined", offset)
        exports[name] = entity
    if info.type_size >= MAX_TYPE_SIZE:
        raise _fail(f"effective type size exceeds the limit of {MAX_TYPE_SIZE}", offset)
    return ModT(imports, exports, (info.type_size, 1, False), module_creates(info))


def module_creates(info: CoreModuleInfo) -> Creates:
    """What instantiating a core module creates: one instance and the memories and tables it
    defines (imported ones are provided, not created)."""
    return Creates(1, len(info.defined_memories), len(info.defined_tables), *info.largest_defined())


def _check_component_preamble(data: bytes, start: int) -> None:
    if len(data) - start < 8 or data[start : start + 4] != MAGIC:
        raise _fail("not a wasm component preamble", start)
    version = int.from_bytes(data[start + 4 : start + 6], "little")
    layer = int.from_bytes(data[start + 6 : start + 8], "little")
    if layer != 1:
        raise _fail("expected a component, found a core module", start)
    if version != COMPONENT_VERSION:
        raise _fail(f"unknown component version: {version:#x}", start + 4)


def _is_kebab(name: str) -> bool:
    from engine.artifact.cm_names import is_kebab

    return is_kebab(name)


def read_component(data: bytes, budget: Budget) -> ComponentRead:
    """The root component's type and instantiation counts; raises MalformedWasm or
    BudgetExceeded."""
    return ComponentReader(data, budget).read()
