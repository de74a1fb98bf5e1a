"""The RunVerdict is built once, typed and plainly serializable (issue 16 point 2): later stages
(a verdict cache, a host) can store it as it is, and its outcome is the only place an exit code
of a review command is decided."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

from engine.errors import ErrorKind
from engine.verdict.model import GATE_VIEW, PER_SURFACE_VIEW
from engine.verdict.run import check_verdict, workspace_verdict

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "examples" / "workspace"


def test_a_verdict_pickles_and_serializes_as_plain_data(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    verdict = workspace_verdict(WORKSPACE, None, [ROOT / "policy"])
    assert pickle.loads(pickle.dumps(verdict)) == verdict
    text = json.dumps(dataclasses.asdict(verdict))  # only JSON types inside: no live object, no bytes
    assert '"project:example.counter"' in text and "surface_not_granted" in text
    counter = verdict.package("project:example.counter")
    assert counter is not None and counter.status == "partial" and counter.gate_status == "rejected"
    [finding] = counter.conclusions
    assert (finding.kind, finding.about.subject, finding.about.surface, finding.origin) == (
        "grant", "item", "ingress", "manifest")
    ingress = next(item for item in counter.items if item.surface == "ingress")
    assert ingress.findings == (0,) and not ingress.eligible
    assert [p.ref for p in verdict.plans] == [p.ref for p in verdict.startable_plans]


def test_the_outcome_depends_on_the_view_and_fail_on():
    verdict = check_verdict(ROOT / "examples" / "instance-counter", WORKSPACE / ".yoi" / "config.toml")
    gate = verdict.outcome(GATE_VIEW, "deny")
    assert gate.failed and gate.reasons == ("status rejected", "1 deny conclusion(s) with --fail-on deny")
    assert gate.error_kind == ErrorKind.REJECTED  # the CLI maps it to exit 1 (engine/cli/exits.py)
    assert not verdict.outcome(PER_SURFACE_VIEW).failed  # partial: good surfaces start
    per_surface = verdict.outcome(PER_SURFACE_VIEW, "warn")
    assert per_surface.reasons == ("1 deny conclusion(s) with --fail-on warn",)
