"""The manifest shown in docs/authoring.md is one that `check` accepts."""

from __future__ import annotations

import re
from pathlib import Path

from rule_cases import check_path

ROOT = Path(__file__).resolve().parents[2]


def test_authoring_guide_manifest_checks_active(tmp_path):
    text = (ROOT / "docs" / "authoring.md").read_text()
    manifest = re.search(r"## The manifest\n\n```toml\n(.*?)```", text, re.S).group(1)
    (tmp_path / "plugin.toml").write_text(manifest)
    artifact = ROOT / "examples" / "instance-counter" / "counter.component.wasm"
    (tmp_path / "counter.component.wasm").write_bytes(artifact.read_bytes())
    report = check_path(tmp_path)
    assert report["status"] == "active", report["diagnostics"]
    assert report["classification"] == "instance"
