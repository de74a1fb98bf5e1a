"""`[plugins.trust]` in the enablement config: what it accepts, and each mistake as a config error
at the key it is about (exit 2 from `check --grants`), never a key silently dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from example_workspace import yoi

from engine.diagnostics import DiagnosticError
from engine.grants.config import load_config
from engine.provenance.keys import public_pem


def _load(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path)


def _error(tmp_path, text: str):
    with pytest.raises(DiagnosticError) as raised:
        _load(tmp_path, text)
    diagnostic = raised.value.diagnostics[0]
    return diagnostic.message, diagnostic.location.line


def test_keys_inline_by_file_with_expiry_and_packages(tmp_path, keys):
    pair = keys["new"]
    pem = pair.public_path.read_text()
    line = pem.splitlines()[1]
    config = _load(tmp_path, f"""
[plugins.trust]
require_signature = true
[[plugins.trust.keys]]
id = "{pair.key_id}"
name = "release CI"
public_key = {{ file = "{pair.public_path}" }}
expires = 2030-06-01
packages = ["acme.*", "tools.echo"]
[[plugins.trust.keys]]
id = "{keys['old'].key_id}"
public_key = \"\"\"{keys['old'].public_path.read_text()}\"\"\"
expires = "2030-06-01T12:00:00+02:00"
[[plugins.trust.keys]]
id = "{keys['second'].key_id}"
public_key = "{keys['second'].public_path.read_text().splitlines()[1]}"
expires = 2030-06-01T12:00:00Z
""")
    trust = config.trust
    assert trust.require_signature and trust.present
    new, old, second = trust.keys
    assert new.name == "release CI" and new.packages == ("acme.*", "tools.echo")
    assert new.expires == datetime(2030, 6, 1, tzinfo=UTC)
    assert old.expires == datetime(2030, 6, 1, 10, tzinfo=UTC)
    assert second.expires == datetime(2030, 6, 1, 12, tzinfo=UTC)
    assert public_pem(new.public_key) == pem and line in pem
    assert new.may_sign("acme.echo") and new.may_sign("tools.echo") and not new.may_sign("acme")
    assert not new.may_sign("tools.echo2") and old.may_sign("anything")


def test_no_trust_table_means_nothing_required(tmp_path):
    trust = _load(tmp_path, "[plugins]\n").trust
    assert not trust.present and not trust.require_signature and trust.keys == ()


BROKEN = {
    "an id of another key": ('id = "{other}"\npublic_key = {{ file = "{pub}" }}', "does not match the public key", 3),
    "an id of the wrong form": ('id = "ed25519:ABC"\npublic_key = {{ file = "{pub}" }}', "expected form", 3),
    "a missing key file": ('id = "{id}"\npublic_key = {{ file = "nope.pub" }}', "could not be read: not found", 4),
    "a key that is not one": ('id = "{id}"\npublic_key = "bm90IGEga2V5"', "not an Ed25519 public key", 4),
    "a local date-time": ('id = "{id}"\npublic_key = {{ file = "{pub}" }}\nexpires = 2030-01-01T00:00:00',
                          "with an offset", 5),
    "a date that does not exist": ('id = "{id}"\npublic_key = {{ file = "{pub}" }}\nexpires = "2030-02-30"',
                                   "real date", 5),
    "a package glob of another form": ('id = "{id}"\npublic_key = {{ file = "{pub}" }}\npackages = ["acme*"]',
                                       "expected form", 5),
    "no public key": ('id = "{id}"', "is required", 2),
    "a table without file": ('id = "{id}"\npublic_key = {{ path = "x" }}', "public_key.file` is required", 4),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_trusted_key_is_a_config_error_at_its_line(tmp_path, keys, name):
    text, words, line = BROKEN[name]
    pair = keys["new"]
    body = text.format(id=pair.key_id, other=keys["old"].key_id, pub=pair.public_path)
    message, at = _error(tmp_path, f"[plugins.trust]\n[[plugins.trust.keys]]\n{body}\n")
    assert words in message
    assert at == line, message


def test_a_key_listed_twice_is_refused(tmp_path, keys):
    pair = keys["new"]
    entry = f'[[plugins.trust.keys]]\nid = "{pair.key_id}"\npublic_key = {{ file = "{pair.public_path}" }}\n'
    message, line = _error(tmp_path, "[plugins.trust]\n" + entry + entry)
    assert "names a key listed before" in message and line == 6


def test_a_key_file_is_relative_to_the_config(tmp_path, keys):
    folder = tmp_path / "conf"
    (folder / "keys").mkdir(parents=True)
    (folder / "keys" / "ci.pub").write_bytes(keys["new"].public_path.read_bytes())
    (folder / "config.toml").write_text(
        f'[[plugins.trust.keys]]\nid = "{keys["new"].key_id}"\npublic_key = {{ file = "keys/ci.pub" }}\n'
        '[[plugins.enabled]]\nid = "project:x"\nsignature = "sigs/x.sig"\n')
    config = load_config(folder / "config.toml")
    assert config.trust.keys[0].id == keys["new"].key_id
    assert config.enabled[0].signature == str(folder / "sigs" / "x.sig")


def test_check_exits_2_on_a_broken_trust_table(tmp_path, keys):
    config = tmp_path / "config.toml"
    config.write_text(f'[[plugins.trust.keys]]\nid = "{keys["old"].key_id}"\n'
                      f'public_key = {{ file = "{keys["new"].public_path}" }}\n')
    run = yoi("plugin", "check", "examples/raw-echo", "--grants", str(config))
    assert run.returncode == 2
    assert f"{config}:2:1" in run.stderr and "does not match the public key" in run.stderr
