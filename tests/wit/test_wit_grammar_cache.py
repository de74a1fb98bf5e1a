"""The on-disk grammar cache is only used from a private, user-owned folder."""

from __future__ import annotations

import os
import stat

import pytest

from engine import cache
from engine.wit import grammar_cache
from engine.wit.parser import GRAMMAR_PATH, Builder

GRAMMAR = GRAMMAR_PATH.read_text(encoding="utf-8")
SAMPLE = "package a:b;\ninterface i { f: func(x: list<u8>) -> string; }\n"

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="ownership checks need POSIX")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(grammar_cache.ENV_VAR, str(folder))
    return folder


def test_cache_is_written_private_and_reused(cache_dir):
    parser = grammar_cache.load_or_build(GRAMMAR, Builder())
    path = grammar_cache.cache_file(GRAMMAR)
    assert path.parent == cache_dir and path.is_file()
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    loaded = grammar_cache._load(path, Builder())
    assert loaded is not None
    assert loaded.parse(SAMPLE) == parser.parse(SAMPLE)


def test_group_writable_cache_file_is_not_loaded(cache_dir):
    grammar_cache.load_or_build(GRAMMAR, Builder())
    path = grammar_cache.cache_file(GRAMMAR)
    path.chmod(0o666)
    assert grammar_cache._load(path, Builder()) is None
    # the next build replaces it with a private file
    grammar_cache.load_or_build(GRAMMAR, Builder())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_world_writable_folder_is_neither_read_nor_written(cache_dir):
    cache_dir.mkdir(mode=0o777)
    cache_dir.chmod(0o777)
    grammar_cache.load_or_build(GRAMMAR, Builder())
    assert not any(cache_dir.iterdir())


def test_corrupt_cache_is_ignored(cache_dir):
    grammar_cache.load_or_build(GRAMMAR, Builder())
    path = grammar_cache.cache_file(GRAMMAR)
    path.write_bytes(b"not a pickle")
    path.chmod(0o600)
    assert grammar_cache._load(path, Builder()) is None
    parser = grammar_cache.load_or_build(GRAMMAR, Builder())
    assert parser.parse(SAMPLE)


def test_altered_cache_that_still_unpickles_is_refused(cache_dir):
    """Renaming the `interface` keyword inside the pickle leaves a loadable but wrong parser;
    the checksum in front of the pickle must catch it before lark sees it."""
    grammar_cache.load_or_build(GRAMMAR, Builder())
    path = grammar_cache.cache_file(GRAMMAR)
    data = path.read_bytes()
    keyword = b"\x8c\tinterface"  # the pickled string "interface", as the INTERFACE terminal stores it
    assert keyword in data
    path.write_bytes(data.replace(keyword, b"\x8c\tinterfacf"))
    path.chmod(0o600)
    assert grammar_cache._load(path, Builder()) is None
    parser = grammar_cache.load_or_build(GRAMMAR, Builder())
    assert parser.parse(SAMPLE)
    assert grammar_cache._load(path, Builder()).parse(SAMPLE) == parser.parse(SAMPLE)  # rewritten intact


def test_truncated_cache_is_refused(cache_dir):
    grammar_cache.load_or_build(GRAMMAR, Builder())
    path = grammar_cache.cache_file(GRAMMAR)
    data = path.read_bytes()
    for size in (0, 16, 32, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:size])
        path.chmod(0o600)
        assert grammar_cache._load(path, Builder()) is None


def test_symlinked_cache_file_is_not_followed(cache_dir, tmp_path):
    grammar_cache.load_or_build(GRAMMAR, Builder())
    path = grammar_cache.cache_file(GRAMMAR)
    real = tmp_path / "elsewhere.lark"
    path.rename(real)
    path.symlink_to(real)
    assert grammar_cache._load(path, Builder()) is None


def test_cache_can_be_switched_off(monkeypatch):
    monkeypatch.setenv(grammar_cache.ENV_VAR, "off")
    assert grammar_cache.cache_file(GRAMMAR) is None
    assert grammar_cache.load_or_build(GRAMMAR, Builder()).parse(SAMPLE)


def test_engine_wide_setting_applies_when_ours_is_unset(monkeypatch, tmp_path):
    monkeypatch.delenv(grammar_cache.ENV_VAR, raising=False)
    monkeypatch.setenv(cache.ENV_VAR, "off")
    assert grammar_cache.cache_file(GRAMMAR) is None
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "shared"))
    assert grammar_cache.cache_file(GRAMMAR).parent == tmp_path / "shared"
