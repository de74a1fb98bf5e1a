"""Comparison and test builtins: total functions, a type mismatch is false, never an error."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TypeVar

from engine.datalog.ast import Value


def compile_regex(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or the error text (a literal bad pattern is a load error)."""
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError) as err:
        return str(err)


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str] | None:
    compiled = compile_regex(pattern)
    return compiled if isinstance(compiled, re.Pattern) else None


def startswith(s: Value, prefix: Value) -> bool:
    return type(s) is str and type(prefix) is str and s.startswith(prefix)


def endswith(s: Value, suffix: Value) -> bool:
    return type(s) is str and type(suffix) is str and s.endswith(suffix)


def contains(s: Value, sub: Value) -> bool:
    return type(s) is str and type(sub) is str and sub in s


def glob(s: Value, pattern: Value) -> bool:
    return type(s) is str and type(pattern) is str and fnmatchcase(s, pattern)


def regex(s: Value, pattern: Value) -> bool:
    """`re.search`; a pattern only known at run time that does not compile matches nothing."""
    if type(s) is not str or type(pattern) is not str:
        return False
    compiled = _regex(pattern)
    return compiled is not None and compiled.search(s) is not None


FUNCTIONS = {
    "startswith": startswith,
    "endswith": endswith,
    "contains": contains,
    "glob": glob,
    "regex": regex,
}


def compare(op: str, left: Value, right: Value) -> bool:
    """`=`/`!=` are value (in)equality; ordering holds only between two ints or two strings."""
    if op == "=":
        return type(left) is type(right) and left == right
    if op == "!=":
        return not (type(left) is type(right) and left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, str) and isinstance(right, str):
        return _ordered(op, left, right)
    if isinstance(left, int) and isinstance(right, int):
        return _ordered(op, left, right)
    return False


_Ordered = TypeVar("_Ordered", str, int)


def _ordered(op: str, left: _Ordered, right: _Ordered) -> bool:
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right
