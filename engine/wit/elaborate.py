"""World elaboration, as the reference tooling does it: every interface an imported or exported
item depends on (through `use`) becomes an import, unless the world exports it itself."""

from __future__ import annotations

from engine.wit import model as m


def elaborate(
    imports: dict[str, m.WorldItem], exports: dict[str, m.WorldItem], type_deps: list[str], deps: dict[str, list[str]]
) -> tuple[dict[str, m.WorldItem], dict[str, m.WorldItem], str | None]:
    """(imports, exports, failed): `failed` is the first exported interface (key) that depends on
    an interface both as an import and as an export (no valid order exists), else None."""
    new_imports: dict[str, m.WorldItem] = {}

    def implicit(iid: str) -> m.WorldItem:
        return m.WorldItem(iid, "interface", interface=iid, implicit=True)

    def add_import(root: str) -> None:
        if root in new_imports:
            return
        stack = [(root, iter(deps.get(root, ())))]
        visiting = {root}
        while stack:
            iid, it = stack[-1]
            dep = next(it, None)
            if dep is None:
                stack.pop()
                new_imports.setdefault(iid, imports.get(iid) or implicit(iid))
            elif dep not in new_imports and dep not in visiting:
                visiting.add(dep)
                stack.append((dep, iter(deps.get(dep, ()))))

    for dep in type_deps:
        add_import(dep)
    for key, entry in imports.items():
        if entry.kind == "interface" and entry.interface is not None:  # an interface item always has its id
            for dep in deps.get(entry.interface, ()):
                add_import(dep)
        new_imports[key] = entry
    exported_ids = {k for k, e in exports.items() if e.kind == "interface" and e.interface == k}
    new_exports = {k: e for k, e in exports.items() if e.kind == "function"}
    required: set[str] = set()

    def add_export(iid: str, key: str, as_export: bool) -> bool:
        # wit-parser's add_world_export: a dependency is an export only when exported by its id
        if key in new_exports:
            return as_export
        if not as_export and iid in required:
            return True
        for dep in deps.get(iid, ()):
            if not add_export(dep, dep, as_export and dep in exported_ids):
                return False
        if as_export:
            if iid in required:
                return False
            new_exports[key] = exports[key]
        else:
            required.add(iid)
            if key not in new_imports:
                new_imports[key] = imports.get(key) or implicit(iid)
        return True

    failed = None
    for key, entry in exports.items():
        if entry.kind == "interface" and entry.interface is not None and not add_export(entry.interface, key, True):
            failed = key
            break
    return new_imports, new_exports, failed
