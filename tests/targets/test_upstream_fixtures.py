"""Upstream's own template manifests (tests/targets/upstream/, see PROVENANCE.md): each copy is
the upstream blob byte for byte, parses, and has the shape its commit's profile reads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from engine.grants.url_targets import WEBSOCKET, UrlTarget, authorize_url, inspect, parse_url
from engine.targets import bundled_targets
from engine.wit.variants import git_blob_id

HERE = Path(__file__).resolve().parent / "upstream"
ROWS = re.findall(r"^\| `([^`]+)` \| ([0-9a-f]{40}) \| `([^`]+)` \| ([0-9a-f]{40}) \|$",
                  (HERE / "PROVENANCE.md").read_text(), re.M)


def test_provenance_lists_every_file():
    files = [p for p in HERE.rglob("*") if p.is_file() and p.name != "PROVENANCE.md"]
    assert sorted(row[0] for row in ROWS) == sorted(p.relative_to(HERE).as_posix() for p in files)


@pytest.mark.parametrize(("path", "commit", "upstream_path", "blob"), ROWS, ids=[r[0] for r in ROWS])
def test_each_copy_is_the_upstream_blob(path, commit, upstream_path, blob):
    data = (HERE / path).read_bytes()
    assert git_blob_id(data) == blob
    assert path.startswith(commit[:8]) and upstream_path.endswith(path.split("/", 1)[1])


@pytest.mark.parametrize(("path", "readers"), [
    ("b12e0785/rust-component-tool/plugin.toml", {"yoi@43c9216e", "yoi@b12e0785", "engine"}),
    ("b12e0785/rust-component-instance/plugin.toml", {"yoi@b12e0785", "engine"}),
    ("43c9216e/rust-component-instance/plugin.toml", {"yoi@43c9216e", "yoi@b12e0785", "engine"}),
])
def test_which_targets_read_each_manifest(path, readers):
    """cur §10 row 17: the service template parses only at b12e0785; the tool template at both."""
    manifest = tomllib.loads((HERE / path).read_text())
    apis = {p["api"] for p in manifest["permissions"] if p["kind"] == "host_api"}
    reading = {
        profile.name for profile in bundled_targets().profiles
        if set(manifest) <= set(profile.manifest_keys) and apis <= {api.name for api in profile.host_apis}
    }
    assert reading == readers


def test_the_service_template_checks_as_upstream_does():
    """cur §4.2: with check's empty grants the service template's websocket target is missing
    its grant; with a grant equal to its target its own source URL is allowed."""
    manifest = tomllib.loads((HERE / "b12e0785" / "rust-component-instance" / "plugin.toml").read_text())
    targets = [UrlTarget.of(WEBSOCKET, t) for t in manifest["websocket"]]
    assert [e.diagnostic for e in inspect(WEBSOCKET, targets, [])] == ["missing enabled WebSocket grant for manifest target"]
    source = manifest["ingresses"][0]["sources"][0].removeprefix("websocket:")
    assert authorize_url(WEBSOCKET, parse_url(source), "", targets, targets) is None
