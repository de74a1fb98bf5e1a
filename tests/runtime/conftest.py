"""Fixtures for runtime tests: a registry factory that closes what it made, with a private
compiled-artifact cache per test."""

from __future__ import annotations

import pytest

from engine.runtime import HostConfig, PluginInstanceRegistry


@pytest.fixture
def make_registry(tmp_path):
    made = []

    def factory(plans, **kwargs):
        kwargs.setdefault("host", HostConfig(cache_dir=tmp_path / "compiled"))
        registry = PluginInstanceRegistry(plans, **kwargs)
        made.append(registry)
        return registry

    yield factory
    for registry in made:
        registry.close()

