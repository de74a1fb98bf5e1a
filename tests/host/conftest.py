"""Fixtures for the host tests: an empty user store and a workspace enabling the examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from example_workspace import EXAMPLE_GRANTS, enablement, write_config


@pytest.fixture
def user_home(tmp_path, monkeypatch) -> Path:
    """An empty user store, whatever this machine holds (subprocesses inherit it)."""
    home = tmp_path / "xdg-data"
    home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def workspace(tmp_path, user_home) -> Path:
    """A workspace enabling all three examples with every grant they request."""
    root = tmp_path / "ws"
    root.mkdir()
    write_config(root, *(enablement(folder) for folder in EXAMPLE_GRANTS))
    return root

