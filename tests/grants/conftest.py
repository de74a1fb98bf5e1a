"""Fixtures for the grants tests: real Package values built from engine.package.model."""

from __future__ import annotations

import pytest

from engine.package.digest import package_digest
from engine.package.model import Hook, Manifest, Package, Runtime, Tool


def build_package(
    local_id: str = "example",
    *,
    source: str = "project",
    version: str = "1.0.0",
    surfaces: tuple[str, ...] = (),
    hooks: tuple[Hook, ...] = (),
    tools: tuple[Tool, ...] = (),
    runtime: Runtime | None = None,
    label: str | None = None,
    salt: str = "",
) -> Package:
    manifest = Manifest(
        schema_version=1, id=local_id, name=local_id, version=version,
        surfaces=surfaces, hooks=hooks, tools=tools, runtime=runtime,
    )
    files = {
        "plugin.toml": f'schema_version = 1\nid = "{local_id}"\nversion = "{version}"\n# {salt}\n'.encode(),
        "hooks/a.md": b"hook",
    }
    return Package(
        source=source, manifest=manifest, digest=package_digest(files), files=files,
        path=f"/stores/{source}/{label or local_id}.yoi-plugin", label=label or f"{local_id}.yoi-plugin",
    )


@pytest.fixture
def make_package():
    return build_package
