"""Every WIT input of the wasm-tools corpus resolves, and the names we report match the
package as the reference tool prints it (`.wit.print`, parsed with our own parser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.wit import ast, resolve_path
from engine.wit.parser import parse_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CORPUS = PROJECT_ROOT.parent / "shared" / "corpora" / "wit-interfaces"


def _entries() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(e for e in os.listdir(CORPUS) if e.endswith(".wit") or (CORPUS / e).is_dir())


def _print_file(entry: str) -> Path:
    path = CORPUS / entry
    if path.is_dir():
        prints = sorted(path.glob("*.wit.print"))
        assert len(prints) == 1, f"{entry}: expected one .wit.print, found {len(prints)}"
        return prints[0]
    return Path(str(path) + ".print")


def _iid(pkg: ast.PackageName, name: str) -> str:
    base = f"{pkg.namespace.name}:{pkg.name.name}/{name}"
    return f"{base}@{pkg.version}" if pkg.version else base


def _functions(items) -> set[str]:
    out = set()
    for it in items:
        if isinstance(it, ast.FuncItem):
            out.add(it.name.name)
        elif isinstance(it, ast.TypeDef) and it.kind == "resource":
            r = it.name.name
            out |= {f"[constructor]{r}" if f.kind == "constructor" else f"[{f.kind}]{r}.{f.name.name}"
                    for f in it.body}
    return out


def _types(items) -> set[str]:
    out = set()
    for it in items:
        if isinstance(it, ast.TypeDef):
            out.add(it.name.name)
        elif isinstance(it, ast.UseItem):
            out |= {(alias or orig).name for orig, alias in it.names}
    return out


def printed_names(path: Path) -> dict:
    """Names in a `.wit.print` file, from its syntax tree alone (no resolution)."""
    f = parse_file(path)
    pkg = f.package
    interfaces, worlds = {}, {}
    for it in f.items:
        if isinstance(it, ast.Interface):
            interfaces[_iid(pkg, it.name.name)] = (_functions(it.items), _types(it.items))
        elif isinstance(it, ast.World):
            sides = {"import": set(), "export": set()}
            for w in it.items:
                if isinstance(w, ast.Extern):
                    if w.name is not None:
                        key = w.name.name
                    elif w.path.package is None:
                        key = _iid(pkg, w.path.name.name)
                    else:
                        key = str(w.path)
                    sides[w.direction].add(key)
            # world-level resource functions are imports of the world
            sides["import"] |= _functions(it.items)
            worlds[_iid(pkg, it.name.name)] = (sides["import"], sides["export"], _types(it.items))
    return {"package": str(pkg), "interfaces": interfaces, "worlds": worlds}


def resolved_names(path: Path) -> dict:
    r = resolve_path(path)
    interfaces, worlds = {}, {}
    for key in r.main:
        pkg = r.packages[key]
        for iid in pkg.interfaces.values():
            i = r.interfaces[iid]
            interfaces[iid] = (set(i.functions), set(i.types))
        for wid in pkg.worlds.values():
            w = r.worlds[wid]
            worlds[wid] = (set(w.imports), set(w.exports), set(w.types))
    return {"package": ",".join(r.main), "interfaces": interfaces, "worlds": worlds}


def test_corpus_is_present_or_skipped():
    if not CORPUS.is_dir():
        pytest.skip(f"WIT corpus not found at {CORPUS}")
    assert len(_entries()) >= 40


@pytest.mark.parametrize("entry", _entries() or ["<corpus absent>"])
def test_corpus_entry_resolves_and_matches_print(entry: str):
    if not CORPUS.is_dir():
        pytest.skip(f"WIT corpus not found at {CORPUS}")
    assert resolved_names(CORPUS / entry) == printed_names(_print_file(entry))


def test_corpus_print_files_resolve_standalone_where_self_contained():
    """A `.wit.print` of a single-file entry is itself valid WIT that resolves the same."""
    if not CORPUS.is_dir():
        pytest.skip(f"WIT corpus not found at {CORPUS}")
    checked = 0
    for entry in _entries():
        if entry.endswith(".wit"):
            printed = _print_file(entry)
            assert resolved_names(printed) == resolved_names(CORPUS / entry), entry
            checked += 1
    assert checked >= 25
