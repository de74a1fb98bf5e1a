"""Registry entry `fs` (spec §3.5, §6.11): files under granted roots, each operation granted apart.

The handler is engine/runtime/hostapi/fs.py; the rules are in rules/authorization.rules
(`allowlist_usable`) and rules/hostapi.rules (broad roots, write grants).
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.api_registry.abi import JSON_CALL
from engine.api_registry.model import GrantRecord, HostApi

OPERATIONS = ("read", "list", "write")
DEFAULT_FLAG_OPERATIONS = ("read", "list")  # `--allow-fs ROOT` without ops
_ROOT_SEGMENT = r"(?:[^/\x00.][^/\x00]*|\.[^/\x00.][^/\x00]*|\.\.[^/\x00]+)"
# `canonical_fs_root` as a JSON Schema `pattern` (tests/core/test_json_schema.py checks they agree).
CANONICAL_ROOT_PATTERN = rf"^/(?:{_ROOT_SEGMENT}(?:/{_ROOT_SEGMENT})*)?$"
# A relative root may not start or end with ASCII whitespace (a stray space is a mistake; any
# other character may be part of a folder name).
_SPACE = " \t\n\r\v\f"
_SPACE_CLASS = "".join(f"\\x{ord(c):02x}" for c in _SPACE)
# `fs_root_written_ok` (an absolute canonical root, or one relative to the workspace) as a pattern.
FS_ROOT_PATTERN = (
    rf"^(?:/(?:{_ROOT_SEGMENT}(?:/{_ROOT_SEGMENT})*)?"
    rf"|[^/~\x00{_SPACE_CLASS}](?:[^\x00]*[^\x00{_SPACE_CLASS}])?)$"
)


def canonical_fs_root(root: str) -> bool:
    """An absolute path in canonical form: `/`, or `/` then segments that are neither empty (a
    repeated or trailing `/`), `.` nor `..`, and no NUL. `/srv/../etc` and `//etc/` name `/etc`
    without saying so; a rule matching `/etc` must not be able to miss them."""
    if not root.startswith("/") or "\0" in root:
        return False
    return root == "/" or all(part not in ("", ".", "..") for part in root[1:].split("/"))


def relative_fs_root(root: str) -> bool:
    """A root written relative to the workspace (`./data`, `data`, `../shared/x`): not empty, no
    NUL, no surrounding (ASCII) whitespace, and neither absolute nor starting with `~` (never
    expanded: whose home it would be depends on who runs the host)."""
    return bool(root) and "\0" not in root and root[0] not in "/~" + _SPACE and root[-1] not in _SPACE


def fs_root_written_ok(root: str) -> bool:
    """What a config may write as an fs root: absolute and canonical, or relative to the workspace."""
    return canonical_fs_root(root) or relative_fs_root(root)


def workspace_path(workspace: str, written: str) -> str:
    """The absolute path a relative root names: joined to the (resolved) workspace and normalized,
    before any symlink in the written part is followed."""
    return os.path.normpath(os.path.join(workspace, written))


def contains(outer: str, inner: str) -> bool:
    """Whether path `inner` is `outer` or lies under it (both absolute, canonical)."""
    return inner == outer or inner.startswith(outer.rstrip("/") + "/")


def _has_symlink(path: str) -> bool:
    """Whether an existing component of `path` is still a symlink (realpath gave up on it)."""
    current = ""
    for part in path.strip("/").split("/") if path != "/" else ():
        current += "/" + part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return True
        except OSError:  # absent or unreadable from here on: nothing more to resolve
            return False
    return False


def resolve_root(written: str) -> str:
    """The real path of a written root, or "" when it cannot be resolved to a canonical one.

    A root is judged by what it names, not how it is spelled (issue 17 point 3):
    `/proc/self/root/etc` and a workspace symlink to `/etc` are `/etc` to the kernel, so an org
    rule on `/etc` must see `/etc`. The result is checked again: absolute, canonical, and free
    of symlinks realpath could not follow (a loop, a folder the host cannot search)."""
    text = written.strip()
    if not canonical_fs_root(text):
        return ""
    try:
        resolved = os.path.realpath(text)
    except (OSError, ValueError):
        return ""
    if not os.path.isabs(resolved) or not canonical_fs_root(resolved) or _has_symlink(resolved):
        return ""
    return resolved


# What a resolved root is on the reviewer's filesystem (`fs_root_kind`), by its stat mode.
_ROOT_KINDS = (
    (stat.S_ISDIR, "folder"),
    (stat.S_ISREG, "file"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "device"),
    (stat.S_ISBLK, "device"),
)


def root_kind(resolved: str) -> str:
    """`folder`, `missing`, `file`, `fifo`, `socket`, `device` or `unreadable` for a resolved
    root ("" for an unresolved one). A stat only: a FIFO or device is never opened."""
    if not resolved:
        return ""
    try:
        mode = os.stat(resolved).st_mode
    except FileNotFoundError:
        return "missing"
    except (OSError, ValueError):
        return "unreadable"
    return next((kind for test, kind in _ROOT_KINDS if test(mode)), "unreadable")


def _resolved_workspace(workspace: str | None) -> str:
    """The workspace folder, resolved like a root ("" when there is none or it cannot be)."""
    if not workspace:
        return ""
    try:
        return resolve_root(os.path.abspath(workspace))
    except ValueError:  # a NUL byte
        return ""


def broad_root_reason(root: str) -> str | None:
    """Why an fs grant root hands over far more than a plugin folder, or None.

    Home folders are recognized by shape (`/root`, `/home/<user>`, `/Users/<user>`) and as the
    `$HOME` of whoever runs the check.
    """
    if not root.startswith("/"):
        return None
    path = "/" + posixpath.normpath(root).lstrip("/")
    home_env = os.environ.get("HOME", "")
    home = "/" + posixpath.normpath(home_env).lstrip("/") if home_env.startswith("/") else None
    parts = path.strip("/").split("/") if path != "/" else []
    if not parts:
        return "the filesystem root"
    if path == home or path == "/root" or (len(parts) == 2 and parts[0] in ("home", "Users")):
        return "a home folder"
    if (home and home.startswith(path + "/")) or (len(parts) == 1 and parts[0] in ("home", "Users")):
        return "a folder holding home folders"
    return None


@dataclass(frozen=True)
class FsGrant(GrantRecord):
    """One `grants.fs` scope: a host root and the operations allowed under it (§6.11).

    `root` is the root as the runtime will open it: resolved (`resolve_root`) when the config is
    read, before any rule sees it. `written` keeps the root as the config wrote it when that
    differs; the runtime refuses the grant if `written` no longer resolves to `root`. An empty
    `root` means the written root could not be resolved (it is unusable). A root written relative
    to the workspace (`./data`) is resolved against `workspace`, the config's workspace folder
    (itself resolved), never against the process's working folder; `workspace` is None for an
    absolute root."""

    SCHEMA: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "root": {
            "type": "string",
            "meta": {
                "description": "Folder the plugin may use: absolute and canonical (no `.` or `..` "
                "segment, no trailing `/`), or relative to the workspace (`./data`, resolved against "
                "the folder holding `.yoi/`; the `engine` target only). `~` is not expanded."
            },
        },
        "operations": {
            "type": "list",
            "schema": {"type": "string", "allowed": list(OPERATIONS)},
            "meta": {"description": "Operations allowed under the root: read, list, write."},
        },
    }
    JSON_OVERLAYS: ClassVar[Mapping[str, Mapping[str, Any]]] = {"root": {"pattern": FS_ROOT_PATTERN}}
    # A target that reads roots as absolute host paths only (rules/targets.rules).
    FLAG_JSON_OVERLAYS: ClassVar[Mapping[str, Mapping[str, Mapping[str, Any]]]] = {
        "fs_root_absolute_required": {"root": {"pattern": CANONICAL_ROOT_PATTERN}}
    }
    ENVIRONMENT: ClassVar[tuple[str, ...]] = ("HOME",)  # broad_root_reason: the checker's home folder
    FACTS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "fs_grant": ("P", "Root", "Operation"),
        "fs_grant_written": ("P", "Written", "Resolved"),
        "fs_grant_root_relative": ("P", "Written", "Absolute"),
        "fs_root_broad": ("P", "Root", "Why"),
        "fs_root_kind": ("P", "Root", "Kind"),
    }
    FACT_FIELDS: ClassVar[Mapping[str, str]] = {"fs_grant_root_relative": "root", "fs_root_kind": "root"}

    FLAG_METAVAR: ClassVar[str | None] = "ROOT[:ops]"
    FLAG_HELP: ClassVar[str] = (
        "Open the fs host API under ROOT for ops (read,list,write; default read,list); repeatable."
    )

    root: str = ""
    operations: tuple[str, ...] = ()
    written: str | None = None
    workspace: str | None = None
    # what the root is when the config is read (`root_kind`): a rule warns on a non-folder, and
    # the verdict cache keys on it (key_material reads every field), so making the folder later
    # changes the verdict; not compared: a grant is the same grant whatever the disk holds now
    kind: str = field(default="folder", compare=False)

    @classmethod
    def from_table(cls, table: Mapping[str, Any], workspace: str | None = None) -> FsGrant:
        """A config entry, its root resolved now (issue 17 point 3); a relative root against the
        config's `workspace` (unusable, `root` "", when there is none)."""
        raw = table.get("root", "")
        operations = tuple(table.get("operations", ()))
        if relative_fs_root(raw):
            base = _resolved_workspace(workspace)
            resolved = resolve_root(workspace_path(base, raw)) if base else ""
            return cls(resolved, operations, raw, base or None, root_kind(resolved))
        written = raw.strip()
        resolved = resolve_root(written)
        return cls(resolved, operations, None if resolved == written else written, kind=root_kind(resolved))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FsGrant:
        """A reported entry as it was resolved (never resolved again)."""
        root, written = data.get("root", ""), data.get("written")
        workspace = data.get("workspace")
        return cls(
            root, tuple(data.get("operations", ())), None if written in (None, root) else written, workspace or None
        )

    @property
    def written_root(self) -> str:
        return self.root if self.written is None else self.written

    @property
    def relative(self) -> bool:
        """Whether the root was written relative to the workspace."""
        return self.written is not None and relative_fs_root(self.written)

    @property
    def written_path(self) -> str | None:
        """The absolute path the written root names, symlinks not yet followed: the runtime checks
        it still resolves to `root`. None for a relative root without a workspace (unusable)."""
        if not self.relative:
            return self.written_root
        return workspace_path(self.workspace, self.written_root) if self.workspace else None

    @classmethod
    def from_flag(cls, value: str) -> FsGrant:
        """`ROOT[:ops]`: ops a comma list of read, list, write (default read,list). A root that
        holds `:` is written with its ops (`/srv/a:b:read`). The root is made absolute against the
        working folder and then resolved like a config's root (`resolve_root`), so the rules judge
        the folder that will really be used; it must be a folder."""
        root, colon, ops = value.rpartition(":")
        operations = tuple(ops.split(",")) if colon else DEFAULT_FLAG_OPERATIONS
        if not colon:
            root = value
        unknown = [op for op in operations if op not in OPERATIONS]
        if unknown:
            raise ValueError(
                f"unknown fs operation `{unknown[0]}` (operations: {', '.join(OPERATIONS)}; a root that holds "
                "`:` is written with its operations, e.g. `/a:b:read`)"
            )
        if not root:
            raise ValueError("the root folder is empty")
        try:
            written = os.path.abspath(root)  # against the working folder, `.` and `..` folded
        except ValueError:  # a NUL byte
            raise ValueError(f"`{root}` cannot be resolved") from None
        resolved = resolve_root(written)  # as a config's root is, before any rule sees it
        if not resolved:
            raise ValueError(f"`{root}` cannot be resolved to a canonical folder without symlinks")
        if not os.path.isdir(resolved):
            raise ValueError(f"`{root}` is not a folder")
        return cls(resolved, tuple(dict.fromkeys(operations)), None if resolved == written else written)

    @classmethod
    def table_problems(cls, table: Mapping[str, Any]) -> list[tuple[str, str]]:
        root = table.get("root")
        if root is None or fs_root_written_ok(root):
            return []
        if root.strip(_SPACE).startswith("~"):
            return [
                (
                    "root",
                    "starts with `~`, which is not expanded: write an absolute path or one relative to the workspace",
                )
            ]
        if not root.strip(_SPACE):
            return [("root", "is empty: write an absolute path or one relative to the workspace (`./data`)")]
        return [("root", "must be an absolute, canonical path (no `.` or `..` segment, no repeated or trailing `/`)")]

    @property
    def label(self) -> str:
        shown = f"{self.root} (written {self.written})" if self.written is not None else self.root
        return f"{shown} {','.join(self.operations) or '<no-operations>'}"

    def to_dict(self) -> dict[str, Any]:
        out = {"root": self.root, "operations": list(self.operations), "written": self.written_root}
        return out | ({"workspace": self.workspace} if self.workspace is not None else {})

    def to_table(self) -> dict[str, Any]:
        """The root as written (a relative one stays relative, resolved again on reading)."""
        return {"root": self.written_root, "operations": list(self.operations)}

    def graph_attrs(self) -> dict[str, Any]:
        return {
            "root": self.root.strip(),
            "written": self.written_root.strip(),
            "relative_path": (self.written_path or "") if self.relative else None,
            "operations": tuple(self.operations),
            "kind": self.kind,
            "label_text": self.label,
        }

    @staticmethod
    def facts(ref: str, attrs: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
        yield "fs_grant_written", (ref, attrs["written"], attrs["root"])
        if attrs.get("relative_path") is not None:
            yield "fs_grant_root_relative", (ref, attrs["written"], attrs["relative_path"])
        for operation in attrs["operations"]:
            yield "fs_grant", (ref, attrs["root"], operation)
        if attrs.get("kind"):
            yield "fs_root_kind", (ref, attrs["root"], attrs["kind"])
        why = broad_root_reason(attrs["root"])
        if why:
            yield "fs_root_broad", (ref, attrs["root"], why)


API = HostApi(
    name="fs",
    summary="files under granted roots: read, list and write, each granted separately",
    interface="yoi:host/fs@1.0.0",
    functions=tuple((op, JSON_CALL) for op in OPERATIONS),
    grant=FsGrant,
    handler="engine.runtime.hostapi.fs:open_api",
    descriptor_limit=65536,
    descriptor_words="FS request",
    allowlist_missing="granted host_api.fs scope allowlist is missing",
    raw_module="yoi:fs",
)
