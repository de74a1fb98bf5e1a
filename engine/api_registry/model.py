"""What one host API is, as data: the types of the registry (engine/api_registry/__init__.py).

A `HostApi` says everything the stages need to know about one API: its manifest permission, its
WIT interface and functions, its raw-ABI module, its grant table (a `GrantRecord` subclass that
parses, validates, labels and exports the table's entries), the constants its rules read as facts,
and the dotted path of its runtime handler, which only the runtime ever imports.

Nothing here imports another engine module, so every stage (package, grants, graph, plan,
runtime) can import the registry without a cycle and `check` pays for a few dataclasses only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from engine.api_registry.abi import RAW_CALL, RAW_RESPONSE_FUNCTIONS


@dataclass(frozen=True)
class ConstantFact:
    """A fact the rules read instead of keeping their own copy of a constant (e.g. the https
    methods): `predicate(*row)` for every row, documented in docs/rules.md like any input fact."""

    predicate: str
    args: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]


class GrantRecord:
    """One entry of a grant table `grants.<api>` (spec §3.1): a frozen dataclass per API.

    Subclasses declare the table's cerberus schema (`SCHEMA`, one rule set per field, with a
    `meta.description` for editors), the facts
    their entries export (`FACTS`: predicate -> argument names, the public fact schema) and how an
    entry becomes graph attributes and facts. The graph stores `graph_attrs()` on the entry's node
    and `facts(ref, attrs)` exports it, so the facts come from the graph like every other fact.
    """

    SCHEMA: ClassVar[Mapping[str, Mapping[str, Any]]]
    FACTS: ClassVar[Mapping[str, tuple[str, ...]]]
    # Field -> JSON Schema keywords for what `table_problems` checks and cerberus cannot state
    # (e.g. a `pattern`), so editors refuse what the engine refuses.
    JSON_OVERLAYS: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    # Target flag -> field -> the JSON Schema keywords that replace JSON_OVERLAYS' in the schema of
    # a target with that flag on (`yoi plugin schema config --target T`).
    FLAG_JSON_OVERLAYS: ClassVar[Mapping[str, Mapping[str, Mapping[str, Any]]]] = {}
    # Environment variables `facts` reads (e.g. `HOME` to tell a home folder): the verdict cache
    # keys on their values (engine/pipeline/inputs.py), so a changed one is never served stale.
    ENVIRONMENT: ClassVar[tuple[str, ...]] = ()
    # Fact -> the field of the entry it is about, when that is one key and not the whole entry:
    # a finding resting on it points at that key (`grants.fs[0].root`), not at the table.
    FACT_FIELDS: ClassVar[Mapping[str, str]] = {}
    # `yoi plugin dev --allow-<api> VALUE` (and `call DIR`): how one command-line value spells one
    # entry. None: the API has no such flag, so a development enablement keeps it closed.
    FLAG_METAVAR: ClassVar[str | None] = None
    FLAG_HELP: ClassVar[str] = ""

    @classmethod
    def from_flag(cls, value: str) -> Self:
        """One entry from a `--allow-<api>` value; raises ValueError saying what is wrong."""
        raise NotImplementedError

    @classmethod
    def from_table(cls, table: Mapping[str, Any], workspace: str | None = None) -> Self:
        """An entry from its schema-valid TOML table (absent fields take their defaults).
        `workspace`: the folder a config's relative paths are written against (the one holding
        `.yoi/`); None where there is none (a manifest's table)."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The inverse of `to_dict` (reports rebuild entries to label them)."""
        return cls.from_table(data)

    @classmethod
    def table_problems(cls, table: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(field, what is wrong) beyond what cerberus can say; checked once the shape is valid."""
        return []

    @property
    def label(self) -> str:
        """One line for humans: reports, the plan's allowlist lines, configured grants."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_table(self) -> dict[str, Any]:
        """The entry as a config writes it: what `from_table` reads back as the same entry (a
        resolved plan's grants, engine/grants/lock.py). The reported form unless it adds fields."""
        return self.to_dict()

    def graph_attrs(self) -> dict[str, Any]:
        """The entry's graph node attributes (normalized as the rules compare them)."""
        raise NotImplementedError

    @staticmethod
    def facts(ref: str, attrs: Mapping[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
        """(predicate, row) facts of one graph node made from `graph_attrs()`."""
        raise NotImplementedError


@dataclass(frozen=True)
class HostApi:
    """One host API. Its name is the manifest permission's `api` (`host_api.<name>`) and the key
    of its grant table (`grants.<name>`); `functions` are (name, WIT signature) pairs, also the
    operations the runtime dispatches; `handler` is `module:factory`, called as
    `factory(allowlist, host, owner=plan_ref)` (with a manifest table also `targets=`, the
    manifest's targets) to make the object that serves one plan's calls (`usable`,
    `run(op, descriptor, deadline)`, and `call(op, args, deadline)` for functions whose arguments
    are not one JSON descriptor); `owner` names whose share of bounded host resources (such as
    DNS lookup threads) the calls use."""

    name: str
    summary: str
    interface: str
    functions: tuple[tuple[str, str], ...]
    grant: type[GrantRecord]
    handler: str
    descriptor_limit: int
    descriptor_words: str  # "HTTPS request": how errors name a descriptor of this API
    allowlist_missing: str  # the diagnostic when the grant has no usable allowlist entry
    raw_module: str | None = None  # raw-ABI import module (`yoi:https`), None when not offered
    constants: tuple[ConstantFact, ...] = ()
    # The manifest declares this API's targets in a top-level table named like the API
    # (`[[request]]`), parsed by the grant record too (upstream uses one type for both), and a
    # call is allowed only inside manifest target ∩ grant (yoi-current-spec.md §3.6).
    manifest_table: bool = False
    declaration_missing: str | None = None  # the diagnostic when no manifest target is usable

    @property
    def permission(self) -> str:
        return f"host_api.{self.name}"

    @property
    def operations(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.functions)

    @property
    def raw_functions(self) -> tuple[tuple[str, str], ...]:
        """The raw module's imports with their core signatures: one per operation, then the two
        response accessors (empty when the API has no raw module)."""
        if self.raw_module is None:
            return ()
        return tuple((op, RAW_CALL) for op in self.operations) + RAW_RESPONSE_FUNCTIONS
