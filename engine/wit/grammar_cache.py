"""Build the WIT LALR parser, or load it from a disk cache the current user owns.

lark's own `cache=True` writes a pickle to the shared temp folder, where another user could
plant one (loading a pickle runs code). We keep the cache in `$XDG_CACHE_HOME/yoi-plugin-engine`
(or `~/.cache/...`), created 0700, and only load a file owned by us in a folder owned by us that
nobody else can write. The file is the pickle behind its SHA-256, checked before unpickling: a
torn or bit-rotten file would otherwise unpickle into a subtly different parser (or try a huge
allocation). Anything odd means: build in memory, do not cache. Set
`YOI_WIT_GRAMMAR_CACHE=off` to disable, or to a folder to use that folder (same checks); when it
is unset, the engine-wide `YOI_CACHE` setting applies the same way.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from pathlib import Path
from typing import Any

from engine import cache

ENV_VAR = cache.GRAMMAR_ENV_VAR
_CHECKSUM_BYTES = 32  # SHA-256 of the pickle, stored in front of it


def cache_dir() -> Path | None:
    """`YOI_WIT_GRAMMAR_CACHE` when set (off or a folder), else the engine-wide cache folder."""
    setting = os.environ.get(ENV_VAR, "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    return Path(setting) if setting else cache.cache_dir()


def cache_file(grammar: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    import lark

    return folder / f"wit-grammar-{cache.cache_key(grammar, repr(sorted(OPTIONS.items())), lark.__version__)}.lark"


def _load(path: Path, transformer: Any) -> Any | None:
    from lark import Lark
    from lark.exceptions import LarkError

    data = cache.read_file(path)
    if data is None:
        return None
    checksum, payload = data[:_CHECKSUM_BYTES], data[_CHECKSUM_BYTES:]
    if len(checksum) != _CHECKSUM_BYTES or hashlib.sha256(payload).digest() != checksum:
        return None  # torn, corrupt or from before the checksum: rebuilt and rewritten
    try:
        # Lark.load() takes no options; _load is what lark's own cache uses to add them
        return Lark.__new__(Lark)._load(io.BytesIO(payload), transformer=transformer)
    except (
        pickle.UnpicklingError,
        EOFError,
        ImportError,
        AttributeError,
        LookupError,
        TypeError,
        ValueError,
        LarkError,
    ):
        return None  # intact bytes that this lark cannot read back: rebuilt like a corrupt file


def _store(path: Path, parser: Any) -> None:
    buffer = io.BytesIO()
    try:
        parser.save(buffer, exclude_options=("transformer",))
    except (pickle.PicklingError, TypeError, AttributeError):
        return  # a parser that cannot be pickled is simply not cached
    payload = buffer.getvalue()
    cache.write_file(path, hashlib.sha256(payload).digest() + payload)


OPTIONS = {"parser": "lalr", "lexer": "basic", "maybe_placeholders": False}


def build(grammar: str, transformer: Any) -> Any:
    from lark import Lark

    return Lark(grammar, transformer=transformer, **OPTIONS)


def load_or_build(grammar: str, transformer: Any) -> Any:
    path = cache_file(grammar)
    if path is not None:
        parser = _load(path, transformer)
        if parser is not None:
            return parser
    parser = build(grammar, transformer)
    if path is not None:
        _store(path, parser)
    return parser
