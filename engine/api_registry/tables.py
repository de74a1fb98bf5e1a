"""Grant-table entries per host API, as the config's `Grants` and the runtime's `Plan` carry them.

Both stores are generic (`GrantTables`, keyed by API name), so a new registry entry needs no new
field anywhere. `per_api_keywords` keeps the per-API spelling that is public API: `Grants(https=...)`
and `grants.https`, `Plan(fs_allowlist=...)`, `replace(plan, fs_allowlist=...)` and
`plan.fs_allowlist`, for every API in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from engine import api_registry  # the package is importing this module: read it at call time only
from engine.api_registry.model import GrantRecord


@dataclass(frozen=True)
class GrantTables:
    """Entries per API, immutable and hashable; canonical (registry order, empty tables left out)
    so two values with the same entries are equal."""

    items: tuple[tuple[str, tuple[GrantRecord, ...]], ...] = ()

    @classmethod
    def of(cls, tables: Mapping[str, Iterable[GrantRecord]]) -> GrantTables:
        """From API name -> entries; a name the registry does not know is a TypeError, like an
        unknown keyword argument."""
        order = api_registry.names()
        unknown = set(tables) - set(order)
        if unknown:
            raise TypeError(f"unknown host API grant table(s): {', '.join(sorted(unknown))}")
        return cls(tuple((name, entries) for name in order if (entries := tuple(tables.get(name, ())))))

    def get(self, api: str) -> tuple[GrantRecord, ...]:
        for name, entries in self.items:
            if name == api:
                return entries
        return ()

    def merged(self, changes: Mapping[str, Iterable[GrantRecord]]) -> GrantTables:
        return GrantTables.of({**dict(self.items), **changes})

    def only(self, apis: Iterable[str]) -> GrantTables:
        """The tables of `apis` alone (a plan carries the allowlists of its authorized APIs)."""
        keep = set(apis)
        return GrantTables(tuple(item for item in self.items if item[0] in keep))

    def __bool__(self) -> bool:
        return bool(self.items)


NO_TABLES = GrantTables()
C = TypeVar("C", bound=type)


def per_api_keywords(field: str, suffix: str) -> Callable[[C], C]:
    """Class decorator for a frozen dataclass with a `GrantTables` field `field`: its constructor
    (and so `dataclasses.replace`) also takes `<api><suffix>=entries` for every registry API, and
    `obj.<api><suffix>` reads that API's entries. Apply it above `@dataclass`."""

    def decorate(cls: C) -> C:
        generated = vars(cls)["__init__"]  # the one @dataclass generated

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            given = {api: kwargs.pop(api + suffix) for api in api_registry.names() if api + suffix in kwargs}
            generated(self, *args, **kwargs)
            if given:
                object.__setattr__(self, field, getattr(self, field).merged(given))

        def __getattr__(self: Any, name: str) -> tuple[GrantRecord, ...]:
            api = name.removesuffix(suffix) if suffix else name
            if (not suffix or name.endswith(suffix)) and api in api_registry.names():
                return getattr(self, field).get(api)
            raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")

        __init__.__doc__ = generated.__doc__
        setattr(cls, "__init__", __init__)  # noqa: B010 - assigning a method directly upsets mypy
        setattr(cls, "__getattr__", __getattr__)  # noqa: B010
        return cls

    return decorate
