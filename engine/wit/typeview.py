"""Questions about types asked while resolving: aliases, resources, borrows, dependencies.

Definitions may be broken (an error was already reported), so every question tolerates
missing keys; walks are iterative or bounded so odd input cannot recurse without limit.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.wit import model as m


class TypeView:
    """Read-only questions about types while resolving (tolerates broken definitions)."""

    def __init__(self, types: dict[str, m.TypeDef]):
        self.types = types

    def broken(self, key: str) -> bool:
        ty = m.dealias(self.types, m.Ref(key))
        return isinstance(ty, m.Ref) and ty.key not in self.types

    def resource_of(self, key: str) -> m.TypeDef | None:
        return m.resource_of(self.types, key)

    def resource_key(self, ty: m.Type) -> str | None:
        """The resource key of `own<r>` or of a (possibly aliased) resource type, else None."""
        if isinstance(ty, m.Ref) or (isinstance(ty, m.Handle) and ty.kind == "own"):
            td = m.resource_of(self.types, ty.key)
            return td.key if td else None
        return None

    def has_borrow(self, ty: m.Type | None) -> bool:
        """Does `ty` contain a borrow handle, looking through named types (iteratively)?"""
        seen: set[str] = set()
        stack = [ty]
        while stack:
            t = stack.pop()
            if t is None:
                continue
            if isinstance(t, m.Handle):
                if t.kind == "borrow":
                    return True
            elif isinstance(t, m.Ref):
                if t.key in seen or t.key not in self.types:
                    continue
                seen.add(t.key)
                td = self.types[t.key]
                if td.kind != "resource":
                    stack.append(td.target)
                    stack.extend(f.type for f in td.fields)
                    stack.extend(c.type for c in td.cases)
            else:
                stack.extend(children(t))
        return False


def children(ty: m.Type) -> list:
    if isinstance(ty, (m.ListOf, m.OptionOf)):
        return [ty.element]
    if isinstance(ty, m.ResultOf):
        return [ty.ok, ty.err]
    if isinstance(ty, m.TupleOf):
        return list(ty.items)
    if isinstance(ty, (m.FutureOf, m.StreamOf)):
        return [ty.element]
    if isinstance(ty, m.MapOf):
        return [ty.key, ty.value]
    return []


def refs(ty: m.Type | None) -> Iterable[str]:
    """Keys a type depends on by value (handles do not count: resources are nominal)."""
    if ty is None or isinstance(ty, (m.Prim, m.Handle)):
        return
    if isinstance(ty, m.Ref):
        yield ty.key
        return
    for child in children(ty):
        yield from refs(child)


def edges(td: m.TypeDef) -> list[str]:
    out = list(refs(td.target))
    for f in td.fields:
        out.extend(refs(f.type))
    for c in td.cases:
        out.extend(refs(c.type))
    return out
