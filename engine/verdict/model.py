"""The typed verdict of one run (DESIGN decision 8): built once from the rules' facts, read by
every renderer, by the startup gate and by the exit code.

Everything is a frozen dataclass of plain values (strings, integers, tuples, Locations, Plans),
so a verdict can be pickled, compared and serialized as it is. Nothing here evaluates a rule or
reads a package: engine/verdict/build.py does that once, and these types only hold the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from engine.diagnostics import Location, bound_text
from engine.errors import ErrorKind, UnknownReference
from engine.plan import Plan
from engine.provenance.inspect import PackageTrust

GATE_VIEW = "gate"  # `check`: the rules' gate_status, where any deny rejects (spec §4.2)
PER_SURFACE_VIEW = "per-surface"  # list, show, explain, startup: the rules' status; good surfaces start
# `--fail-on` levels, strongest first: a level fails on its severity and every stronger one. They
# are also the severities a report lists as diagnostics (an info note goes with its item).
FAIL_ON_LEVELS = ("deny", "warn")


@dataclass(frozen=True)
class About:
    """What a finding concerns. `subject` is a form of engine.datalog.metadata.ABOUT_FORMS
    normalized (`tool(P, T)` is subject `item` with surface `tool`): package, item, host_api,
    surface, permission, grant, limit, runtime, or run (no package)."""

    subject: str
    package: str | None = None
    surface: str | None = None  # item: tool | service | ingress
    name: str | int | None = None  # the item, host API, surface, limit or permission/grant value
    kind: str | None = None  # permission and grant: the permission kind (tool, host_api, https, ...)

    @property
    def item(self) -> tuple[str, str] | None:
        """(surface, name) for an item or a host API: what reports list a finding under."""
        if self.subject == "item" and self.surface is not None:
            return self.surface, str(self.name)
        if self.subject == "host_api":
            return "host_api", str(self.name)
        return None


@dataclass(frozen=True)
class Finding:
    """One problem, warning or note: a rule's conclusion (phase `rules`) or an input diagnostic
    of discovery, loading or resolution (phase of that stage). Each finding has one owner and
    appears once in a verdict."""

    severity: str  # deny | warn | info
    code: str  # the rule's name, or the input diagnostic's code
    kind: str  # declared by the rule (@kind), or the input diagnostic's kind
    phase: str
    message: str  # as the rule rendered it (bounded), without the item prefix
    about: About
    origin: str | None = None  # manifest | enablement | artifact | policy | ... (None: not known)
    location: Location | None = None
    args: tuple = ()
    rule: Location | None = None  # the rule statement that concluded it
    names_item: bool = True  # the message names the item it is about (False: reports prefix it)
    target: str | None = None  # the target a `@target(T)` conclusion judges for (None: the package's own)

    @property
    def is_conclusion(self) -> bool:
        return self.phase == "rules"

    @property
    def is_reported(self) -> bool:
        """A deny or warn: a report lists it among its diagnostics."""
        return self.severity in FAIL_ON_LEVELS

    @property
    def text(self) -> str:
        """The message as reports show it: prefixed with its item when the rule's message does
        not name it (spec §4.2 writes ``service `name`: reason``), bounded for a CLI line."""
        item = self.about.item if not self.names_item else None
        if item is None or item[0] == "host_api":
            return bound_text(self.message)
        return bound_text(f"{item[0]} `{item[1]}`: {self.message}")


@dataclass(frozen=True)
class ItemVerdict:
    """One tool, service, ingress or host API of a package: its permissions, whether the rules
    made it eligible, and the findings about it (indexes into PackageVerdict.conclusions)."""

    surface: str  # tool | service | ingress | host_api
    name: str
    requested: bool
    granted: bool
    eligible: bool
    enabled: bool  # its surface is enabled (always True for a host API)
    findings: tuple[int, ...] = ()
    diagnostic: str | None = None  # the denials about it, joined (spec §4.1), or None
    external_write: bool | None = None  # tools only
    note: str | None = None  # host APIs: the first note (info) about it

    @property
    def permission(self) -> str:
        return f"{self.surface}.{self.name}"


@dataclass(frozen=True)
class RuntimeVerdict:
    """The package's runtime as the rules see it (spec §4.1 `runtime`)."""

    eligible: bool
    status: str
    classification: str | None
    diagnostic: str | None = None
    findings: tuple[int, ...] = ()  # the denials that block the whole package


@dataclass(frozen=True)
class PackageInfo:
    """What a materialized package declares, as the check report's `package` block shows it."""

    reference: str
    id: str
    source: str
    version: str
    schema_version: int
    digest: str
    path: str
    entries: tuple[str, ...]
    surfaces: tuple[str, ...]
    tools: tuple[str, ...]
    permissions: tuple[str, ...]

    @classmethod
    def of(cls, package) -> PackageInfo:
        """What materialized `package` (an engine.package Package) declares."""
        manifest = package.manifest
        return cls(
            reference=package.identity,
            id=manifest.id,
            source=package.source,
            version=manifest.version,
            schema_version=manifest.schema_version,
            digest=package.digest,
            path=str(package.path),
            entries=tuple(package.entries),
            surfaces=tuple(manifest.surfaces),
            tools=tuple(tool.name for tool in manifest.tools),
            permissions=tuple(permission.label for permission in manifest.permissions),
        )


@dataclass(frozen=True)
class LimitsVerdict:
    """Effective runtime limits and restart policy (what a plan carries), and which limits the
    rules found raised or capped, as (name, value...) pairs in a stable order."""

    effective: tuple[tuple[str, int], ...]
    raised: tuple[tuple[str, int], ...]
    capped: tuple[tuple[str, int, int], ...]  # name, requested, maximum
    restart: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TargetVerdict:
    """The package judged for one target host (docs/targets.md): its status in both views (the
    package's own, made worse by the target's denials), whether the target raises no denial of
    its own (`compatible`), and the target's findings (each said here only)."""

    target: str
    status: str  # per-surface view (rules `target_status`)
    gate_status: str  # gate view (rules `target_gate_status`)
    compatible: bool
    findings: tuple[Finding, ...] = ()

    def findings_of(self, severity: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == severity)


@dataclass(frozen=True)
class PackageVerdict:
    """Everything decided about one package reference of the run. `status` and `gate_status`
    are over every target judged for (`targets`): the worst of theirs, so with one target they
    are that target's (rules `targets_status`, `targets_gate_status`)."""

    ref: str
    local_ref: str | None
    status: str  # per-surface view (rules `targets_status`)
    gate_status: str  # gate view (rules `targets_gate_status`)
    classification: str | None
    source: str | None
    label: str | None  # the package file or folder name
    package_path: str | None
    version: str | None
    schema_version: int | None
    digest: str | None
    configured: bool
    discovered: bool
    resolved: bool
    static_eligible: bool
    grants_assumed: bool
    declared_surfaces: tuple[str, ...]
    enabled_surfaces: tuple[str, ...]
    requested_permissions: tuple[str, ...]
    configured_grants: tuple[str, ...]
    # per host API of the registry, in its order: (api, the labels of its grant-table entries)
    configured_api_grants: tuple[tuple[str, tuple[str, ...]], ...]
    package: PackageInfo | None  # None: nothing could be materialized
    runtime: RuntimeVerdict | None  # None: no package to judge
    items: tuple[ItemVerdict, ...] = ()  # every declared item, then the host APIs asked for
    diagnostics: tuple[Finding, ...] = ()  # input findings (discovery, loading, resolution)
    conclusions: tuple[Finding, ...] = ()  # rule findings, deny first
    limits: LimitsVerdict | None = None
    plan: Plan | None = None
    # What was found beside the package: its signatures and build provenance, as statuses the
    # rules judged (docs/provenance.md); None when there is no package to check.
    trust: PackageTrust | None = None
    targets: tuple[TargetVerdict, ...] = ()  # one per target judged for, in the run's order

    def target(self, name: str) -> TargetVerdict | None:
        return next((t for t in self.targets if t.target == name), None)

    def surface_items(self, surface: str) -> tuple[ItemVerdict, ...]:
        return tuple(item for item in self.items if item.surface == surface)

    def findings_of(self, severity: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.conclusions if f.severity == severity)

    @property
    def denied(self) -> bool:
        return any(f.severity == "deny" for f in self.conclusions)

    def listed_diagnostics(self) -> tuple[tuple[str, str], ...]:
        """The reference's flat diagnostic list of a list/show item (spec §4.3): every input
        diagnostic, and for a resolved package every denial as `static_eligibility`, sorted by
        (kind, message). Human list/show and the startup report print this view; the JSON
        says each finding once instead (docs/reports.md)."""
        entries = [(d.kind, bound_text(d.message)) for d in self.diagnostics]
        if self.resolved and self.package is not None:
            entries += [("static_eligibility", f.text) for f in self.conclusions if f.severity == "deny"]
        return tuple(sorted(entries))


@dataclass(frozen=True)
class RuleInfo:
    """A conclusion predicate that concluded something in this run: its declared meaning and the
    rule statements that define it (reports list each once, findings refer to it by code)."""

    code: str
    severity: str
    kind: str
    about: str  # the @about form (package, tool, item, host_api, ..., run)
    origin: str | None
    declared: bool  # False: written without annotations (located by its derivation)
    locations: tuple[Location, ...]


@dataclass(frozen=True)
class Outcome:
    """Whether a command's run fails, and why (no reasons: it passes). A failed run is a verdict
    on what was reviewed, error kind `rejected` (the CLI maps kinds to exit codes,
    engine/cli/exits.py)."""

    reasons: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return bool(self.reasons)

    @property
    def error_kind(self) -> ErrorKind:
        return ErrorKind.REJECTED


# Severities that fail a run at each `--fail-on` level (a warning threshold includes denials).
_FAILING = {level: FAIL_ON_LEVELS[: index + 1] for index, level in enumerate(FAIL_ON_LEVELS)}


@dataclass(frozen=True)
class RunVerdict:
    """The verdict of one run: its packages (in reference order), the findings no package owns,
    the rules that concluded anything, and the host's protected paths the run was judged with
    (engine/protected.py; the startup gate hands them to the runtime)."""

    packages: tuple[PackageVerdict, ...]
    run_findings: tuple[Finding, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
    protected_paths: tuple[str, ...] = ()
    # codes of whole-run findings the rules say stop the run whatever their severity
    # (`blocks_run`: the plugins feature turned off by the config, rules/host.rules)
    run_blocking_codes: tuple[str, ...] = ()
    # org policy conclusions that read enablement facts (engine/verdict/build.py): judged against
    # the package's own requests for a package whose grants were assumed (`check` without --grants)
    enablement_reading_rules: tuple[str, ...] = ()

    @property
    def assumed_grant_rules(self) -> tuple[str, ...]:
        """The enablement-reading org rules, when some package of the run was judged with
        assumed grants (else nothing to say)."""
        return self.enablement_reading_rules if any(p.grants_assumed for p in self.packages) else ()

    targets: tuple[str, ...] = ()  # the target profiles judged for, in report order
    default_target_only: bool = True  # judged for the default target alone (reports need not say so)

    @property
    def targets_worth_showing(self) -> bool:
        """Whether a human report names the targets: several, another than the default, or one
        that said something of its own."""
        return not self.default_target_only or any(t.findings for p in self.packages for t in p.targets)

    @cached_property
    def _by_ref(self) -> dict[str, PackageVerdict]:
        return {p.ref: p for p in self.packages}

    def package(self, ref: str) -> PackageVerdict | None:
        return self._by_ref.get(ref)

    def select(self, ref: str) -> PackageVerdict:
        """`show REF`: the exact reference first, else a unique local id (spec §4.3);
        UnknownReference (a LookupError) with the reference's message otherwise."""
        exact = self._by_ref.get(ref)
        if exact is not None:
            return exact
        local = [p for p in self.packages if p.local_ref == ref]
        if len(local) == 1:
            return local[0]
        if not local:
            raise UnknownReference(f"plugin package `{bound_text(ref)}` was not found")
        raise UnknownReference(f"plugin package reference `{bound_text(ref)}` is ambiguous; use a source-qualified ref")

    @property
    def run_denials(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.run_findings if f.severity == "deny")

    @property
    def run_stops(self) -> tuple[Finding, ...]:
        """The whole-run findings that stop every package from starting: each deny, and each one
        the rules say blocks the run (`blocks_run`); only the denials fail a report."""
        return tuple(f for f in self.run_findings if f.severity == "deny" or f.code in self.run_blocking_codes)

    @property
    def plans(self) -> tuple[Plan, ...]:
        """Every plan the rules approved, in reference order."""
        return tuple(p.plan for p in self.packages if p.plan is not None)

    @property
    def startable_plans(self) -> tuple[Plan, ...]:
        """What a host may start: the plans, or nothing at all after a whole-run deny (a
        conclusion no package owns fails the run closed, DESIGN decision 6)."""
        return () if self.run_stops else self.plans

    def outcome(
        self, view: str, fail_on: str | None = None, packages: Sequence[PackageVerdict] | None = None
    ) -> Outcome:
        """Exit 1 with reasons when the run fails in `view`, judging `packages` (default: all): in
        the gate view (`check`, the workspace hook) a rejected, disabled or missing package fails;
        in the per-surface view a rejected or missing one fails only with `fail_on`. A whole-run
        deny always fails; `fail_on` adds the conclusions of that severity or worse (`warn`:
        warnings fail too)."""
        judged = self.packages if packages is None else tuple(packages)
        reasons = []
        failing: tuple[str, ...]
        if view == GATE_VIEW:
            failing, statuses = ("rejected", "disabled", "missing"), [p.gate_status for p in judged]
        else:
            failing, statuses = (("rejected", "missing") if fail_on else ()), [p.status for p in judged]
        bad = sorted(set(statuses) & set(failing))
        if bad:
            reasons.append(f"status {', '.join(bad)}")
        denied = len(self.run_denials)
        if denied:
            reasons.append(f"{denied} whole-run deny finding(s)")
        for severity in _FAILING.get(fail_on or "", ()):
            count = sum(1 for p in judged for f in p.conclusions if f.severity == severity)
            count += 0 if severity == "deny" else sum(1 for f in self.run_findings if f.severity == severity)
            if count:
                reasons.append(f"{count} {severity} conclusion(s) with --fail-on {fail_on}")
        return Outcome(tuple(reasons))
