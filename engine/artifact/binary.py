"""The bounded byte cursor every wasm reader here uses, and the work budget of one inspection.

Every read is checked against the end of the enclosing window (a section, or a nested module or
component inside one), vectors may not claim more entries than bytes remain, LEB128 values are
length-limited and names are bounded, so a reader does work linear in its input and any malformed
input raises `MalformedWasm` (never IndexError, never a huge loop). Messages name offsets and
what was expected, never the artifact's bytes.
"""

from __future__ import annotations

import time

from engine.errors import EngineError, ErrorKind

MAX_NAME_BYTES = 100_000  # wasmparser's MAX_WASM_STRING_SIZE


class MalformedWasm(EngineError, ValueError):
    """The bytes are not a well-formed (or, for components, not a valid) wasm binary."""

    error_kind = ErrorKind.REJECTED

    def __init__(self, reason: str, offset: int):
        super().__init__(f"{reason} at offset {offset:#x}")
        self.reason = reason
        self.offset = offset


class BudgetExceeded(EngineError):
    """Static inspection ran past its time bound; the artifact's types are unknown."""

    error_kind = ErrorKind.REJECTED

    def __init__(self, seconds: float):
        super().__init__(f"static inspection stopped at its {seconds:g} s bound")
        self.seconds = seconds


class Budget:
    """Counts units of work and checks the wall clock every `CHECK_EVERY` units; counts the type
    objects the readers create.

    The readers tick it once per item they decode and the type checker once per type node it
    visits, so a deadline is noticed within a few milliseconds of passing, whatever the input.
    Memory is bounded by the number of types held at once: at most MAX_TYPES in one artifact
    (the deadline alone would allow millions on a fast machine).
    """

    CHECK_EVERY = 2048
    MAX_TYPES = 1_000_000
    __slots__ = ("deadline", "next_check", "seconds", "types", "units")

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.units = 0
        self.next_check = 0
        self.types = 0

    def create(self, count: int = 1) -> None:
        """Account for `count` new type objects."""
        self.types += count
        if self.types > self.MAX_TYPES:
            raise MalformedWasm(f"the artifact declares more than {self.MAX_TYPES} types", 0)

    def tick(self, units: int = 1) -> None:
        self.units += units
        if self.units >= self.next_check:
            self.next_check = self.units + self.CHECK_EVERY
            if time.monotonic() > self.deadline:
                raise BudgetExceeded(self.seconds)


class Reader:
    """A cursor over data[pos:end] whose every read stays inside that window."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int, end: int):
        self.data, self.pos, self.end = data, pos, end

    def fail(self, reason: str) -> MalformedWasm:
        return MalformedWasm(reason, self.pos)

    def at_end(self) -> bool:
        return self.pos >= self.end

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

    def skip(self, length: int) -> None:
        if length > self.end - self.pos:
            raise self.fail("unexpected end of section")
        self.pos += length

    def flag(self, what: str) -> bool:
        value = self.byte()
        if value > 1:
            raise MalformedWasm(f"invalid {what} flag {value:#04x}", self.pos - 1)
        return bool(value)

    def _leb128(self, bits: int) -> tuple[int, int, int]:
        """(value bits, their count, last byte) of a LEB128 of at most `bits` bits' bytes."""
        result = shift = 0
        for _ in range((bits + 6) // 7):
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result, shift, byte
        raise self.fail("integer representation too long")

    def unsigned(self, bits: int = 32) -> int:
        pos = self.pos
        if pos < self.end and self.data[pos] < 0x80:  # fast path: most values fit in one byte
            self.pos = pos + 1
            return self.data[pos]
        result, _, _ = self._leb128(bits)
        if result >> bits:
            raise self.fail(f"integer too large for u{bits}")
        return result

    def signed(self, bits: int) -> int:
        result, shift, last = self._leb128(bits)
        if last & 0x40:
            result -= 1 << shift
        if not -(1 << (bits - 1)) <= result < (1 << (bits - 1)):
            raise self.fail(f"integer too large for s{bits}")
        return result

    def signed33(self) -> int:
        return self.signed(33)

    def count(self) -> int:
        """A vector length; each element takes at least one byte, so it cannot exceed those left."""
        n = self.unsigned()
        if n > self.end - self.pos:
            raise self.fail("vector length exceeds the section")
        return n

    def name(self) -> str:
        length = self.unsigned()
        if length > MAX_NAME_BYTES:
            raise self.fail(f"name longer than {MAX_NAME_BYTES} bytes")
        if length > self.end - self.pos:
            raise self.fail("name extends past the section")
        raw = self.data[self.pos : self.pos + length]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("name is not valid UTF-8") from None
        self.pos += length
        return text

    def sub(self, length: int) -> Reader:
        """A reader over the next `length` bytes (which this one then skips)."""
        if length > self.end - self.pos:
            raise self.fail("nested item extends past the section")
        inner = Reader(self.data, self.pos, self.pos + length)
        self.pos += length
        return inner

    def expect_end(self, what: str) -> None:
        if self.pos != self.end:
            raise self.fail(f"{what} size mismatch")
