"""Pure-Python wasm preamble and core-module reader: core-vs-component, a core module's imports and
exports with their types, and its memories and tables. No native code, nothing compiled or run.

The same reader serves a raw core artifact and every core module embedded in a component
(component_reader.py). It reads the sections that declare things (types, imports, functions,
tables, memories, globals, exports, tags) and steps over code, data and element sections by their
size, so a module is read in time linear in its size without decoding its code. Function bodies
are not validated: that is the compiler's job, at the planned start (docs/artifacts.md).
All reads go through binary.Reader (bounded, see there); malformed input raises MalformedWasm.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.artifact.binary import Budget, MalformedWasm, Reader
from engine.artifact.model import (
    ArtifactExport,
    ArtifactImport,
    ArtifactInfo,
    CoreMemory,
    CoreTable,
    InstantiationCounts,
    ModuleShape,
    unreadable,
)

__all__ = [
    "CoreFuncType",
    "CoreModule",
    "CoreModuleInfo",
    "MalformedWasm",
    "check_component_framing",
    "classify",
    "inspect_core",
    "parse_core_module",
    "read_core",
]

MAGIC = b"\x00asm"
CORE_VERSION = 1
CORE_LAYER = 0
COMPONENT_LAYER = 1

(
    SECTION_CUSTOM,
    SECTION_TYPE,
    SECTION_IMPORT,
    SECTION_FUNCTION,
    SECTION_TABLE,
    SECTION_MEMORY,
    SECTION_GLOBAL,
    SECTION_EXPORT,
) = range(8)
SECTION_CODE, SECTION_DATA, SECTION_DATA_COUNT, SECTION_TAG = 10, 11, 12, 13
MAX_CORE_SECTION_ID = SECTION_TAG

# The order non-custom sections must come in (the tag section sits between memory and global).
SECTION_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

EXTERNAL_KINDS = {0x00: "func", 0x01: "table", 0x02: "memory", 0x03: "global", 0x04: "tag"}
NUMERIC_TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128"}
ABSTRACT_HEAP_TYPES = {
    0x70: "func",
    0x6F: "extern",
    0x6E: "any",
    0x6D: "eq",
    0x6C: "i31",
    0x6B: "struct",
    0x6A: "array",
    0x69: "exn",
    0x71: "none",
    0x72: "noextern",
    0x73: "nofunc",
    0x74: "noexn",
    0x68: "cont",
    0x75: "nocont",
}
PACKED_TYPES = {0x78: "i8", 0x77: "i16"}


def classify(data: bytes) -> str:
    """'core' | 'component' | 'unknown' from the 8-byte preamble (magic, version, layer)."""
    if len(data) < 8 or data[:4] != MAGIC:
        return "unknown"
    version = int.from_bytes(data[4:6], "little")
    layer = int.from_bytes(data[6:8], "little")
    if layer == CORE_LAYER and version == CORE_VERSION:
        return "core"
    if layer == COMPONENT_LAYER:
        return "component"
    return "unknown"


# --- value and function types ----------------------------------------------------------------


class _Opaque:
    """The identity of a core function type this reader does not compare structurally (one in a
    recursion group, with supertypes, non-final, or naming another type): it only equals itself."""

    __slots__ = ()


@dataclass(frozen=True)
class CoreFuncType:
    """A core function type: its rendered signature and, for a plain final function type of plain
    value types, its structure (`key`), which is what component linking compares."""

    signature: str
    params: tuple[str, ...]
    results: tuple[str, ...]
    key: object = field(compare=False)

    @property
    def size(self) -> int:
        """wasmparser's type-size of the type (1 + 1 + parameters + results)."""
        return 2 + len(self.params) + len(self.results)


def _heap_type(r: Reader) -> str:
    if r.peek() == 0x65:  # shared-everything-threads: (shared <abstract heap type>), no nesting
        r.byte()
        code = r.byte()
        if code not in ABSTRACT_HEAP_TYPES:
            raise MalformedWasm("invalid shared heap type", r.pos - 1)
        return "shared " + ABSTRACT_HEAP_TYPES[code]
    if r.peek() in ABSTRACT_HEAP_TYPES:
        return ABSTRACT_HEAP_TYPES[r.byte()]
    index = r.signed33()
    if index < 0:
        raise r.fail("invalid heap type")
    return str(index)


def value_type(r: Reader) -> str:
    """One core value type, rendered ("i32", "funcref", "(ref null 3)")."""
    code = r.byte()
    if code in NUMERIC_TYPES:
        return NUMERIC_TYPES[code]
    if code in ABSTRACT_HEAP_TYPES:
        return ABSTRACT_HEAP_TYPES[code] + "ref"
    if code in (0x63, 0x64):
        return f"(ref {'null ' if code == 0x63 else ''}{_heap_type(r)})"
    raise MalformedWasm(f"invalid value type {code:#04x}", r.pos - 1)


def render_core_signature(params: tuple[str, ...] | list[str], results: tuple[str, ...] | list[str]) -> str:
    """'(i32, i32) -> i32', '() -> ()', '(i64) -> (i32, i32)'."""
    result = results[0] if len(results) == 1 else "(" + ", ".join(results) + ")"
    return "(" + ", ".join(params) + ") -> " + result


def core_func_type(params: tuple[str, ...], results: tuple[str, ...], plain: bool = True) -> CoreFuncType:
    """A function type; `plain` (final, alone in its group, no concrete references) compares
    by structure, anything else only by identity."""
    concrete = any(t.startswith("(ref") and t[-2].isdigit() for t in params + results)  # "(ref null 3)"
    key: object = (params, results) if plain and not concrete else _Opaque()
    return CoreFuncType(render_core_signature(params, results), params, results, key)


def _field_type(r: Reader) -> None:
    if r.peek() in PACKED_TYPES:
        r.byte()
    else:
        value_type(r)
    if r.byte() not in (0, 1):
        raise MalformedWasm("invalid mutability", r.pos - 1)


def _composite_type(r: Reader, form: int, plain: bool) -> CoreFuncType | int:
    """A function type, or the type-size of a GC struct/array type."""
    if form == 0x60:
        params = tuple(value_type(r) for _ in range(r.count()))
        results = tuple(value_type(r) for _ in range(r.count()))
        return core_func_type(params, results, plain)
    if form == 0x5F:
        n = r.count()
        for _ in range(n):
            _field_type(r)
        return 2 + 2 * n
    if form == 0x5E:
        _field_type(r)
        return 3
    raise MalformedWasm(f"invalid type form {form:#04x}", r.pos - 1)


def _sub_type(r: Reader, form: int, alone: bool) -> CoreFuncType | int:
    plain = alone
    if form in (0x50, 0x4F):  # sub / sub final: supertypes, then the composite type
        supers = r.count()
        for _ in range(supers):
            r.unsigned()
        plain = alone and form == 0x4F and supers == 0
        form = r.byte()
    return _composite_type(r, form, plain)


def read_rec_group(r: Reader, first: int | None = None) -> list[CoreFuncType | int]:
    """One entry of a type section (a recursion group or a single subtype)."""
    form = r.byte() if first is None else first
    if form == 0x4E:  # recursive group
        n = r.count()
        return [_sub_type(r, r.byte(), n == 1) for _ in range(n)]
    return [_sub_type(r, form, True)]


# --- imports, tables, memories, globals ------------------------------------------------------


def _limits(r: Reader, what: str) -> tuple[int, int | None, bool, bool, int]:
    """(initial, maximum, 64-bit, shared, page size log2) of a table or memory type."""
    flags = r.byte()
    if flags & ~0x0F:
        raise MalformedWasm(f"invalid {what} limits flags {flags:#04x}", r.pos - 1)
    is64 = bool(flags & 0x04)
    bits = 64 if is64 else 32
    initial = r.unsigned(bits)
    maximum = r.unsigned(bits) if flags & 0x01 else None
    page_log2 = 16
    if flags & 0x08:  # custom page sizes
        if what != "memory":
            raise MalformedWasm("tables have no page size", r.pos - 1)
        page_log2 = r.unsigned()
        if page_log2 not in (0, 16):
            raise r.fail("invalid custom page size")
    return initial, maximum, is64, bool(flags & 0x02), page_log2


def table_type(r: Reader, imported: bool) -> CoreTable:
    element = value_type(r)
    initial, maximum, is64, shared, _ = _limits(r, "table")
    return CoreTable(element, initial, maximum, is64, shared, imported)


def memory_type(r: Reader, imported: bool) -> CoreMemory:
    initial, maximum, is64, shared, page_log2 = _limits(r, "memory")
    return CoreMemory(initial, maximum, is64, shared, page_log2, imported)


def global_type(r: Reader) -> tuple[str, bool]:
    content = value_type(r)
    mutability = r.byte()
    if mutability > 3:  # bit 0 mutable, bit 1 shared
        raise MalformedWasm("invalid global mutability", r.pos - 1)
    return content, bool(mutability & 1)


# Constant expressions (global initializers, table initializers): the instructions allowed there,
# with how many immediates of which kind follow each. Anything else is refused, not guessed.
_CONST_IMMEDIATES: dict[int, str] = {
    0x41: "s32",  # i32.const
    0x42: "s64",  # i64.const
    0x43: "4",  # f32.const
    0x44: "8",  # f64.const
    0x23: "u",  # global.get
    0xD0: "heap",  # ref.null
    0xD2: "u",  # ref.func
    0x6A: "",  # i32.add, sub, mul (extended-const)
    0x6B: "",
    0x6C: "",
    0x7C: "",  # i64.add, sub, mul
    0x7D: "",
    0x7E: "",
}
_GC_CONST_IMMEDIATES = {0: "u", 1: "u", 6: "u", 7: "u", 8: "uu", 26: "", 27: "", 28: ""}


def skip_const_expr(r: Reader, budget: Budget) -> None:
    """Step over a constant expression up to its `end` (0x0b)."""
    while True:
        budget.tick()
        op = r.byte()
        if op == 0x0B:
            return
        if op == 0xFB:
            imm = _GC_CONST_IMMEDIATES.get(r.unsigned())
            if imm is None:
                raise r.fail("unsupported instruction in a constant expression")
            for _ in imm:
                r.unsigned()
            continue
        if op == 0xFD:
            if r.unsigned() != 12:  # v128.const
                raise r.fail("unsupported instruction in a constant expression")
            r.skip(16)
            continue
        imm = _CONST_IMMEDIATES.get(op)
        if imm is None:
            raise MalformedWasm("unsupported instruction in a constant expression", r.pos - 1)
        if imm == "s32":
            r.signed(32)
        elif imm == "s64":
            r.signed(64)
        elif imm in ("4", "8"):
            r.skip(int(imm))
        elif imm == "u":
            r.unsigned()
        elif imm == "heap":
            _heap_type(r)


def _skip_data_segment(r: Reader, budget: Budget) -> None:
    offset = r.pos
    flags = r.unsigned()
    if flags == 2:
        r.unsigned()  # memory index
    if flags in (0, 2):
        skip_const_expr(r, budget)
    elif flags != 1:
        raise MalformedWasm("invalid flags byte in data segment", offset)
    r.skip(r.unsigned())


# --- the module -----------------------------------------------------------------------------

# A core entity type, as linking compares it:
#   ("func", CoreFuncType) ("table", CoreTable) ("memory", CoreMemory) ("global", (type, mutable))
#   ("tag", CoreFuncType)
CoreEntity = tuple[str, object]


@dataclass
class CoreModuleInfo:
    """What a core module declares, in index order."""

    imports: list[tuple[str, str, CoreEntity]] = field(default_factory=list)
    exports: list[tuple[str, CoreEntity]] = field(default_factory=list)
    memories: list[CoreMemory] = field(default_factory=list)
    tables: list[CoreTable] = field(default_factory=list)
    custom_sections: list[str] = field(default_factory=list)
    type_size: int = 1

    @property
    def defined_memories(self) -> tuple[CoreMemory, ...]:
        return tuple(m for m in self.memories if not m.imported)

    @property
    def defined_tables(self) -> tuple[CoreTable, ...]:
        return tuple(t for t in self.tables if not t.imported)

    def largest_defined(self) -> tuple[int, int]:
        """(initial bytes of the largest memory, initial elements of the largest table) it defines."""
        return (
            max((m.initial_bytes for m in self.defined_memories), default=0),
            max((t.initial for t in self.defined_tables), default=0),
        )


def sections(data: bytes, start: int, end: int, max_id: int | None) -> Iterator[tuple[int, Reader]]:
    """(section id, reader over its payload) for each section in data[start:end], bounds-checked."""
    r = Reader(data, start, end)
    while r.pos < r.end:
        sid = r.byte()
        if max_id is not None and sid > max_id:
            raise MalformedWasm(f"unknown section id {sid}", r.pos - 1)
        size = r.unsigned()
        if size > r.end - r.pos:
            raise MalformedWasm(f"section {sid} extends past the end", r.pos)
        yield sid, Reader(data, r.pos, r.pos + size)
        r.pos += size


def import_entity(r: Reader, types: list[CoreFuncType | int], module: CoreModuleInfo) -> CoreEntity:
    offset = r.pos
    code = r.byte()
    kind = EXTERNAL_KINDS.get(code)
    if kind == "func":
        return kind, _func_type_at(types, r.unsigned(), offset)
    if kind == "table":
        table = table_type(r, True)
        module.tables.append(table)
        return kind, table
    if kind == "memory":
        memory = memory_type(r, True)
        module.memories.append(memory)
        return kind, memory
    if kind == "global":
        return kind, global_type(r)
    if kind == "tag":
        r.byte()  # attribute (0: exception)
        return kind, _func_type_at(types, r.unsigned(), offset)
    raise MalformedWasm(f"invalid import kind {code:#04x}", offset)


def _func_type_at(types: list[CoreFuncType | int], index: int, offset: int) -> CoreFuncType:
    if index >= len(types):
        raise MalformedWasm("type index out of range", offset)
    found = types[index]
    if not isinstance(found, CoreFuncType):
        raise MalformedWasm(f"type {index} is not a function type", offset)
    return found


def entity_size(entity: CoreEntity) -> int:
    ty = entity[1]
    return ty.size if isinstance(ty, CoreFuncType) else 1


def parse_core_module(data: bytes, start: int, end: int, budget: Budget) -> CoreModuleInfo:
    """Read the core module in data[start:end] (preamble included); raises MalformedWasm."""
    if end - start < 8 or data[start : start + 4] != MAGIC:
        raise MalformedWasm("not a core wasm module preamble", start)
    if int.from_bytes(data[start + 4 : start + 8], "little") != CORE_VERSION:
        raise MalformedWasm("unsupported core wasm version", start + 4)
    module = CoreModuleInfo()
    types: list[CoreFuncType | int] = []
    funcs: list[CoreFuncType] = []
    globals_: list[tuple[str, bool]] = []
    tags: list[CoreFuncType] = []
    raw_exports: list[tuple[str, int, int, int]] = []
    defined_funcs = bodies = 0
    data_count: int | None = None
    data_segments = 0
    seen: set[int] = set()
    last_rank = 0
    for sid, r in sections(data, start + 8, end, MAX_CORE_SECTION_ID):
        budget.tick()
        if sid == SECTION_CUSTOM:
            module.custom_sections.append(r.name())
            continue
        if sid in seen:
            raise r.fail(f"duplicate section {sid}")
        seen.add(sid)
        if SECTION_ORDER[sid] < last_rank:
            raise r.fail(f"section {sid} out of order")
        last_rank = SECTION_ORDER[sid]
        if sid == SECTION_TYPE:
            for _ in range(r.count()):
                budget.tick()
                group = read_rec_group(r)
                budget.create(len(group))
                types.extend(group)
        elif sid == SECTION_IMPORT:
            for _ in range(r.count()):
                budget.tick()
                name, field_ = r.name(), r.name()
                entity = import_entity(r, types, module)
                if entity[0] == "func":
                    funcs.append(entity[1])  # type: ignore[arg-type]
                elif entity[0] == "global":
                    globals_.append(entity[1])  # type: ignore[arg-type]
                elif entity[0] == "tag":
                    tags.append(entity[1])  # type: ignore[arg-type]
                module.imports.append((name, field_, entity))
                module.type_size += entity_size(entity)
        elif sid == SECTION_FUNCTION:
            for _ in range(r.count()):
                budget.tick()
                offset = r.pos
                funcs.append(_func_type_at(types, r.unsigned(), offset))
                defined_funcs += 1
        elif sid == SECTION_CODE:  # framing only: the bodies are the compiler's to validate
            bodies = r.count()
            for _ in range(bodies):
                budget.tick()
                r.skip(r.unsigned())
        elif sid == SECTION_DATA:
            data_segments = r.count()
            for _ in range(data_segments):
                budget.tick()
                _skip_data_segment(r, budget)
        elif sid == SECTION_DATA_COUNT:
            data_count = r.unsigned()
        elif sid == SECTION_TABLE:
            for _ in range(r.count()):
                budget.tick()
                if r.peek() == 0x40:  # table with an initializer expression
                    r.byte()
                    if r.byte() != 0:
                        raise MalformedWasm("invalid table encoding", r.pos - 1)
                    module.tables.append(table_type(r, False))
                    skip_const_expr(r, budget)
                else:
                    module.tables.append(table_type(r, False))
        elif sid == SECTION_MEMORY:
            for _ in range(r.count()):
                budget.tick()
                module.memories.append(memory_type(r, False))
        elif sid == SECTION_GLOBAL:
            for _ in range(r.count()):
                budget.tick()
                globals_.append(global_type(r))
                skip_const_expr(r, budget)
        elif sid == SECTION_EXPORT:
            for _ in range(r.count()):
                budget.tick()
                name, offset = r.name(), r.pos
                code = r.byte()
                if code not in EXTERNAL_KINDS:
                    raise MalformedWasm(f"invalid export kind {code:#04x}", offset)
                raw_exports.append((name, code, r.unsigned(), offset))
        elif sid == SECTION_TAG:
            for _ in range(r.count()):
                budget.tick()
                offset = r.pos
                r.byte()
                tags.append(_func_type_at(types, r.unsigned(), offset))
        else:
            continue  # start, element: nothing declared there
        r.expect_end(f"section {sid}")
    if bodies != defined_funcs:
        raise MalformedWasm("function and code section have inconsistent lengths", start)
    if data_count is not None and data_count != data_segments:
        raise MalformedWasm("data count and data section have inconsistent lengths", start)
    spaces: dict[str, list] = {
        "func": funcs,
        "table": module.tables,
        "memory": module.memories,
        "global": globals_,
        "tag": tags,
    }
    for name, code, index, offset in raw_exports:
        kind = EXTERNAL_KINDS[code]
        space = spaces[kind]
        if index >= len(space):
            raise MalformedWasm(f"{'function' if kind == 'func' else kind} index out of range", offset)
        entity = (kind, space[index])
        module.exports.append((name, entity))
        module.type_size += entity_size(entity)
    return module


# --- the raw artifact view --------------------------------------------------------------------


@dataclass(frozen=True)
class CoreModule:
    """What the reader found in a core module, as the artifact model sees it."""

    imports: tuple[ArtifactImport, ...]
    exports: tuple[ArtifactExport, ...]
    custom_sections: tuple[str, ...]
    info: CoreModuleInfo = field(compare=False, repr=False)


def _signature(entity: CoreEntity) -> str | None:
    kind, ty = entity
    return ty.signature if kind == "func" and isinstance(ty, CoreFuncType) else None


def read_core(data: bytes, budget: Budget | None = None) -> CoreModule:
    """Imports and exports (with function signatures) of a core module; raises MalformedWasm."""
    if classify(data) != "core":
        raise MalformedWasm("not a core wasm module preamble", 0)
    module = parse_core_module(data, 0, len(data), budget or Budget(float("inf")))
    return CoreModule(
        imports=tuple(ArtifactImport(m, n, e[0], _signature(e)) for m, n, e in module.imports),
        exports=tuple(ArtifactExport("", n, e[0], _signature(e)) for n, e in module.exports),
        custom_sections=tuple(module.custom_sections),
        info=module,
    )


def check_component_framing(data: bytes) -> None:
    """Walk a component's top-level sections, bounds only; raises MalformedWasm if truncated."""
    for _ in sections(data, 8, len(data), None):
        pass


def inspect_core(data: bytes, budget: Budget | None = None) -> ArtifactInfo:
    """ArtifactInfo of a core module, or "unreadable" with the reader's reason; a BudgetExceeded
    from `budget` propagates."""
    try:
        module = read_core(data, budget)
    except MalformedWasm as exc:
        return unreadable(f"core wasm module is malformed: {exc}")
    info = module.info
    memory_bytes, table_elements = info.largest_defined()
    counts = InstantiationCounts(
        1, 1, len(info.defined_memories), len(info.defined_tables), memory_bytes, table_elements
    )
    return ArtifactInfo(
        form="core",
        imports=module.imports,
        exports=module.exports,
        modules=(ModuleShape(tuple(info.memories), tuple(info.tables)),),
        counts=counts,
    )
