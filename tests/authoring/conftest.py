"""Fixtures for the authoring tests: templates written by the real `new`; the one componentize-py
build of the python-instance template per session is `python_instance_built` (tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def python_instance(python_instance_built, tmp_path) -> Path:
    copy = tmp_path / "python-instance"
    shutil.copytree(python_instance_built, copy)
    return copy


@pytest.fixture
def user_home(tmp_path, monkeypatch) -> Path:
    """No user-store packages from this machine leak into a workspace (subprocesses inherit it)."""
    home = tmp_path / "xdg-data"
    home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home
