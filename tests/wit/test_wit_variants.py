"""Upstream yoi's WIT at 43c9216e and b12e0785 (wit/hosts/), pinned by content hash and loadable
by name beside our own root (issue 19 point 4)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from engine.cli.wit import wit
from engine.resources import wit_dir
from engine.wit import world_surface
from engine.wit.bundled import INSTANCE_WORLD, TOOL_WORLD, bundled_resolve, load_world
from engine.wit.variants import VariantError, git_blob_id, host_variants, parse_pins, variant_folder, verify

OLD, CURRENT = "yoi@43c9216e", "yoi@b12e0785"
HOST_OLD = ["yoi:host/https@1.0.0", "yoi:host/fs@1.0.0"]
HOST_CURRENT = ["yoi:host/request@1.0.0", "yoi:host/websocket@1.0.0", "yoi:host/fs@1.0.0"]


def test_both_variants_resolve_with_yoi_wit_check():
    result = CliRunner().invoke(wit, ["check", str(variant_folder(OLD)), str(variant_folder(CURRENT)), "--json"])
    assert result.exit_code == 0, result.output
    old, current = json.loads(result.stdout)
    assert [i["name"] for i in old["interfaces"]] == HOST_OLD
    assert [i["name"] for i in current["interfaces"]] == HOST_CURRENT
    for report, host in ((old, HOST_OLD), (current, HOST_CURRENT)):
        assert report["packages"] == ["yoi:host@1.0.0", "yoi:plugin@1.0.0"]
        assert {w["name"]: w["imports"] for w in report["worlds"]} == {TOOL_WORLD: host, INSTANCE_WORLD: host}
    websocket = next(i for i in current["interfaces"] if i["name"] == "yoi:host/websocket@1.0.0")
    assert websocket["functions"] == ["open", "send-text", "recv", "close"]


def test_variants_load_by_name_beside_our_own_root():
    assert list(load_world(TOOL_WORLD).imports) == [
        "yoi:host/https@1.0.0", "yoi:host/request@1.0.0", "yoi:host/websocket@1.0.0", "yoi:host/fs@1.0.0"]
    assert list(load_world(TOOL_WORLD, OLD).imports) == HOST_OLD
    assert list(load_world(INSTANCE_WORLD, CURRENT).imports) == HOST_CURRENT
    assert bundled_resolve(CURRENT) is bundled_resolve(CURRENT)
    assert bundled_resolve(CURRENT) is not bundled_resolve(None)
    # same world id, different imports: the variants never share one resolve
    request = world_surface(load_world(TOOL_WORLD, CURRENT), bundled_resolve(CURRENT)).imports
    assert dict(request["yoi:host/request@1.0.0"]) == {"request": "func(request-json: string) -> string"}
    with pytest.raises(KeyError, match=r"unknown WIT variant `yoi@nope` \(bundled: yoi@43c9216e, yoi@b12e0785\)"):
        bundled_resolve("yoi@nope")
    with pytest.raises(KeyError, match="unknown world"):
        load_world("yoi:plugin/other@1.0.0", OLD)


def test_pins_match_the_files_and_upstream_blob_ids():
    variants = host_variants()
    assert sorted(variants) == [OLD, CURRENT]
    for variant in variants.values():
        assert variant.repository == "HareK02/yoi" and variant.commit.startswith(variant.name.split("@")[1])
        for pinned in variant.files:
            data = (variant_folder(variant.name) / pinned.path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == pinned.sha256
            assert git_blob_id(data) == pinned.git_blob  # what `git ls-tree <commit>` lists upstream
            assert pinned.upstream_path == f"resources/plugin/wit/{pinned.path}"


def test_git_blob_id_is_gits_object_id():
    assert git_blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.fixture
def copied(tmp_path):
    folder = tmp_path / CURRENT
    shutil.copytree(wit_dir() / "hosts" / CURRENT, folder)
    return host_variants()[CURRENT], folder


def test_a_changed_file_fails_its_pin(copied):
    variant, folder = copied
    verify(variant, folder)
    target = folder / "deps" / "yoi-host" / "yoi-host-v1.wit"
    target.write_text(target.read_text().replace("interface request", "interface https"))
    with pytest.raises(VariantError, match="`deps/yoi-host/yoi-host-v1.wit` does not match its pinned sha256"):
        verify(variant, folder)


def test_a_missing_or_unlisted_file_is_refused(copied):
    variant, folder = copied
    (folder / "deps" / "extra.wit").write_text("package a:b;\n")
    with pytest.raises(VariantError, match="`deps/extra.wit` is not pinned"):
        verify(variant, folder)
    (folder / "deps" / "extra.wit").unlink()
    (folder / "yoi-plugin-tool-v1.wit").unlink()
    with pytest.raises(VariantError, match="`yoi-plugin-tool-v1.wit` could not be read: not found"):
        verify(variant, folder)


def test_a_symlinked_pinned_file_is_not_followed(copied):
    variant, folder = copied
    tool = folder / "yoi-plugin-tool-v1.wit"
    real = folder.parent / "real.wit"
    tool.rename(real)
    tool.symlink_to(real)
    with pytest.raises(VariantError, match="is a symlink"):
        verify(variant, folder)


GOOD_PINS = """schema_version = 1
[[variant]]
name = "yoi@x"
repository = "HareK02/yoi"
commit = "0123456789012345678901234567890123456789"
[[variant.file]]
path = "a.wit"
upstream_path = "resources/a.wit"
sha256 = "%s"
git_blob = "0123456789012345678901234567890123456789"
""" % ("0" * 64)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t + "[", "could not be parsed as TOML"),
        (lambda t: t.replace("schema_version = 1", "schema_version = 2"), "`schema_version` must be 1"),
        (lambda t: t.replace('path = "a.wit"', 'path = "../a.wit"'), "must be a relative POSIX path"),
        (lambda t: t.replace('path = "a.wit"', 'path = "/a.wit"'), "must be a relative POSIX path"),
        (lambda t: t.replace('name = "yoi@x"', 'name = "a/b"'), "unique folder name"),
        (lambda t: t.replace("0" * 64, "0" * 63), "`sha256` must be 64 lowercase hex digits"),
        (lambda t: t.replace('commit = "0123', 'commit = "X123'), "`commit` must be 40 lowercase hex digits"),
        (lambda t: t.split("[[variant.file]]")[0], "at least one [[variant.file]]"),
        (lambda t: "schema_version = 1\n", "at least one [[variant]]"),
        (lambda t: t + t.split("schema_version = 1\n")[1], "unique folder name"),
    ],
)
def test_a_bad_pins_file_names_its_problem(edit, message):
    assert parse_pins(GOOD_PINS)["yoi@x"].files[0].path == "a.wit"
    with pytest.raises(VariantError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_pins(edit(GOOD_PINS))
