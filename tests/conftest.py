"""Shared pytest fixtures. Subfolders keep their own conftest.py for their own fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Keep the suite hermetic: derived-data caches (engine/cache.py) go to a fresh private folder,
# never to the user's own cache, and subprocesses inherit the setting. Verdicts are cached there
# too (engine/verdict/cached.py), keyed by every input: a test that patches engine internals
# (not inputs) and then checks a package another test checked should set YOI_CACHE=off.
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


def _built_template(tmp_path_factory, template: str, plugin_id: str) -> Path:
    """A package folder made from `template` with `plugin_id`, built with componentize-py."""
    pytest.importorskip("componentize_py", reason="building a Python guest needs componentize-py")
    from engine.authoring.build import build
    from engine.authoring.new import create

    folder = tmp_path_factory.mktemp("python-build") / template
    create(template, str(folder), plugin_id)
    build(str(folder))
    return folder


@pytest.fixture(scope="session")
def python_instance_built(tmp_path_factory) -> Path:
    """A python-instance package built once per session with componentize-py (seconds, 18 MB);
    shared by the authoring and artifact tests. Copy it before changing it."""
    return _built_template(tmp_path_factory, "python-instance", "acme.py_counter")


@pytest.fixture(scope="session")
def python_service_built(tmp_path_factory) -> Path:
    """A python-service package built once per session with componentize-py. The artifact does
    not hold the WebSocket URL (plugin.toml does), so tests point a copy at their own server."""
    return _built_template(tmp_path_factory, "python-service", "acme.py_socket")


@pytest.fixture(scope="session")
def python_tool_reproducibility(tmp_path_factory):
    """The python-tool template built with `--check-reproducible` (two componentize-py builds)
    once per session: its BuildResult. The reproducibility tests read the comparison, others the
    built folder (`python_tool_built`)."""
    pytest.importorskip("componentize_py", reason="building a Python guest needs componentize-py")
    from engine.authoring.build import build
    from engine.authoring.new import create

    folder = tmp_path_factory.mktemp("python-build") / "python-tool"
    create("python-tool", str(folder))
    return build(str(folder), check_reproducible=True)


@pytest.fixture(scope="session")
def python_tool_built(python_tool_reproducibility) -> Path:
    """The session's python-tool package (built by `python_tool_reproducibility`). Copy it before
    changing it."""
    return Path(python_tool_reproducibility.directory)
