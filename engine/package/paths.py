"""Archive path normalization (spec §5.3), shared by the ZIP reader, the writer, folder reading
and manifest path references, so that every layer agrees on which paths are safe."""

from __future__ import annotations

# `normalize_archive_path` as a JSON Schema `pattern` (editor schemas): ECMA-262 without
# look-around, which taplo's regex engine lacks. tests/core/test_json_schema.py checks both agree.
_SEGMENT = r"(?:[^/\\\x00.][^/\\\x00]*|\.[^/\\\x00.][^/\\\x00]*|\.\.[^/\\\x00]+)"
_FIRST = (
    r"(?:[^/\\\x00.~A-Za-z][^/\\\x00]*|[A-Za-z](?:[^/\\\x00:][^/\\\x00]*)?"
    r"|\.[^/\\\x00.][^/\\\x00]*|\.\.[^/\\\x00]+)"
)
SAFE_PATH_PATTERN = rf"^{_FIRST}(?:/{_SEGMENT})*$"


def normalize_archive_path(path: str) -> str | None:
    """Return `path` if it is a safe relative archive path, else None.

    Rejected: empty, NUL, backslash, leading `/` or `~`, a Windows drive prefix (`C:`), and any
    empty, `.` or `..` segment (so `./a`, `a//b` and the directory form `a/` fail too).
    """
    if not path or "\x00" in path or "\\" in path or path[0] in "/~":
        return None
    if len(path) >= 2 and path[1] == ":" and path[0].isascii() and path[0].isalpha():
        return None
    segments = path.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            return None
    return "/".join(segments)


def archive_name(path: str) -> bytes | None:
    """The UTF-8 name to write for `path` when it is already a normalized archive path, else None
    (a lone surrogate, e.g. from an undecodable file name, cannot be written as UTF-8)."""
    if normalize_archive_path(path) != path:
        return None
    try:
        return path.encode("utf-8")
    except UnicodeEncodeError:
        return None
