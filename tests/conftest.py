"""Shared pytest fixtures. Subfolders keep their own conftest.py for their own fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Keep the suite hermetic: derived-data caches (engine/cache.py) go to a fresh private folder,
# never to the user's own cache, and subprocesses inherit the setting.
_CACHE = tempfile.TemporaryDirectory(prefix="yoi-test-cache-")  # removed when the run ends
os.environ["YOI_CACHE"] = _CACHE.name

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_ROOT.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _remove_deep_trees():
    """Deep test trees go at the end of the run, before pytest's recursive clean-up meets them."""
    yield
    from hostile import remove_deep_trees

    remove_deep_trees()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT
