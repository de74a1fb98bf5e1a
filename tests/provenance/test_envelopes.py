"""What a signature file can hold, and what each odd one becomes: a status, never a pass, a
traceback or a hang. Also the statement shapes that only a valid signature lets us read."""

from __future__ import annotations

import base64
import json
import os
import threading

import pytest
from signing import private

from engine.package.materialize import load_package_path
from engine.provenance.dsse import PAYLOAD_TYPE, Envelope, EnvelopeSignature, canonical_json, pae, render_envelope
from engine.provenance.keys import read_public_key
from engine.provenance.model import SIGNATURE_STATUSES
from engine.provenance.sign import sign_package
from engine.provenance.statements import PackageClaim, package_statement
from engine.provenance.trust import TrustedKey, TrustSettings
from engine.provenance.verify import check_signature


@pytest.fixture
def signed(workspace, keys):
    """(package, signature path, trust) for a package signed by `new`, which is trusted."""
    path = workspace.package("acme.echo", "acme_echo")
    sign_package(str(path), private(keys["new"]))
    pair = keys["new"]
    trust = TrustSettings(True, (TrustedKey(pair.key_id, read_public_key(pair.public_path)),), True)
    return load_package_path(path), f"{path}.sig", trust


def results(package, sig, trust, **options):
    return [(r.key_id, r.status) for r in check_signature(package, sig, trust, **options).results]


def _mutate(sig, change):
    document = json.loads(open(sig).read())
    change(document)
    with open(sig, "w") as handle:
        handle.write(json.dumps(document))


MALFORMED_FILES = {
    "not JSON": b"{",
    "not UTF-8": b"\xff\xfe{}",
    "a list": b"[]",
    "NaN": b'{"payloadType": NaN}',
    "a duplicate key": b'{"payloadType": "a", "payloadType": "b", "payload": "", "signatures": []}',
    "deep nesting": b"[" * 100000,
    "a huge integer": b'{"a": ' + b"9" * 5000 + b"}",
    "an empty object": b"{}",
}


@pytest.mark.parametrize("name", MALFORMED_FILES)
def test_a_file_that_is_not_an_envelope_is_malformed(signed, name):
    package, sig, trust = signed
    with open(sig, "wb") as handle:
        handle.write(MALFORMED_FILES[name])
    assert results(package, sig, trust) == [("", "malformed")]


ENVELOPE_DAMAGE = {
    "an unknown field": lambda d: d.update(extra=1),
    "another payload type": lambda d: d.update(payloadType="application/json"),
    "no signatures": lambda d: d.update(signatures=[]),
    "non-canonical base64": lambda d: d.update(payload="QR=="),  # leftover bits set: canonical is QQ==
    "a signature of 63 bytes": lambda d: d["signatures"][0].update(sig=base64.b64encode(b"x" * 63).decode()),
    "a key id of another form": lambda d: d["signatures"][0].update(keyid="sha256:" + "0" * 64),
    "a signature without keyid": lambda d: d["signatures"][0].pop("keyid"),
    "the same key twice": lambda d: d["signatures"].append(dict(d["signatures"][0])),
    "65 signatures": lambda d: d.update(signatures=[
        {"keyid": "ed25519:" + f"{i:064x}", "sig": d["signatures"][0]["sig"]} for i in range(65)]),
}


@pytest.mark.parametrize("name", ENVELOPE_DAMAGE)
def test_a_damaged_envelope_is_malformed_before_any_key_is_used(signed, name):
    package, sig, trust = signed
    _mutate(sig, ENVELOPE_DAMAGE[name])
    checked = check_signature(package, sig, trust)
    assert [(r.key_id, r.status) for r in checked.results] == [("", "malformed")]
    assert checked.results[0].detail and len(checked.results[0].detail) < 300


def test_an_oversized_file_is_unreadable_without_reading_it_all(signed):
    package, sig, trust = signed
    with open(sig, "wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    assert results(package, sig, trust) == [("", "unreadable")]


def test_a_fifo_or_a_folder_is_unreadable_and_never_blocks(signed):
    package, sig, trust = signed
    os.unlink(sig)
    os.mkfifo(sig)
    done = []
    thread = threading.Thread(target=lambda: done.append(results(package, sig, trust)), daemon=True)
    thread.start()
    thread.join(10)
    assert done == [[("", "unreadable")]]
    os.unlink(sig)
    os.mkdir(sig)
    assert results(package, sig, trust) == [("", "unreadable")]


def test_a_symlinked_signature_beside_a_store_package_is_not_followed(signed, tmp_path):
    package, sig, trust = signed
    target = tmp_path / "elsewhere.sig"
    os.replace(sig, target)
    os.symlink(target, sig)
    assert results(package, sig, trust, follow_symlinks=False) == [("", "unreadable")]
    assert results(package, sig, trust) == [(trust.keys[0].id, "valid")]  # a path a config names is followed


def _signed_payload(keys, payload: bytes, path):
    key = private(keys["new"])
    signature = EnvelopeSignature(keys["new"].key_id, key.sign(pae(PAYLOAD_TYPE, payload)))
    with open(path, "wb") as handle:
        handle.write(render_envelope(Envelope(PAYLOAD_TYPE, payload, (signature,))))


def test_a_verified_payload_that_is_no_package_statement_is_malformed(signed, keys):
    package, sig, trust = signed
    _signed_payload(keys, b'{"_type": "https://in-toto.io/Statement/v1"}', sig)
    assert results(package, sig, trust) == [(keys["new"].key_id, "malformed")]


def test_a_statement_for_the_right_digest_but_another_id_is_wrong_package(signed, keys):
    package, sig, trust = signed
    claim = PackageClaim("acme.impostor", package.manifest.version, package.digest)
    _signed_payload(keys, canonical_json(package_statement(claim)), sig)
    checked = check_signature(package, sig, trust)
    assert [(r.key_id, r.status) for r in checked.results] == [(keys["new"].key_id, "wrong_package")]
    assert "acme.impostor" in checked.results[0].detail


def test_an_unknown_key_is_never_verified_and_its_payload_never_read(signed, keys, monkeypatch):
    import engine.provenance.statements as statements

    package, sig, trust = signed
    calls = []
    monkeypatch.setattr(statements, "strict_json", lambda data: calls.append(data))
    nobody = TrustSettings(True, (), True)
    assert results(package, sig, nobody) == [(keys["new"].key_id, "unknown_key")]
    assert calls == []


def test_the_docs_list_every_status_with_its_meaning():
    """docs/provenance.md shows the status table the code reports from (same words)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "provenance.md").read_text()
    section = text[text.index("## What each signature's status means"):text.index("What the rules")]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|$", section, re.M))
    assert rows == SIGNATURE_STATUSES
