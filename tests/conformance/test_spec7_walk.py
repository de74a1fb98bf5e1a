"""Issue 18 point 7: every test of the reference's acceptance list (spec §7) is either covered by a
named test of ours or a written departure. The mapping is data (spec7_tests.toml, beside this
file); this walk keeps it honest: it names exactly the spec's tests, each covering test exists
in the suite, and each departure is listed in docs/reference-differences.md."""

from __future__ import annotations

import ast
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT.parent / "shared" / "reference" / "yoi-plugin-spec.md"
MAPPING = tomllib.loads((Path(__file__).with_name("spec7_tests.toml")).read_text(encoding="utf-8"))
COVERED: dict[str, list[str]] = MAPPING["covered"]
DEPARTURES: dict[str, str] = MAPPING["departures"]
DIFFERENCES = ROOT / "docs" / "reference-differences.md"


def spec_test_names(text: str) -> list[str]:
    """The test names of spec §7: the snake_case names in backticks (at least three words, not
    ending in a digit, which rules out `wasi_snapshot_preview1`, an import module)."""
    section = text[text.index("## 7. Tests"):text.index("## 8.")]
    names = re.findall(r"`([a-z][a-z0-9_]*)`", section)
    return list(dict.fromkeys(n for n in names if n.count("_") >= 2 and not n[-1].isdigit()))


@cache
def _test_functions(path: str) -> frozenset[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"))


def test_the_mapping_names_exactly_the_spec_tests():
    if not SPEC.is_file():
        pytest.skip(f"the reference spec is not beside this checkout ({SPEC})")
    names = spec_test_names(SPEC.read_text(encoding="utf-8"))
    assert len(names) == 115
    mapped = set(COVERED) | set(DEPARTURES)
    assert not set(COVERED) & set(DEPARTURES), "a test is either covered or a departure, not both"
    assert sorted(set(names) - mapped) == [], "spec tests with no entry"
    assert sorted(mapped - set(names)) == [], "entries that name no spec test"


@pytest.mark.parametrize("name", sorted(COVERED))
def test_each_covered_spec_test_names_existing_tests_of_ours(name):
    ours = COVERED[name]
    assert ours, name
    for node in ours:
        path, _, function = node.partition("::")
        assert (ROOT / path).is_file(), node
        assert function in _test_functions(path), node


@pytest.mark.parametrize("name", sorted(DEPARTURES))
def test_each_departure_is_written_down(name):
    assert DEPARTURES[name].strip(), name
    assert f"`{name}`" in DIFFERENCES.read_text(encoding="utf-8"), f"{name} is not in {DIFFERENCES.name}"
