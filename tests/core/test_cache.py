"""The private cache: used only when it and its entries belong to us and nobody else can write."""

from __future__ import annotations

import os
import pickle

import pytest

from engine import cache


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(root))
    return root


def test_round_trip_creates_a_private_folder(cache_root):
    cache.write_private("entry.json", b"{}")
    assert cache.read_private("entry.json") == b"{}"
    assert (cache_root.stat().st_mode & 0o777) == 0o700
    assert ((cache_root / "entry.json").stat().st_mode & 0o777) == 0o600


def test_off_disables_reads_and_writes(monkeypatch, tmp_path):
    monkeypatch.setenv(cache.ENV_VAR, "off")
    cache.write_private("entry.json", b"x")
    assert cache.read_private("entry.json") is None
    assert cache.cache_dir() is None


def test_group_writable_folder_or_entry_is_ignored(cache_root):
    cache.write_private("entry.json", b"x")
    os.chmod(cache_root / "entry.json", 0o664)
    assert cache.read_private("entry.json") is None
    os.chmod(cache_root / "entry.json", 0o600)
    os.chmod(cache_root, 0o777)
    assert cache.read_private("entry.json") is None
    cache.write_private("other.json", b"y")
    assert not (cache_root / "other.json").exists()


def test_symlinked_entry_is_not_followed(cache_root, tmp_path):
    cache.write_private("entry.json", b"x")
    target = tmp_path / "elsewhere"
    target.write_bytes(b"planted")
    (cache_root / "link.json").symlink_to(target)
    assert cache.read_private("link.json") is None


def test_keys_change_with_every_part():
    assert cache.cache_key("a", "b") != cache.cache_key("a", "c")
    assert cache.cache_key("a", b"b") == cache.cache_key("a", "b")


# Each fails differently inside Program.from_snapshot (UnpicklingError, EOFError, TypeError,
# ValueError): the reason its caller catches any exception.
DAMAGE = [b"garbage", None, pickle.dumps(42), pickle.dumps((1, 2))]


@pytest.mark.parametrize("damage", DAMAGE, ids=["garbage", "truncated", "not-a-tuple", "wrong-shape"])
def test_a_corrupt_rules_cache_entry_is_rebuilt_and_replaced(cache_root, damage):
    from engine.datalog import load
    from engine.resources import rules_dir

    first = load([rules_dir()])
    (entry,) = cache_root.glob("program-*.pickle")
    good = entry.read_bytes()
    entry.write_bytes(good[: len(good) // 2] if damage is None else damage)
    again = load([rules_dir()])
    assert again.statements == first.statements
    assert entry.read_bytes() == good  # the rebuilt program is stored again


def test_a_failed_write_leaves_no_temporary_file(cache_root):
    cache.write_private("entry.json", b"x")
    (cache_root / "taken").mkdir()  # os.replace cannot put a file over a folder
    cache.write_private("taken", b"y")
    assert sorted(path.name for path in cache_root.iterdir()) == ["entry.json", "taken"]
    assert (cache_root / "taken").is_dir()
