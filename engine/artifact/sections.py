"""Pure-Python wasm preamble and section reader: core-vs-component, core imports/exports with
their function types. No native code, nothing compiled or run.

Every read is bounds-checked against the enclosing section, vectors may not claim more entries
than bytes remain, and LEB128 values are length-limited, so work is linear in the input size
and any malformed input raises `MalformedWasm` (never IndexError or a huge loop). Messages name
offsets and section ids, never the artifact's bytes or names.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.artifact.model import ArtifactExport, ArtifactImport, ArtifactInfo, unreadable
from engine.errors import EngineError, ErrorKind

MAGIC = b"\x00asm"
CORE_VERSION = 1
CORE_LAYER = 0
COMPONENT_LAYER = 1

SECTION_CUSTOM, SECTION_TYPE, SECTION_IMPORT, SECTION_FUNCTION, SECTION_EXPORT = 0, 1, 2, 3, 7
MAX_CORE_SECTION_ID = 13  # tag section (exception handling)

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


class MalformedWasm(EngineError, ValueError):
    """The bytes are not a well-formed wasm binary (as far as this reader looks)."""

    error_kind = ErrorKind.REJECTED

    def __init__(self, reason: str, offset: int):
        super().__init__(f"{reason} at offset {offset:#x}")
        self.reason = reason
        self.offset = offset


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


class _Reader:
    """A cursor over data[pos:end] whose every read stays inside that window."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int, end: int):
        self.data, self.pos, self.end = data, pos, end

    def fail(self, reason: str) -> MalformedWasm:
        return MalformedWasm(reason, self.pos)

    def byte(self) -> int:
        if self.pos >= self.end:
            raise self.fail("unexpected end of section")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def peek(self) -> int:
        if self.pos >= self.end:
            raise self.fail("unexpected end of section")
        return self.data[self.pos]

    def unsigned(self, bits: int = 32) -> int:
        pos = self.pos
        if pos < self.end and self.data[pos] < 0x80:  # fast path: most values fit in one byte
            self.pos = pos + 1
            return self.data[pos]
        result = shift = 0
        for _ in range((bits + 6) // 7):
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if result >> bits:
                    raise self.fail(f"integer too large for u{bits}")
                return result
        raise self.fail("integer representation too long")

    def signed33(self) -> int:
        result = shift = 0
        for _ in range(5):
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if byte & 0x40:
                    result -= 1 << shift
                return result
        raise self.fail("integer representation too long")

    def count(self) -> int:
        """A vector length; each element takes at least one byte, so it cannot exceed those left."""
        n = self.unsigned()
        if n > self.end - self.pos:
            raise self.fail("vector length exceeds the section")
        return n

    def name(self) -> str:
        length = self.unsigned()
        if length > self.end - self.pos:
            raise self.fail("name extends past the section")
        raw = self.data[self.pos : self.pos + length]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("name is not valid UTF-8") from None
        self.pos += length
        return text


def _heap_type(r: _Reader) -> str:
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


def _value_type(r: _Reader) -> str:
    code = r.byte()
    if code in NUMERIC_TYPES:
        return NUMERIC_TYPES[code]
    if code in ABSTRACT_HEAP_TYPES:
        return ABSTRACT_HEAP_TYPES[code] + "ref"
    if code in (0x63, 0x64):
        return f"(ref {'null ' if code == 0x63 else ''}{_heap_type(r)})"
    raise MalformedWasm(f"invalid value type {code:#04x}", r.pos - 1)


def render_core_signature(params: list[str], results: list[str]) -> str:
    """'(i32, i32) -> i32', '() -> ()', '(i64) -> (i32, i32)'."""
    result = results[0] if len(results) == 1 else "(" + ", ".join(results) + ")"
    return "(" + ", ".join(params) + ") -> " + result


def _field_type(r: _Reader) -> None:
    if r.peek() in PACKED_TYPES:
        r.byte()
    else:
        _value_type(r)
    if r.byte() not in (0, 1):
        raise MalformedWasm("invalid mutability", r.pos - 1)


def _composite_type(r: _Reader, form: int) -> str | None:
    """The rendered signature of a function type; None for GC struct/array types."""
    if form == 0x60:
        params = [_value_type(r) for _ in range(r.count())]
        results = [_value_type(r) for _ in range(r.count())]
        return render_core_signature(params, results)
    if form == 0x5F:
        for _ in range(r.count()):
            _field_type(r)
        return None
    if form == 0x5E:
        _field_type(r)
        return None
    raise MalformedWasm(f"invalid type form {form:#04x}", r.pos - 1)


def _sub_type(r: _Reader, form: int) -> str | None:
    if form in (0x50, 0x4F):  # sub / sub final: supertypes, then the composite type
        for _ in range(r.count()):
            r.unsigned()
        form = r.byte()
    return _composite_type(r, form)


def _read_types(r: _Reader) -> list[str | None]:
    types: list[str | None] = []
    for _ in range(r.count()):
        form = r.byte()
        if form == 0x4E:  # recursive group
            types.extend(_sub_type(r, r.byte()) for _ in range(r.count()))
        else:
            types.append(_sub_type(r, form))
    return types


def _limits(r: _Reader) -> None:
    flags = r.byte()
    if flags & ~0x0F:
        raise MalformedWasm(f"invalid limits flags {flags:#04x}", r.pos - 1)
    r.unsigned(64)
    if flags & 0x01:
        r.unsigned(64)
    if flags & 0x08:  # custom page size
        r.unsigned()


def _import_desc(r: _Reader) -> tuple[str, int | None]:
    """(kind, function type index or None), skipping the non-function descriptors."""
    code = r.byte()
    kind = EXTERNAL_KINDS.get(code)
    if kind == "func":
        return kind, r.unsigned()
    if kind == "table":
        _value_type(r)
        _limits(r)
    elif kind == "memory":
        _limits(r)
    elif kind == "global":
        _value_type(r)
        if r.byte() not in (0, 1):
            raise MalformedWasm("invalid global mutability", r.pos - 1)
    elif kind == "tag":
        r.byte()
        return kind, r.unsigned()
    else:
        raise MalformedWasm(f"invalid import kind {code:#04x}", r.pos - 1)
    return kind, None


@dataclass(frozen=True)
class CoreModule:
    """What the reader found in a core module."""

    imports: tuple[ArtifactImport, ...]
    exports: tuple[ArtifactExport, ...]
    custom_sections: tuple[str, ...]


def _sections(data: bytes, max_id: int | None):
    """Yield (section id, reader over its payload) for each top-level section, bounds-checked."""
    r = _Reader(data, 8, len(data))
    while r.pos < r.end:
        sid = r.byte()
        if max_id is not None and sid > max_id:
            raise MalformedWasm(f"unknown section id {sid}", r.pos - 1)
        size = r.unsigned()
        if size > r.end - r.pos:
            raise MalformedWasm(f"section {sid} extends past the end", r.pos)
        yield sid, _Reader(data, r.pos, r.pos + size)
        r.pos += size


def read_core(data: bytes) -> CoreModule:
    """Imports and exports (with function signatures) of a core module; raises MalformedWasm."""
    if classify(data) != "core":
        raise MalformedWasm("not a core wasm module preamble", 0)
    types: list[str | None] = []
    raw_imports: list[tuple[str, str, str, int | None, int]] = []
    defined: list[int] = []
    raw_exports: list[tuple[str, str, int, int]] = []
    customs: list[str] = []
    seen: set[int] = set()
    for sid, r in _sections(data, MAX_CORE_SECTION_ID):
        if sid != SECTION_CUSTOM:
            if sid in seen:
                raise r.fail(f"duplicate section {sid}")
            seen.add(sid)
        if sid == SECTION_CUSTOM:
            customs.append(r.name())
            continue
        if sid == SECTION_TYPE:
            types = _read_types(r)
        elif sid == SECTION_IMPORT:
            for _ in range(r.count()):
                module, field = r.name(), r.name()
                offset = r.pos
                raw_imports.append((module, field, *_import_desc(r), offset))
        elif sid == SECTION_FUNCTION:
            defined = [r.unsigned() for _ in range(r.count())]
        elif sid == SECTION_EXPORT:
            for _ in range(r.count()):
                name, offset = r.name(), r.pos
                code = r.byte()
                if code not in EXTERNAL_KINDS:
                    raise MalformedWasm(f"invalid export kind {code:#04x}", offset)
                raw_exports.append((name, EXTERNAL_KINDS[code], r.unsigned(), offset))
        else:
            continue
        if r.pos != r.end:
            raise r.fail(f"section {sid} size mismatch")

    def signature(type_index: int, offset: int) -> str | None:
        if type_index >= len(types):
            raise MalformedWasm("type index out of range", offset)
        return types[type_index]

    imports = []
    func_types: list[int] = []
    for module, field, kind, type_index, offset in raw_imports:
        sig = signature(type_index, offset) if kind == "func" and type_index is not None else None
        if kind == "func":
            func_types.append(type_index)  # type: ignore[arg-type]
        imports.append(ArtifactImport(module, field, kind, sig))
    func_types.extend(defined)
    exports = []
    for name, kind, index, offset in raw_exports:
        sig = None
        if kind == "func":
            if index >= len(func_types):
                raise MalformedWasm("function index out of range", offset)
            sig = signature(func_types[index], offset)
        exports.append(ArtifactExport("", name, kind, sig))
    return CoreModule(tuple(imports), tuple(exports), tuple(customs))


def check_component_framing(data: bytes) -> None:
    """Walk a component's top-level sections, bounds only; raises MalformedWasm if truncated."""
    for _ in _sections(data, None):
        pass


def inspect_core(data: bytes) -> ArtifactInfo:
    """ArtifactInfo of a core module, or "unreadable" with the reader's reason."""
    try:
        module = read_core(data)
    except MalformedWasm as exc:
        return unreadable(f"core wasm module is malformed: {exc}")
    return ArtifactInfo(form="core", imports=module.imports, exports=module.exports)
