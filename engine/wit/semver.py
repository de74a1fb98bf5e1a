"""Semver precedence, to compare an `@since(version = v)` gate with its package's version."""

from __future__ import annotations


def _idents(text: str) -> tuple:
    # numeric identifiers sort before alphanumeric ones, numerically among themselves
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in text.split(".")) if text else ()


def version_key(version: str) -> tuple:
    """Sort key of a (valid) semver string: a pre-release sorts before its release; build
    metadata only breaks ties, as in the Rust `semver` crate wit-parser uses."""
    core, _, build = version.partition("+")
    core, _, pre = core.partition("-")
    major, minor, patch = (int(x) for x in core.split("."))
    return (major, minor, patch, 0 if pre else 1, _idents(pre), _idents(build))


def newer(version: str, than: str) -> bool:
    return version_key(version) > version_key(than)
