"""Fixtures for the WIT tests: write WIT text to real files and resolve them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest


@pytest.fixture(scope="session", autouse=True)
def private_grammar_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep the WIT tests from writing the grammar cache into the user's home."""
    from engine.wit.grammar_cache import ENV_VAR

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(tmp_path_factory.mktemp("wit-cache") / "cache"))
        yield


@pytest.fixture
def write_wit(tmp_path: Path) -> Callable[..., Path]:
    """write_wit(text, name="t.wit") -> path of a real file holding the dedented text."""

    def write(text: str, name: str = "t.wit") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
