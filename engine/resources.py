"""Locate the data folders (`rules/`, `policy/`, `wit/`, `examples/`, `templates/`, `targets/`) that ship with
the engine.

Installed from a wheel they live in `engine/_data/<name>`; run from a checkout (or an editable
install) they are the top-level folders beside the `engine/` package. One lookup serves both.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
DATA_FOLDERS = ("rules", "policy", "wit", "examples", "templates", "targets")


@cache
def data_dir(name: str) -> Path:
    """Return the folder for data set `name`, preferring the installed copy."""
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}")
    installed = _PACKAGE_DIR / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / name


def rules_dir() -> Path:
    return data_dir("rules")


def policy_dir() -> Path:
    return data_dir("policy")


def wit_dir() -> Path:
    return data_dir("wit")


def examples_dir() -> Path:
    return data_dir("examples")
