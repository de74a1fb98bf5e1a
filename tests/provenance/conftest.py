"""Fixtures for signatures and provenance (helpers in tests/support/signing.py)."""

from __future__ import annotations

import pytest
from signing import Workspace

from engine.provenance.keys import KeyPair, generate_key_pair


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> dict[str, KeyPair]:
    """Four key pairs: `old` and `new` (a rotation), `other` (nobody trusts it), `second`."""
    folder = tmp_path_factory.mktemp("keys")
    return {name: generate_key_pair(folder / name) for name in ("old", "new", "other", "second")}


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Workspace:
    """An empty workspace with an empty user store (whatever this machine holds)."""
    home = tmp_path / "xdg-data"
    home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    root = tmp_path / "ws"
    (root / ".yoi" / "plugins").mkdir(parents=True)
    return Workspace(root, [])
