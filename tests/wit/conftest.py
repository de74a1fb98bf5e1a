"""Fixtures for the WIT tests: write WIT text to real files and resolve them."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Callable

import pytest


@pytest.fixture
def write_wit(tmp_path: Path) -> Callable[..., Path]:
    """write_wit(text, name="t.wit") -> path of a real file holding the dedented text."""

    def write(text: str, name: str = "t.wit") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write
