"""Loading target profiles: schema errors, hostile files and inconsistent sets are clear
TargetErrors naming the file and the key, never a traceback or a hang."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine.resources import data_dir
from engine.targets import TargetError, load_profile, load_registry
from engine.targets.load import MAX_PROFILE_BYTES, parse_profile
from engine.targets.registry import MAX_PROFILES

BUNDLED = data_dir("targets")
OLD_TEXT = (BUNDLED / "yoi@43c9216e.toml").read_text()
CURRENT_TEXT = (BUNDLED / "yoi@b12e0785.toml").read_text()
ENGINE_TEXT = (BUNDLED / "engine.toml").read_text()
VARIANTS = ("yoi@43c9216e", "yoi@b12e0785")


def write_set(folder, texts):
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.toml").write_text(text)
    return folder


def bundled_set(folder, **changes):
    texts = {"yoi@43c9216e": OLD_TEXT, "yoi@b12e0785": CURRENT_TEXT, "engine": ENGINE_TEXT}
    texts.update(changes)
    return write_set(folder, {k: v for k, v in texts.items() if v is not None})


def test_a_copy_of_the_bundled_set_loads_the_same(tmp_path):
    from engine.targets import bundled_targets

    copy = load_registry(bundled_set(tmp_path / "t"), VARIANTS)
    assert [(p.name, p.runtimes, p.limits, p.flags) for p in copy.profiles] == [
        (p.name, p.runtimes, p.limits, p.flags) for p in bundled_targets().profiles
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("fuel = 5000000", 'fuel = "lots"'), "key `limits.fuel` must be an integer"),
        (lambda t: t.replace("fuel = 5000000", "fuel = true"), "key `limits.fuel` must be an integer"),
        (lambda t: t.replace("fuel = 5000000", "fuel = -1"), "key `limits.fuel` is out of range"),
        (lambda t: t.replace("fuel = 5000000", ""), "key `limits.fuel` is required"),
        (lambda t: t.replace("ssrf_protection = true", ""), "key `flags.ssrf_protection` is required"),
        (lambda t: t.replace("[flags]", "[flags]\nteleport = true"), "key `flags.teleport` is not allowed"),
        (lambda t: t.replace('kind = "wasm"\n', 'kind = "wasm-3"\n'), "must be one of: wasm, wasm-component"),
        (lambda t: t.replace('form = "core"', 'form = "native"'), "must be one of: core, component"),
        (lambda t: t.replace("schema_version = 1", "schema_version = 2"), "key `schema_version` must be one of: 1"),
        (lambda t: t.replace('name = "yoi@43c9216e"', 'name = "Yoi Old"'), "key `name` is not a valid name"),
        (lambda t: "extra = 1\n" + t, "key `extra` is not allowed"),
        (lambda t: t + "\nextra = 1\n", "key `flags.extra` is not allowed"),
        (lambda t: t.replace("[lifecycle]", "[lifecycle]\nstates = 3\n[x]"), "key `lifecycle.states` must be an array"),
        (lambda t: t + "\n[flags]\n", "could not be parsed as TOML"),
        (lambda t: t.replace('abi = "yoi-plugin-wasm-1"', 'world = "yoi:plugin/tool@1.0.0"'),
         "a `wasm` runtime names its `abi` and nothing else"),
        (lambda t: t.replace("retired_kinds = []", 'retired_kinds = ["wasm"]'), "both accepted and retired"),
        (lambda t: t.replace("aliases = []", 'aliases = ["all"]'), "`all` and the profile's own name cannot"),
        (lambda t: t.replace("aliases = []", 'aliases = ["x", "x"]'), "aliases lists a value twice"),
        (lambda t: t.replace('"Read", "Write"', '"Read", "Read"'), "tools.reserved lists a value twice"),
        (lambda t: t.replace('name = "https"', 'name = "fs"'), "host_apis names lists a value twice"),
        (lambda t: t.replace('interfaces = [\n  { form = "component", name = "yoi:host/fs@1.0.0" },\n  '
                             '{ form = "core", name = "yoi:fs" },\n]', "interfaces = []"), "names no interface"),
    ],
)
def test_schema_and_shape_errors_name_the_file_and_key(edit, message):
    assert parse_profile(OLD_TEXT, "targets/yoi@43c9216e.toml").name == "yoi@43c9216e"
    with pytest.raises(TargetError) as error:
        parse_profile(edit(OLD_TEXT), "targets/yoi@43c9216e.toml")
    assert message in str(error.value)
    assert str(error.value).startswith("target profile targets/yoi@43c9216e.toml")


def test_the_file_is_named_after_its_profile():
    with pytest.raises(TargetError, match=r"must be named `yoi@43c9216e.toml` after its `name`"):
        parse_profile(OLD_TEXT, "targets/old.toml")


def test_a_value_from_the_file_is_never_quoted():
    secret = "s3cr3t-token-value"
    with pytest.raises(TargetError) as error:
        parse_profile(OLD_TEXT.replace("fuel = 5000000", f'fuel = "{secret}"'), "targets/yoi@43c9216e.toml")
    assert secret not in str(error.value)


def test_hostile_files_are_bounded_errors(tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    with pytest.raises(TargetError, match="could not be read: not a regular file"):
        load_profile(fifo)  # would hang on a blocking open
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"# " + b"x" * MAX_PROFILE_BYTES)
    with pytest.raises(TargetError, match="could not be read: larger than 64 KiB"):
        load_profile(huge)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"name = '\xe9'\n")
    with pytest.raises(TargetError, match="is not UTF-8"):
        load_profile(latin)
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000)
    with pytest.raises(TargetError, match="deep.toml"):
        load_profile(deep)
    with pytest.raises(TargetError, match="could not be read: not found"):
        load_profile(tmp_path / "absent.toml")


def test_a_fifo_in_the_profiles_folder_does_not_hang_the_command(tmp_path):
    folder = bundled_set(tmp_path / "t")
    os.mkfifo(folder / "evil.toml")
    code = f"from engine.targets import load_registry\nload_registry({str(folder)!r})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "evil.toml could not be read: not a regular file" in done.stderr


def test_a_symlinked_profile_is_refused(tmp_path):
    folder = bundled_set(tmp_path / "t", engine=None)
    (folder / "engine.toml").symlink_to(BUNDLED / "engine.toml")
    with pytest.raises(TargetError, match="engine.toml is a symlink"):
        load_registry(folder, VARIANTS)


def test_too_many_profiles(tmp_path):
    folder = write_set(tmp_path / "t", {f"p{i}": "" for i in range(MAX_PROFILES + 1)})
    with pytest.raises(TargetError, match=f"more than {MAX_PROFILES} profiles"):
        load_registry(folder, VARIANTS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"engine": ENGINE_TEXT.replace("default = true", "default = false")}, "exactly one target profile must be the default (found 0)"),
        ({"yoi@43c9216e": OLD_TEXT.replace("default = false", "default = true")}, "(found 2)"),
        ({"yoi@43c9216e": OLD_TEXT.replace("aliases = []", 'aliases = ["yoi-current"]')},
         "`yoi-current` is already used by"),
        ({"engine": ENGINE_TEXT.replace('union_of = ["yoi@43c9216e", "yoi@b12e0785"]', 'union_of = ["yoi@main"]')},
         "`union_of` names unknown target `yoi@main`"),
        ({"yoi@43c9216e": OLD_TEXT.replace("aliases = []", 'aliases = []\nunion_of = ["engine"]')},
         "`union_of` forms a cycle through"),
        ({"engine": ENGINE_TEXT.replace("union_of = [", 'union_of = ["engine", ')}, "forms a cycle through `engine`"),
        ({"yoi@b12e0785": CURRENT_TEXT.replace('wit = ["yoi@b12e0785"]', 'wit = ["yoi@main"]')},
         "`wit` names `yoi@main`, which is not a bundled variant"),
        ({"yoi@43c9216e": OLD_TEXT.split("[limits.store.core]")[0] + "[lifecycle]" + OLD_TEXT.split("[lifecycle]")[1]},
         "accepts `wasm` runtimes but states no `limits.store.core`"),
        ({"yoi@b12e0785": CURRENT_TEXT.replace('grant_table = "websocket"', 'grant_table = "sockets"')},
         "grant table `sockets` is not among `config.grant_keys`"),
        ({"yoi@b12e0785": CURRENT_TEXT.replace('manifest_table = "request"', 'manifest_table = "requests"')},
         "manifest table `requests` is not among `manifest.keys`"),
        ({"yoi@b12e0785": CURRENT_TEXT.replace('manifest_table = "websocket"', 'manifest_table = "request"')},
         "host API `websocket` has different tables"),
        ({"engine": None, "yoi@43c9216e": OLD_TEXT.replace("schema_versions = [1]", "schema_versions = []")},
         "`manifest.schema_versions` is empty"),
    ],
)
def test_inconsistent_sets_are_refused(tmp_path, changes, message):
    if "different tables" in message:  # the engine merges fs/request/websocket from both yois
        changes = {**changes, "yoi@43c9216e": OLD_TEXT.replace(
            '[[host_apis]]  # spec §1.6 `api = "fs"`',
            '[[host_apis]]\nname = "websocket"\ninterfaces = [{ form = "component", name = "w" }]\n'
            'grant_table = "fs"\nschemes = []\n\n[[host_apis]]  # spec §1.6 `api = "fs"`')}
    if "`manifest.schema_versions` is empty" in message:
        changes["yoi@b12e0785"] = CURRENT_TEXT.replace("default = false", "default = true")
    with pytest.raises(TargetError) as error:
        load_registry(bundled_set(tmp_path / "t", **changes), VARIANTS)
    assert message in str(error.value)


def test_an_engine_without_union_states_its_own_lists(tmp_path):
    """`union_of` is only a way to write less: a profile may list everything itself."""
    text = OLD_TEXT.replace('name = "yoi@43c9216e"', 'name = "solo"').replace("default = false", "default = true")
    registry = load_registry(write_set(tmp_path / "t", {"solo": text}), VARIANTS)
    assert registry.default().name == "solo" and registry.default().union_of == ()
