"""The compile worker: a child process that compiles artifacts with the runtime's engine settings
and hands back the serialized native code (engine/runtime/compiler.py runs it).

Protocol on stdin/stdout, binary, one request at a time:

    worker -> host   b"R"                                 ready (wasmtime imported, engine made)
    host -> worker   kind (b"c" component | b"m" module), 8-byte big-endian size, the artifact
    worker -> host   b"K", 8-byte size, the serialized compiled artifact
                     or b"E", 8-byte size, the error message (UTF-8, at most 4 KiB)

EOF on stdin ends the worker. It never instantiates or runs what it compiles, reads nothing but
stdin, and ignores Ctrl-C (the host that started it decides when it stops: at EOF, or SIGKILL at
the compile budget).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Any, BinaryIO

MAX_ERROR_BYTES = 4096
SIZE_BYTES = 8


def _read_exactly(stream: BinaryIO, count: int) -> bytes | None:
    chunks, size = [], 0
    while size < count:
        chunk = stream.read(count - size)
        if not chunk:
            return None
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _reply(out: BinaryIO, tag: bytes, payload: bytes) -> None:
    out.write(tag + len(payload).to_bytes(SIZE_BYTES, "big"))
    out.write(payload)
    out.flush()


def serve(source: BinaryIO, out: BinaryIO) -> None:
    import wasmtime
    import wasmtime.component

    from engine.compiled import new_engine

    engine = new_engine()
    loaders: dict[bytes, Any] = {b"c": wasmtime.component.Component, b"m": wasmtime.Module}
    out.write(b"R")
    out.flush()
    while True:
        header = _read_exactly(source, 1 + SIZE_BYTES)
        if header is None:
            return
        loader = loaders.get(header[:1])
        data = _read_exactly(source, int.from_bytes(header[1:], "big"))
        if loader is None or data is None:
            return  # not our host: stop rather than guess
        try:
            serialized = loader(engine, data).serialize()
        except (wasmtime.WasmtimeError, ValueError, TypeError) as error:
            _reply(out, b"E", str(error).encode("utf-8", "replace")[:MAX_ERROR_BYTES])
            continue
        _reply(out, b"K", serialized)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(BrokenPipeError):  # the host went away
        serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
