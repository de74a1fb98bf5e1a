"""`yoi plugin keygen`, `sign` and `verify` as real CLI runs, and what `check` imports."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from example_workspace import ROOT, yoi
from signing import trusted

from engine.provenance.keys import decode_public_key, key_id


def test_keygen_writes_an_owner_only_key_and_prints_its_id(tmp_path):
    run = yoi("plugin", "keygen", str(tmp_path / "release"), "--json")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    private, public = tmp_path / "release.key", tmp_path / "release.pub"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(public).st_mode) == 0o644
    assert answer["key_id"] == key_id(decode_public_key(public.read_text()))
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release.key", "release.pub"]  # no temp file left
    human = yoi("plugin", "keygen", str(tmp_path / "second"))
    assert "[[plugins.trust.keys]]" in human.stdout and 'public_key = { file = "second.pub" }' in human.stdout


def test_keygen_never_replaces_a_key(tmp_path):
    (tmp_path / "release.pub").write_text("mine")
    run = yoi("plugin", "keygen", str(tmp_path / "release"))
    assert run.returncode == 2 and "release.pub` already exists" in run.stderr
    assert (tmp_path / "release.pub").read_text() == "mine" and not (tmp_path / "release.key").exists()
    os.symlink(tmp_path / "nowhere", tmp_path / "other.key")  # even a dangling symlink is in the way
    run = yoi("plugin", "keygen", str(tmp_path / "other"))
    assert run.returncode == 2 and not (tmp_path / "nowhere").exists()
    run = yoi("plugin", "keygen", str(tmp_path / "missing" / "k"))
    assert run.returncode == 2 and "could not be written" in run.stderr


def test_sign_from_a_key_file_or_the_environment_and_the_errors(workspace, keys, tmp_path):
    echo = workspace.package("acme.echo", "acme_echo")
    run = yoi("plugin", "sign", str(echo), "--key", str(keys["new"].private_path), "--json")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["key_id"] == keys["new"].key_id and answer["signature"]["signatures"] == 1
    assert answer["signature"]["path"] == f"{echo}.sig"
    env = {"SIGNING_KEY": keys["second"].private_path.read_text()}
    run = yoi("plugin", "sign", str(echo), "--key-env", "SIGNING_KEY", env=env)
    assert run.returncode == 0 and "(2 signature(s))" in run.stdout
    assert yoi("plugin", "sign", str(echo)).returncode == 2
    both = yoi("plugin", "sign", str(echo), "--key", str(keys["new"].private_path), "--key-env", "X", env={"X": "y"})
    assert both.returncode == 2 and "exactly one of" in both.stderr
    not_a_key = yoi("plugin", "sign", str(echo), "--key", str(keys["new"].public_path))
    assert not_a_key.returncode == 2 and "not a PEM private key" in not_a_key.stderr
    assert "BEGIN PUBLIC KEY" not in not_a_key.stderr
    unset = yoi("plugin", "sign", str(echo), "--key-env", "NO_SUCH_VARIABLE_HERE")
    assert unset.returncode == 2 and "is not set" in unset.stderr
    missing = yoi("plugin", "sign", str(tmp_path / "nope.yoi-plugin"), "--key", str(keys["new"].private_path))
    assert missing.returncode == 2 and "not found" in missing.stderr
    (tmp_path / "out").mkdir()
    blocked = yoi("plugin", "sign", str(echo), "--key", str(keys["new"].private_path), "--output", str(tmp_path / "out"))
    assert blocked.returncode == 2


def test_signing_a_changed_package_replaces_the_old_envelope_and_says_so(workspace, keys):
    echo = workspace.package("acme.echo", "acme_echo")
    for name in ("new", "second"):
        assert yoi("plugin", "sign", str(echo), "--key", str(keys[name].private_path)).returncode == 0
    workspace.package("acme.echo", "acme_echo", artifact=b"\x00asm\x01\x00\x00\x00")  # rebuilt: another digest
    run = yoi("plugin", "sign", str(echo), "--key", str(keys["new"].private_path))
    assert run.returncode == 0 and "2 signature(s) dropped" in run.stdout
    assert len(json.loads(open(f"{echo}.sig").read())["signatures"]) == 1


def test_verify_exit_codes(workspace, keys, tmp_path):
    echo = workspace.package("acme.echo", "acme_echo")
    assert yoi("plugin", "sign", str(echo), "--key", str(keys["new"].private_path)).returncode == 0
    ok = yoi("plugin", "verify", str(echo), "--trusted-key", str(keys["new"].public_path), "--json")
    assert ok.returncode == 0, ok.stderr
    answer = json.loads(ok.stdout)
    assert answer["status"] == "verified" and answer["signature"]["valid_keys"] == [keys["new"].key_id]
    wrong = yoi("plugin", "verify", str(echo), "--trusted-key", str(keys["other"].public_path))
    assert wrong.returncode == 1 and "no signature from a trusted key counts" in wrong.stderr
    assert "signature_not_trusted" in wrong.stdout
    assert yoi("plugin", "verify", str(echo)).returncode == 2  # no trusted key: nothing to verify against
    config = workspace.config(trusted(keys["new"], expires="2001-01-01"), require=False)
    expired = yoi("plugin", "verify", str(echo), "--grants", str(config))
    assert expired.returncode == 1 and "expired" in expired.stdout


def _imports_after_check(path, grants=None) -> bool:
    code = ("import sys; from engine.verdict.run import check_verdict; "
            f"check_verdict({str(path)!r}, {repr(str(grants)) if grants else None}); "
            "print('cryptography' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip() == "True"


def test_check_imports_cryptography_only_to_verify_a_signature(workspace, keys):
    echo = workspace.package("acme.echo", "acme_echo")
    config = workspace.config(trusted(keys["new"]))
    assert not _imports_after_check(echo)  # unsigned, no trust settings
    assert not _imports_after_check(echo, config)  # unsigned, a trusted key configured
    yoi("plugin", "sign", str(echo), "--key", str(keys["other"].private_path))
    assert not _imports_after_check(echo, config)  # signed by a key nobody trusts: nothing to verify
    yoi("plugin", "sign", str(echo), "--key", str(keys["new"].private_path))
    assert _imports_after_check(echo, config)  # a trusted key's signature: verified


@pytest.mark.parametrize("template", ["wat-tool"])
def test_verify_rebuild_reproduces_a_wat_package_and_names_what_differs(tmp_path, keys, template):
    source = tmp_path / "src-folder"
    assert yoi("plugin", "new", template, str(source), "--id", "acme.rebuilt").returncode == 0
    assert yoi("plugin", "build", str(source)).returncode == 0
    archive = tmp_path / "acme.rebuilt.yoi-plugin"
    assert yoi("plugin", "pack", str(source), "--output", str(archive)).returncode == 0
    assert yoi("plugin", "sign", str(archive), "--key", str(keys["new"].private_path)).returncode == 0
    before = {p: p.read_bytes() for p in source.rglob("*") if p.is_file()}
    run = yoi("plugin", "verify", str(archive), "--trusted-key", str(keys["new"].public_path),
              "--rebuild", str(source), "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    answer = json.loads(run.stdout)
    assert answer["rebuild"]["matches"] and answer["rebuild"]["differing"] == []
    assert {p: p.read_bytes() for p in source.rglob("*") if p.is_file()} == before  # the source is untouched
    wat = next(source.rglob("*.wat"))
    wat.write_text(wat.read_text() + "\n;; a change\n")
    changed = yoi("plugin", "verify", str(archive), "--rebuild", str(source))
    assert changed.returncode == 1 and "the rebuilt package differs" in changed.stderr
    assert "[differs]" in changed.stdout and wat.relative_to(source).as_posix() in changed.stdout


def test_a_signed_folder_packs_to_a_signed_archive(tmp_path, keys):
    folder = tmp_path / "echo"
    assert yoi("plugin", "new", "wat-tool", str(folder), "--id", "acme.folder").returncode == 0
    assert yoi("plugin", "build", str(folder)).returncode == 0
    assert yoi("plugin", "sign", str(folder) + "/", "--key", str(keys["new"].private_path)).returncode == 0
    assert (tmp_path / "echo.sig").is_file()  # beside the folder, never inside it
    run = yoi("plugin", "pack", str(folder), "--json")
    assert run.returncode == 0, run.stderr
    archive = tmp_path / "echo.yoi-plugin"
    assert json.loads(run.stdout)["carried"] == [f"{archive}.sig", f"{archive}.intoto.json"]
    ok = yoi("plugin", "verify", str(tmp_path / "echo.yoi-plugin"), "--trusted-key", str(keys["new"].public_path))
    assert ok.returncode == 0, ok.stdout + ok.stderr
