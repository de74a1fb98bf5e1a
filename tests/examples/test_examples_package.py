"""The examples are valid packages for the package and grants layers, and their artifacts
inspect as the form their runtime declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.artifact import inspect_artifact

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = {
    "raw-echo": ("example.raw-echo", "core", ("raw_echo",), (), ()),
    "component-echo": ("example.component-echo", "component", ("component_echo",), (), ()),
    "instance-counter": ("example.counter", "component", ("counter",), ("counter-service",), ("counter-events",)),
}


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_example_loads_as_a_package(folder):
    materialize = pytest.importorskip("engine.package.materialize")
    package = materialize.load_package_path(EXAMPLES / folder, source="project")
    local_id, form, tools, services, ingresses = EXPECTED[folder]
    manifest = package.manifest
    assert package.identity == f"project:{local_id}"
    assert tuple(t.name for t in manifest.tools) == tools
    assert tuple(s.name for s in manifest.services) == services
    assert tuple(i.name for i in manifest.ingresses) == ingresses
    artifact = package.files[manifest.runtime.artifact_path]
    assert inspect_artifact(artifact).form == form


def test_workspace_resolves_every_example_without_diagnostics():
    discovery = pytest.importorskip("engine.package.discovery")
    config = pytest.importorskip("engine.grants.config")
    resolve = pytest.importorskip("engine.grants.resolve")
    found = discovery.discover(EXAMPLES / "workspace", user_data_home=None)
    assert found.diagnostics == ()
    enabled = config.load_config(EXAMPLES / "workspace" / ".yoi" / "config.toml").enabled
    resolution = resolve.resolve(enabled, found.packages)
    assert resolution.diagnostics == ()
    assert {r.ref: r.enabled_surfaces for r in resolution.records} == {
        "project:example.raw-echo": ("tool",),
        "project:example.component-echo": ("tool",),
        "project:example.counter": ("tool", "service", "ingress"),
    }
    for record in resolution.records:
        assert resolve.binding_error(record.grants, record.package) is None
