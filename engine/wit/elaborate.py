"""World elaboration, as the reference tooling does it: every interface an imported or exported
item depends on (through `use`) becomes an import, unless the world exports it itself."""

from __future__ import annotations

from engine.wit import model as m


def elaborate(imports: dict[str, m.WorldItem], exports: dict[str, m.WorldItem], type_deps: list[str],
              deps: dict[str, list[str]]) -> tuple[dict[str, m.WorldItem], dict[str, m.WorldItem], bool]:
    """(imports, exports, ok); ok is False when an exported interface depends on an
    imported one that itself depends on an export (no valid order exists)."""
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
        if entry.kind == "interface":
            for dep in deps.get(entry.interface, ()):
                add_import(dep)
        new_imports[key] = entry
    export_ifaces: dict[str, str] = {}
    for k, e in exports.items():
        if e.kind == "interface":
            export_ifaces.setdefault(e.interface, k)
    new_exports = {k: e for k, e in exports.items() if e.kind == "function"}
    required: set[str] = set()

    def add_export(iid: str, key: str, as_export: bool) -> bool:
        if key in new_exports:
            return as_export
        if not as_export and iid in required:
            return True
        for dep in deps.get(iid, ()):
            dep_export = as_export and dep in export_ifaces
            if not add_export(dep, export_ifaces[dep] if dep_export else dep, dep_export):
                return False
        if as_export:
            new_exports[key] = exports[key]
        else:
            required.add(iid)
            if key not in new_imports:
                new_imports[key] = imports.get(key) or implicit(iid)
        return True

    ok = True
    for key, entry in exports.items():
        if entry.kind == "interface" and not add_export(entry.interface, key, True):
            ok = False
    return new_imports, new_exports, ok

# ---- whole resolve ---------------------------------------------------------------------
