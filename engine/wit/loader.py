"""Find and parse the `.wit` files of a path: a file, or a folder plus its `deps/` folder.

Files are grouped into packages the way the reference tooling does it: the files of one folder
form one package (one of them declares `package ns:name;`), each `deps/` entry (a file or a
folder) is another, and every `package ns:name { ... }` block is a package of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.diagnostics import Diagnostic
from engine.errors import ErrorKind
from engine.wit import ast
from engine.wit.docs import DocIndex
from engine.wit.errors import WitError, wit_diagnostic, wit_io_error
from engine.wit.parser import parse_file

MAX_FILES = 10_000


@dataclass(frozen=True)
class Unit:
    """One package's source: its name and the top-level items of each contributing file
    (the first file is the one with the package header: docs and locations point there)."""

    name: ast.PackageName
    main: bool
    parts: tuple[tuple[ast.File, tuple[ast.TopItem, ...]], ...]
    key: str = field(init=False)  # `ns:name@version`, the package's id

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", str(self.name))

    @property
    def file(self) -> ast.File:
        return self.parts[0][0]


def _wit_files(folder: Path) -> list[Path]:
    # anything named *.wit that is not a folder is read (a dangling link is then reported)
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".wit") and not p.is_dir())
    return files[:MAX_FILES]


def source_groups(path: Path) -> list[tuple[list[Path], bool]]:
    """[(files of one group, is_main)]: the path itself first, then each `deps/` entry."""
    try:  # exists() and is_dir() raise for e.g. a name too long or a folder we may not enter
        is_dir = path.is_dir()
        if not is_dir and not path.exists():
            raise wit_io_error("path does not exist", str(path))
    except OSError as exc:
        raise wit_io_error(f"cannot read path: {exc.strerror or 'error'}", str(path)) from None
    if not is_dir:
        return [([path], True)]
    try:
        groups = [(_wit_files(path), True)]
        deps = path / "deps"
        if deps.is_dir():
            for entry in sorted(deps.iterdir()):
                if entry.is_dir():
                    groups.append((_wit_files(entry), False))
                elif entry.name.endswith(".wit"):
                    groups.append(([entry], False))
    except OSError as exc:
        raise wit_io_error(f"cannot list folder: {exc.strerror or 'error'}", str(path)) from None
    if not groups[0][0]:
        raise wit_io_error("folder holds no .wit file", str(path))
    return groups


def _group_units(files: list[ast.File], main: bool, errors: list[Diagnostic]) -> list[Unit]:
    units: list[Unit] = []
    header: tuple[ast.File, ast.PackageName] | None = None
    for f in files:
        if f.package is None:
            continue
        if header is None:
            header = (f, f.package)
        elif str(f.package) != str(header[1]):
            p = f.package.pos
            errors.append(
                wit_diagnostic(
                    f"package `{f.package}` does not match `{header[1]}` declared in {Path(header[0].path).name}",
                    f.path,
                    p.line,
                    p.column,
                )
            )
    if header is not None:
        ordered = [header[0]] + [f for f in files if f is not header[0]]
        units.append(Unit(header[1], main, tuple((f, f.items) for f in ordered if f.items or f is header[0])))
        _check_package_docs(files, errors)
    elif files:  # as in wit-parser, even a folder of only nested packages needs its own header
        f = next((f for f in files if f.items), files[0])
        line, col = _first_item_pos(f) if f.items else (None, None)
        errors.append(
            wit_diagnostic("no `package` header was found in any WIT file for this package", f.path, line, col)
        )
    for f in files:
        for nested in f.nested:
            units.append(Unit(nested.name, main, ((f, nested.items),)))
    return units


def _check_package_docs(files: list[ast.File], errors: list[Diagnostic]) -> None:
    """At most one of a package's `package` headers may carry doc comments (wit-parser)."""
    documented = 0
    for f in sorted(files, key=lambda f: f.path):
        if f.package is None:
            continue
        start = f.source.rfind("package", 0, f.package.pos.offset)
        doc = DocIndex(f.source, f.comments).first_doc_before(start if start >= 0 else f.package.pos.offset)
        if doc is None:
            continue
        documented += 1
        if documented > 1:
            line = f.source.count("\n", 0, doc) + 1
            errors.append(
                wit_diagnostic(
                    "found doc comments on multiple 'package' items",
                    f.path,
                    line,
                    doc - (f.source.rfind("\n", 0, doc) + 1) + 1,
                )
            )


def _first_item_pos(f: ast.File) -> tuple[int, int]:
    item = f.items[0]
    name = getattr(item, "name", None) or getattr(item, "path", None)
    pos = getattr(name, "pos", None)
    return (pos.line, pos.column) if pos else (1, 1)


def load_units(path: Path) -> list[Unit]:
    """Parse everything under `path`; raise WitError listing every parse/grouping problem."""
    errors: list[Diagnostic] = []
    unreadable = False  # a file that could not be read makes the whole error an `io` one
    units: list[Unit] = []
    for files, main in source_groups(path):
        parsed: list[ast.File] = []
        for file in files:
            try:
                parsed.append(parse_file(file))
            except WitError as exc:
                errors.extend(exc.diagnostics)
                unreadable = unreadable or exc.error_kind is ErrorKind.IO
        units.extend(_group_units(parsed, main, errors))
    seen: dict[str, Unit] = {}
    for unit in units:
        if unit.key in seen:
            p = unit.name.pos
            errors.append(
                wit_diagnostic(
                    f"package `{unit.key}` is defined more than once (also in {Path(seen[unit.key].file.path).name})",
                    unit.file.path,
                    p.line,
                    p.column,
                )
            )
        else:
            seen[unit.key] = unit
    if errors:
        raise WitError(errors, error_kind=ErrorKind.IO if unreadable else None)
    return units
