"""Build the WIT LALR parser, or load it from a disk cache the current user owns.

lark's own `cache=True` writes a pickle to the shared temp folder, where another user could
plant one (loading a pickle runs code). We keep the cache in `$XDG_CACHE_HOME/yoi-plugin-engine`
(or `~/.cache/...`), created 0700, and only load a file owned by us in a folder owned by us that
nobody else can write. Anything odd means: build in memory, do not cache. Set
`YOI_WIT_GRAMMAR_CACHE=off` to disable, or to a folder to use that folder (same checks); when it
is unset, the engine-wide `YOI_CACHE` setting applies the same way.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

ENV_VAR = "YOI_WIT_GRAMMAR_CACHE"
SHARED_ENV_VAR = "YOI_CACHE"  # the engine-wide cache setting, used when ENV_VAR is not set


def cache_dir() -> Path | None:
    setting = os.environ.get(ENV_VAR) or os.environ.get(SHARED_ENV_VAR, "")
    if setting.lower() in ("off", "0", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "yoi-plugin-engine"


def _private(st: os.stat_result, want_dir: bool) -> bool:
    if not hasattr(os, "getuid") or st.st_uid != os.getuid():
        return False
    if want_dir != stat.S_ISDIR(st.st_mode) or (not want_dir and not stat.S_ISREG(st.st_mode)):
        return False
    return not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _safe_dir(folder: Path, create: bool) -> bool:
    try:
        if create and not folder.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _private(os.lstat(folder), want_dir=True)
    except OSError:
        return False


def cache_file(grammar: str) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    import lark

    key = hashlib.sha256(
        f"{grammar}\0{sorted(OPTIONS.items())}\0{lark.__version__}\0{sys.version_info[:2]}".encode("utf-8")
    ).hexdigest()[:24]
    return folder / f"wit-grammar-{key}.lark"


def _load(path: Path, transformer: Any) -> Any | None:
    from lark import Lark

    try:
        if not _safe_dir(path.parent, create=False):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not _private(os.fstat(fd), want_dir=False):
            return None
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            # Lark.load() takes no options; _load is what lark's own cache uses to add them
            return Lark.__new__(Lark)._load(handle, transformer=transformer)
    except Exception:  # a corrupt or foreign cache is simply ignored and rebuilt
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def _store(path: Path, parser: Any) -> None:
    if not _safe_dir(path.parent, create=True):
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".wit-grammar-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            parser.save(handle, exclude_options=("transformer",))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except Exception:
        try:
            os.unlink(tmp)
        except OSError:
            pass


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
