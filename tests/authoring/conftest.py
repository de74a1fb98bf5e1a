"""Fixtures for the authoring tests: templates written by the real `new`, and one componentize-py
build of the python-instance template per session (a build takes seconds and 18 MB)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.authoring.build import build
from engine.authoring.new import create


@pytest.fixture(scope="session")
def python_instance_built(tmp_path_factory) -> Path:
    """A python-instance package built once with componentize-py; copy it before changing it."""
    folder = tmp_path_factory.mktemp("python-build") / "python-instance"
    create("python-instance", str(folder), "acme.py_counter")
    build(str(folder))
    return folder


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
