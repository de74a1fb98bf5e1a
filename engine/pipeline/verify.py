"""`yoi plugin verify`: a package's signatures (and provenance) judged by rules/signatures.rules.

verify asks one question, "is this package signed by a key I trust?", so it judges the package
as if `require_signature = true`, with the trusted keys of a config and/or public key files, and
evaluates the built-in signature rules alone (not the whole rule set: a package that `check`
would reject for its grants can still be verified). The verdict is the rules': any `deny` fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from engine.package.model import Package
from engine.provenance.inspect import PackageTrust, inspect_package
from engine.provenance.rebuild import Rebuild
from engine.provenance.trust import TrustedKey, TrustSettings

if TYPE_CHECKING:
    from engine.datalog.program import Conclusion, Program

SIGNATURE_RULES = "signatures.rules"


@dataclass(frozen=True)
class Verification:
    package: Package
    trust: PackageTrust
    conclusions: tuple[Conclusion, ...]
    rebuild: Rebuild | None = None

    @property
    def signed(self) -> bool:
        return not any(c.severity == "deny" for c in self.conclusions)

    @property
    def passed(self) -> bool:
        return self.signed and (self.rebuild is None or self.rebuild.matches)


def merged_trust(settings: TrustSettings, extra: tuple[TrustedKey, ...]) -> TrustSettings:
    """`settings` required, with `extra` keys added (a key the config lists keeps its settings)."""
    known = {k.id for k in settings.keys}
    keys = settings.keys + tuple(k for k in extra if k.id not in known)
    return TrustSettings(require_signature=True, keys=keys, present=True)


@lru_cache(maxsize=1)
def _program() -> Program:
    from engine import datalog
    from engine.graph.facts import schema_arities
    from engine.resources import rules_dir

    return datalog.load([rules_dir() / SIGNATURE_RULES], inputs=schema_arities())


def judge(package: Package, trust: PackageTrust) -> tuple[Conclusion, ...]:
    """The conclusions of rules/signatures.rules about `package` under `trust`."""
    from engine.graph.build import build_graph
    from engine.graph.facts import export_facts
    from engine.graph.inputs import Subject

    subject = Subject(ref=package.identity, mode="check", trust=trust)
    result = _program().evaluate(export_facts(build_graph([subject])))
    return tuple(result.conclusions)


def verify_package(
    package: Package,
    settings: TrustSettings,
    *,
    package_path: str,
    signature_path: str | None = None,
    rebuild_source: str | None = None,
    timeout: float = 600.0,
) -> Verification:
    trust = inspect_package(package, settings, package_path=package_path, signature_path=signature_path)
    trust = replace(trust, required=True)
    rebuilt = None
    if rebuild_source is not None:
        from engine.provenance.rebuild import rebuild_and_compare

        rebuilt = rebuild_and_compare(rebuild_source, package, timeout)
    return Verification(package, trust, judge(package, trust), rebuilt)
