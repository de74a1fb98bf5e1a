"""Conclusion metadata: what a deny/warn/info means, declared beside it (docs/rules.md).

    @kind(abi) @about(package(P)) @origin(artifact)
    deny artifact_missing(P, Path) "runtime artifact `{Path}` is not present in the package" :- ...

`@kind` says what sort of problem it is, `@about` what it concerns (the package, one surface item,
a host API, a permission, a grant entry, a limit, or the whole run), naming the head's variables
so the argument positions are explicit, `@origin` where the thing it reports is written, and
`@target(T)` that it judges the package for one target host, named by the head variable `T`
(docs/targets.md): such a conclusion decides that target's verdict, never the package's own.
Python reads meaning from here and nowhere else: never from a code's spelling, an argument's
position by convention or a message's text (DESIGN decision 8). From the metadata the rule
engine derives `conclusion_kind/2`, `conclusion_about/2` and the category facts rules build on
(`abi_broken/1`, `item_denied/3`; engine/datalog/desugar.py), so no rules file keeps such a list.

A conclusion without annotations is an organisation rule's plain `deny`: kind `policy`, about
its first argument as a package (none: the whole run), and located where the facts its body
matched were written (the verdict stage follows its kept derivation).

The vocabulary below is closed: an unknown kind, form or origin is a load error at its
file:line:column, as is an `@about` that names a variable the head does not have.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.datalog.ast import Annotation, Const, Rule, Value, Var
from engine.datalog.parser import rule_diagnostic
from engine.datalog.template import template_fields
from engine.diagnostics import Diagnostic


@dataclass(frozen=True)
class Kind:
    """A sort of finding. `category`, when set, names the fact every `deny` of this kind derives
    for its package (e.g. `abi_broken(P)`)."""

    name: str
    meaning: str
    category: str | None = None


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("abi", "the artifact does not implement the runtime it declares (spec §6.7, §6.8)", "abi_broken"),
        Kind("grant", "a permission the manifest must request or the enablement must grant is missing"),
        Kind("surface", "an item on a surface its runtime cannot serve"),
        Kind("malformed", "a declaration is invalid"),
        Kind("duplicate", "a name is taken twice"),
        Kind("placeholder", "the artifact is the generated placeholder"),
        Kind("limits", "a size or runtime limit above a bound"),
        Kind("api", "a runtime or host API the host retired or does not offer (the reference's kind `api`)"),
        Kind("behaviour", "the host runs the package, but differently from the host it was written for"),
        Kind("signature", "a signature or build provenance that does not count, or a required signature missing"),
        Kind("policy", "an organisation rule (the kind of a conclusion without @kind)"),
    )
}
DEFAULT_KIND = "policy"


@dataclass(frozen=True)
class Origin:
    """Where a fact or a finding comes from; `locates` says whether a report can point at it."""

    name: str
    meaning: str
    locates: bool = True


ORIGINS: dict[str, Origin] = {
    origin.name: origin
    for origin in (
        Origin("manifest", "the package's plugin.toml (the line of what it is about)"),
        Origin("enablement", "the `[[plugins.enabled]]` entry of the enablement config"),
        Origin("artifact", "the wasm artifact (reports point at the manifest's [runtime] table)"),
        Origin("policy", "the rule itself (reports point at the rule)"),
        Origin("signature", "the signature envelope beside the package (reports point at that file)"),
        Origin("sigstore", "the Sigstore bundle beside the package (reports point at that file)"),
        Origin("provenance", "the build provenance beside the package (reports point at that file)"),
        Origin("discovery", "what discovery found about the package file", locates=False),
        Origin("resolution", "what resolution said about an enablement", locates=False),
        Origin("host", "the host: bundled WIT worlds, default and maximum limits", locates=False),
        Origin("target", "a target profile the package is judged for (targets/*.toml)", locates=False),
    )
}
# What `@origin(...)` may say: the places a finding can be written. The other origins are facts'.
CONCLUSION_ORIGINS = ("manifest", "enablement", "artifact", "policy", "signature", "sigstore", "provenance")


@dataclass(frozen=True)
class AboutForm:
    """One `@about(form(...))` shape: its parameters (the package first) and what it names.

    `subject` is the value of `conclusion_about(Code, Subject)`: the three item shorthands are
    `item`, so a rule can ask "is this denial about one item" without listing surfaces."""

    name: str
    params: tuple[str, ...]
    subject: str
    fields: tuple[str, ...]  # per parameter, what it fills in a report's About: package, surface, name, kind
    surface: str | None = None  # tool/service/ingress: the surface of item(P, Surface, Name)

    @property
    def names_item(self) -> bool:
        return self.subject == "item"


ABOUT_FORMS: dict[str, AboutForm] = {
    form.name: form
    for form in (
        AboutForm("package", ("Package",), "package", ("package",)),
        AboutForm("item", ("Package", "Surface", "Name"), "item", ("package", "surface", "name")),
        AboutForm("tool", ("Package", "Tool"), "item", ("package", "name"), "tool"),
        AboutForm("service", ("Package", "Service"), "item", ("package", "name"), "service"),
        AboutForm("ingress", ("Package", "Ingress"), "item", ("package", "name"), "ingress"),
        AboutForm("host_api", ("Package", "Api"), "host_api", ("package", "name")),
        AboutForm("surface", ("Package", "Surface"), "surface", ("package", "name")),
        AboutForm("permission", ("Package", "Kind", "Value"), "permission", ("package", "kind", "name")),
        AboutForm("grant", ("Package", "Kind", "Value"), "grant", ("package", "kind", "name")),
        AboutForm("limit", ("Package", "Name"), "limit", ("package", "name")),
        AboutForm("runtime", ("Package",), "runtime", ("package",)),
        AboutForm("run", (), "run", ()),
    )
}
ANNOTATIONS = ("kind", "about", "origin", "target")
# Predicates the engine derives from the metadata: rules read them, never define them.
KIND_PREDICATE = "conclusion_kind"
ABOUT_PREDICATE = "conclusion_about"
ITEM_DENIED = "item_denied"
# For a `@target(T)` conclusion, in place of `conclusion/3` and `item_denied/3`: the package's
# verdict for target T is decided by these, the package's own by the others.
TARGET_CONCLUSION = "target_conclusion"
TARGET_ITEM_DENIED = "target_item_denied"
DERIVED_ARITIES: dict[str, int] = {
    KIND_PREDICATE: 2,
    ABOUT_PREDICATE: 2,
    ITEM_DENIED: 3,
    TARGET_CONCLUSION: 4,
    TARGET_ITEM_DENIED: 4,
    **{kind.category: 1 for kind in KINDS.values() if kind.category},
}


@dataclass(frozen=True)
class Slot:
    """One argument of an `@about` form: a head position, or a constant written in the form."""

    position: int | None = None
    value: Value = ""  # the constant, when `position` is None

    def resolve(self, args: Sequence[Value]) -> Value:
        return args[self.position] if self.position is not None else self.value


@dataclass(frozen=True)
class About:
    """A form with its slots, e.g. tool(P, T) over `deny x(P, T, K)`: ("tool", (#0, #1))."""

    form: str
    slots: tuple[Slot, ...]

    @property
    def shape(self) -> AboutForm:
        return ABOUT_FORMS[self.form]

    @property
    def package(self) -> Slot | None:
        return self.slots[0] if self.slots else None

    def values(self, args: Sequence[Value]) -> tuple[Value, ...]:
        return tuple(slot.resolve(args) for slot in self.slots)


@dataclass(frozen=True)
class ConclusionMeta:
    """A conclusion predicate's declared meaning. `declared` is False for a conclusion written
    without annotations; then `origin` is None and reports locate it by its derivation.
    `target` is the head position of the target a `@target(T)` conclusion judges for (None: the
    conclusion is the package's own, whatever target is asked about)."""

    kind: str
    about: About
    origin: str | None
    declared: bool
    target: Slot | None = None


def message_names_item(meta: ConclusionMeta, rule: Rule) -> bool:
    """Whether `rule`'s message template names the item its conclusion is about (the form's last
    slot), so a report need not prefix the message with the item (``service `svc`: ...``). Read
    from the template as written, never from a rendered message."""
    slot = meta.about.slots[-1] if meta.about.shape.names_item and meta.about.slots else None
    if slot is None or slot.position is None or rule.message is None:
        return True
    term = rule.head.args[slot.position]
    return isinstance(term, Var) and term.name in template_fields(rule.message)


def _default(rule: Rule) -> ConclusionMeta:
    about = About("package", (Slot(position=0),)) if rule.head.args else About("run", ())
    return ConclusionMeta(DEFAULT_KIND, about, None, False)


def _word(annotation: Annotation, allowed: Iterable[str], what: str, out: list[Diagnostic]) -> str | None:
    """The bare word of `@kind(word)` / `@origin(word)`, or None with a diagnostic."""
    value = annotation.value
    allowed = list(allowed)
    if isinstance(value, Var) or value.args or value.pred not in allowed:
        shown = str(value)
        out.append(
            rule_diagnostic(
                f"unknown-{what}",
                f"unknown {what} `{shown}` in @{annotation.name}; expected one of {', '.join(allowed)}",
                value.location,
            )
        )
        return None
    return value.pred


def _about(annotation: Annotation, rule: Rule, out: list[Diagnostic]) -> About | None:
    value = annotation.value
    form = None if isinstance(value, Var) else ABOUT_FORMS.get(value.pred)
    if form is None or isinstance(value, Var):
        out.append(
            rule_diagnostic(
                "unknown-about",
                f"unknown @about form `{value if isinstance(value, Var) else value.pred}`; expected one of "
                + ", ".join(f"{f.name}({', '.join(f.params)})" if f.params else f.name for f in ABOUT_FORMS.values()),
                value.location,
            )
        )
        return None
    if value.arity != len(form.params):
        out.append(
            rule_diagnostic(
                "about-arity",
                f"@about({form.name}(...)) takes {len(form.params)} argument(s) "
                f"({', '.join(form.params) or 'none'}), not {value.arity}",
                value.location,
            )
        )
        return None
    positions = {a.name: i for i, a in reversed(list(enumerate(rule.head.args))) if isinstance(a, Var)}
    slots: list[Slot] = []
    ok = True
    for index, term in enumerate(value.args):
        if isinstance(term, Var):
            if term.anonymous or term.name not in positions:
                shown = "_" if term.anonymous else term.name
                out.append(
                    rule_diagnostic(
                        "about-variable",
                        f"@about names `{shown}`, which is not a variable of the head `{rule.head}`",
                        term.location,
                    )
                )
                ok = False
                continue
            slots.append(Slot(position=positions[term.name]))
        elif index == 0:
            out.append(
                rule_diagnostic(
                    "about-variable",
                    f"the package of @about({form.name}(...)) must be a variable of the head, not {term}",
                    term.location,
                )
            )
            ok = False
        else:
            assert isinstance(term, Const)
            slots.append(Slot(value=term.value))
    return About(form.name, tuple(slots)) if ok else None


def _target(annotation: Annotation, rule: Rule, out: list[Diagnostic]) -> Slot | None:
    """The head position `@target(T)` names: a bare variable of the head, never a constant (a
    conclusion for one named host would be an `if target` written in a rule)."""
    value = annotation.value
    positions = {a.name: i for i, a in reversed(list(enumerate(rule.head.args))) if isinstance(a, Var)}
    if not isinstance(value, Var) or value.anonymous or value.name not in positions:
        out.append(
            rule_diagnostic(
                "target-variable",
                f"@target names `{value}`, which is not a variable of the head `{rule.head}`; "
                "write the head variable that holds the target, e.g. @target(T)",
                value.location,
            )
        )
        return None
    return Slot(position=positions[value.name])


def rule_metadata(rule: Rule, out: list[Diagnostic]) -> ConclusionMeta | None:
    """The metadata one conclusion rule declares (defaults for what it leaves out); None when an
    annotation is invalid (the problem is appended to `out`)."""
    if not rule.annotations:
        return _default(rule)
    seen: dict[str, Annotation] = {}
    for annotation in rule.annotations:
        if annotation.name not in ANNOTATIONS:
            out.append(
                rule_diagnostic(
                    "unknown-annotation",
                    f"unknown annotation `@{annotation.name}`; expected "
                    + ", ".join(f"@{name}" for name in ANNOTATIONS),
                    annotation.location,
                )
            )
        elif annotation.name in seen:
            out.append(
                rule_diagnostic(
                    "duplicate-annotation",
                    f"`@{annotation.name}` is given twice (first at {seen[annotation.name].location})",
                    annotation.location,
                )
            )
        else:
            seen[annotation.name] = annotation
    before = len(out)
    default = _default(rule)
    kind = _word(seen["kind"], KINDS, "kind", out) if "kind" in seen else default.kind
    origin = _word(seen["origin"], CONCLUSION_ORIGINS, "origin", out) if "origin" in seen else None
    about = _about(seen["about"], rule, out) if "about" in seen else default.about
    target = _target(seen["target"], rule, out) if "target" in seen else None
    if len(out) > before or kind is None or about is None:
        return None
    return ConclusionMeta(kind, about, origin, True, target)


def conclusion_metadata(rules: Sequence[Rule]) -> tuple[dict[str, ConclusionMeta], list[Diagnostic]]:
    """Per conclusion predicate, its metadata; plus every problem: invalid annotations, an
    annotation on a rule or fact, and two rules of one predicate that declare different meanings
    (a rule without annotations takes the annotated one's)."""
    out: list[Diagnostic] = []
    metas: dict[str, ConclusionMeta] = {}
    first: dict[str, Rule] = {}
    for rule in rules:
        if not rule.is_conclusion:
            for annotation in rule.annotations:
                out.append(
                    rule_diagnostic(
                        "annotation-target",
                        f"`@{annotation.name}` describes a conclusion; it cannot annotate an ordinary "
                        f"{'rule' if rule.body else 'fact'}",
                        annotation.location,
                    )
                )
            continue
        meta = rule_metadata(rule, out)
        if meta is None:
            continue
        pred = rule.head.pred
        known = metas.get(pred)
        if known is None or (not known.declared and meta.declared):
            metas[pred], first[pred] = meta, rule
        elif meta.declared and _meaning(known) != _meaning(meta):
            out.append(
                rule_diagnostic(
                    "conclusion-metadata",
                    f"conclusion `{pred}` declares another meaning here than at {first[pred].location}",
                    rule.annotations[0].location,
                )
            )
    return metas, out


def _meaning(meta: ConclusionMeta) -> tuple:
    return (meta.kind, meta.about, meta.origin, meta.target)


def about_atom(about: About, args: Sequence[Var]) -> tuple:
    """The terms of `about` over the fresh variables `args` of a conclusion atom (desugaring)."""
    return tuple(
        args[s.position] if s.position is not None else Const(s.resolve(()), args[0].location) for s in about.slots
    )


__all__ = [
    "ABOUT_FORMS",
    "ABOUT_PREDICATE",
    "ANNOTATIONS",
    "CONCLUSION_ORIGINS",
    "DERIVED_ARITIES",
    "ITEM_DENIED",
    "KINDS",
    "KIND_PREDICATE",
    "ORIGINS",
    "TARGET_CONCLUSION",
    "TARGET_ITEM_DENIED",
    "About",
    "AboutForm",
    "ConclusionMeta",
    "Kind",
    "Origin",
    "Slot",
    "about_atom",
    "conclusion_metadata",
    "message_names_item",
]
