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
    assert sorted(path.name for path in cache_root.iterdir()) == ["entry.json", cache.MAC_KEY_FILE, "taken"]
    assert (cache_root / "taken").is_dir()


def test_every_entry_carries_a_mac_and_a_swapped_entry_is_discarded(cache_root):
    """Issue 17 point 2: an owner-only file at a key is not enough. Another entry's valid file
    copied over a key fails the MAC (which covers the key material), is removed, and reads as
    absent, so the caller rebuilds it."""
    cache.write_private("a.pickle", pickle.dumps("a"))
    cache.write_private("b.pickle", pickle.dumps("b"))
    assert pickle.loads(cache.read_private("a.pickle")) == "a"
    os.replace(cache_root / "b.pickle", cache_root / "a.pickle")
    assert cache.read_private("a.pickle") is None
    assert not (cache_root / "a.pickle").exists()
    (cache_root / "c.pickle").write_bytes(pickle.dumps("planted"))  # owner-only, no MAC
    os.chmod(cache_root / "c.pickle", 0o600)
    assert cache.read_private("c.pickle") is None


def test_a_swapped_rule_program_is_rebuilt_not_unpickled(cache_root, tmp_path):
    """The real attack on the derived-data cache: the pickled program of one policy copied over
    the entry of another is never unpickled; the program is rebuilt from its own sources."""
    from engine.datalog import load
    from engine.resources import rules_dir

    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "org.rules").write_text('deny org_all(P) "all" :- package(P, _, _, _, _).\n')
    plain = load([rules_dir()])
    (plain_entry,) = cache_root.glob("program-*.pickle")
    with_policy = load([rules_dir(), policy])
    (policy_entry,) = set(cache_root.glob("program-*.pickle")) - {plain_entry}
    os.replace(plain_entry, policy_entry)  # the program without the org deny, at the org's key
    again = load([rules_dir(), policy])
    assert again.statements == with_policy.statements != plain.statements


def test_the_key_file_is_created_once_and_must_be_owner_only(cache_root):
    cache.write_private("entry", b"x")
    key = (cache_root / cache.MAC_KEY_FILE).read_bytes()
    cache.write_private("other", b"y")
    assert (cache_root / cache.MAC_KEY_FILE).read_bytes() == key and len(key) == 32
    assert ((cache_root / cache.MAC_KEY_FILE).stat().st_mode & 0o777) == 0o600
    os.chmod(cache_root / cache.MAC_KEY_FILE, 0o644)
    assert cache.read_private("entry") is None
    cache.write_private("third", b"z")
    assert not (cache_root / "third").exists()
