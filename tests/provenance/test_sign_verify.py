"""Signatures end to end: sign, then `check --grants` under `[plugins.trust]`, in process and as
real CLI runs. Each case of issue 23's "done when" gives its verdict and its reason."""

from __future__ import annotations

import base64
import json

import pytest
from example_workspace import yoi
from signing import RAW_MODULE, check_path, private, trusted

from engine.provenance.sign import sign_package

SIGNATURE_CODES = {"signature_missing", "signature_not_trusted", "signature_not_counted",
                   "signature_file_unusable", "signature_unknown_key"}


def signature_findings(report) -> list[tuple[str, str, tuple]]:
    return sorted((c["severity"], c["code"], tuple(c["args"][1:])) for c in report["conclusions"]
                  if c["code"] in SIGNATURE_CODES)


def statuses(report) -> dict:
    return {args[0]: args[1] for _sev, code, args in signature_findings(report) if code == "signature_not_counted"}


@pytest.fixture
def echo(workspace):
    return workspace.package("acme.echo", "acme_echo")


def test_round_trip_a_signed_package_passes_and_names_its_signer(workspace, echo, keys):
    sign_package(str(echo), private(keys["new"]))
    config = workspace.config(trusted(keys["new"], name="release CI"))
    report = check_path(echo, config)
    assert report["status"] == "active"
    assert signature_findings(report) == []
    signatures = report["signatures"]
    assert signatures["valid_keys"] == [keys["new"].key_id]
    assert signatures["signatures"][0] | {"detail": ""} == {
        "key_id": keys["new"].key_id, "signer": "release CI", "status": "valid", "detail": ""}
    run = yoi("plugin", "check", str(echo), "--grants", str(config))
    assert run.returncode == 0, run.stderr
    assert f"release CI ({keys['new'].key_id}) valid" in run.stdout
    run = yoi("plugin", "verify", str(echo), "--grants", str(config))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[verified]" in run.stdout


def test_a_tampered_archive_is_wrong_digest_and_rejected(workspace, echo, keys):
    sign_package(str(echo), private(keys["new"]))
    data = bytearray(echo.read_bytes())
    data[data.index(b"\x00asm") + 12] ^= 1  # one bit of the stored module: the content, not the framing
    echo.write_bytes(bytes(data))
    config = workspace.config(trusted(keys["new"]))
    report = check_path(echo, config)
    assert report["status"] == "rejected"
    assert statuses(report) == {keys["new"].key_id: "wrong_digest"}
    assert ("deny", "signature_not_trusted", ()) in signature_findings(report)
    run = yoi("plugin", "check", str(echo), "--grants", str(config), "--format", "json")
    assert run.returncode == 1
    messages = [c["message"] for c in json.loads(run.stdout)["conclusions"]]
    assert any("wrong_digest" in m and "changed after signing" in m for m in messages), messages


def test_appending_bytes_after_the_archive_does_not_change_what_is_signed(workspace, echo, keys):
    """The digest covers paths and contents (spec §5.7), not the zip framing: still valid."""
    sign_package(str(echo), private(keys["new"]))
    echo.write_bytes(echo.read_bytes() + b"trailing")
    report = check_path(echo, workspace.config(trusted(keys["new"])))
    assert report["status"] == "active" and signature_findings(report) == []


def test_a_signature_for_another_digest_does_not_count(workspace, keys):
    first = workspace.package("acme.echo", "acme_echo")
    other = workspace.package("acme.other", "acme_other", artifact=RAW_MODULE + b"")
    sign_package(str(other), private(keys["new"]))
    first.with_name(first.name + ".sig").write_bytes(other.with_name(other.name + ".sig").read_bytes())
    config = workspace.config(trusted(keys["new"]))
    report = check_path(first, config)
    assert report["status"] == "rejected"
    assert statuses(report) == {keys["new"].key_id: "wrong_digest"}
    run = yoi("plugin", "check", str(first), "--grants", str(config))
    assert run.returncode == 1 and "does not count: wrong_digest" in run.stdout


def test_an_unknown_key_is_reported_and_rejected_when_required(workspace, echo, keys):
    sign_package(str(echo), private(keys["other"]))
    config = workspace.config(trusted(keys["new"]))
    report = check_path(echo, config)
    assert report["status"] == "rejected"
    assert signature_findings(report) == [
        ("deny", "signature_not_trusted", ()), ("info", "signature_unknown_key", (keys["other"].key_id,))]
    run = yoi("plugin", "check", str(echo), "--grants", str(config))
    assert run.returncode == 1
    assert "is not among [[plugins.trust.keys]]" in run.stdout


def test_an_expired_key_does_not_count(workspace, echo, keys):
    sign_package(str(echo), private(keys["new"]))
    config = workspace.config(trusted(keys["new"], expires="2001-01-01"))
    report = check_path(echo, config)
    assert report["status"] == "rejected"
    assert statuses(report) == {keys["new"].key_id: "expired"}
    run = yoi("plugin", "check", str(echo), "--grants", str(config))
    assert run.returncode == 1 and "expired at 2001-01-01T00:00:00+00:00" in run.stdout
    later = workspace.config(trusted(keys["new"], expires="2999-01-01T00:00:00Z"))
    assert check_path(echo, later)["status"] == "active"


def test_a_missing_signature_is_denied_under_require_signature(workspace, echo, keys):
    config = workspace.config(trusted(keys["new"]))
    report = check_path(echo, config)
    assert report["status"] == "rejected"
    assert signature_findings(report) == [("deny", "signature_missing", (f"{echo}.sig",))]
    run = yoi("plugin", "check", str(echo), "--grants", str(config))
    assert run.returncode == 1
    assert "package is unsigned: no signature at" in run.stdout


def test_the_rules_are_inert_without_require_signature(workspace, echo, keys):
    unsigned = check_path(echo, workspace.config(trusted(keys["new"]), require=False))
    assert unsigned["status"] == "active" and signature_findings(unsigned) == []
    baseline = check_path(echo)  # no config at all: as before signatures existed
    assert baseline["status"] == "active" and signature_findings(baseline) == []
    assert [c for c in baseline["conclusions"] if c["code"].startswith(("signature", "provenance"))] == []


def test_a_broken_signature_is_seen_even_when_not_required(workspace, echo, keys):
    sign_package(str(echo), private(keys["new"]))
    sig = echo.with_name(echo.name + ".sig")
    envelope = json.loads(sig.read_text())
    raw = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    raw[5] ^= 1  # one bit of the Ed25519 signature: well formed, but it no longer verifies
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    sig.write_text(json.dumps(envelope))
    report = check_path(echo, workspace.config(trusted(keys["new"]), require=False))
    assert report["status"] == "active"  # not required: not blocking, but a warning a reviewer sees
    assert statuses(report) == {keys["new"].key_id: "invalid"}
    assert [s for s, *_ in signature_findings(report)] == ["warn"]


def test_key_rotation_old_and_new_trusted_then_old_removed(workspace, echo, keys):
    old, new = keys["old"], keys["new"]
    sign_package(str(echo), private(old))
    both = workspace.config(trusted(old, name="2025 key"), trusted(new, name="2026 key"))
    assert check_path(echo, both)["status"] == "active"
    only_new = workspace.config(trusted(new))
    report = check_path(echo, only_new)
    assert report["status"] == "rejected"  # signed by the old key alone, which is no longer trusted
    assert ("info", "signature_unknown_key", (old.key_id,)) in signature_findings(report)
    signed = sign_package(str(echo), private(new))  # the release is signed again with the new key
    assert signed.signature.signatures == 2  # added to the old key's signature, same envelope
    report = check_path(echo, only_new)
    assert report["status"] == "active"
    assert report["signatures"]["valid_keys"] == [new.key_id]
    run = yoi("plugin", "check", str(echo), "--grants", str(only_new))
    assert run.returncode == 0, run.stdout


def test_a_key_signs_only_the_packages_it_is_allowed(workspace, echo, keys):
    sign_package(str(echo), private(keys["new"]))
    elsewhere = check_path(echo, workspace.config(trusted(keys["new"], packages=["other.*", "acme.echo2"])))
    assert elsewhere["status"] == "rejected"
    assert statuses(elsewhere) == {keys["new"].key_id: "not_allowed_for_package"}
    for patterns in (["acme.*"], ["acme.echo"], ["zzz", "acme.echo"]):
        assert check_path(echo, workspace.config(trusted(keys["new"], packages=patterns)))["status"] == "active"


def test_an_org_rule_can_require_two_signers(workspace, echo, keys, tmp_path):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "two.rules").write_text(
        "two_signers(P) :- signature(P, A, \"valid\"), signature(P, B, \"valid\"), A != B.\n"
        "deny needs_two_signers(P) \"release packages need two signers\" :-\n"
        "    package(P, _, _, _, _), not two_signers(P).\n")
    config = workspace.config(trusted(keys["new"]), trusted(keys["second"]))
    sign_package(str(echo), private(keys["new"]))
    one = check_path(echo, config, [policy])
    assert one["status"] == "rejected"
    assert [c["code"] for c in one["conclusions"] if c["severity"] == "deny"] == ["needs_two_signers"]
    sign_package(str(echo), private(keys["second"]))
    assert check_path(echo, config, [policy])["status"] == "active"
    run = yoi("plugin", "check", str(echo), "--grants", str(config), "--policy", str(policy))
    assert run.returncode == 0, run.stdout


def test_the_startup_gate_refuses_an_unsigned_package_when_required(workspace, keys):
    from engine.host.startup import evaluate_startup

    signed = workspace.package("acme.signed", "acme_signed")
    workspace.package("acme.unsigned", "acme_unsigned")
    sign_package(str(signed), private(keys["new"]))
    workspace.config(trusted(keys["new"]))
    report = evaluate_startup(workspace.root)
    assert [p.ref for p in report.plans] == ["project:acme.signed"]
    refused = {r["ref"]: r for r in report.refused}
    assert refused["project:acme.unsigned"]["status"] == "rejected"
    assert any("package is unsigned" in reason for reason in refused["project:acme.unsigned"]["reasons"])


def test_a_signature_the_enablement_names_is_used(workspace, echo, keys, tmp_path):
    elsewhere = tmp_path / "sigs" / "echo.sig"
    elsewhere.parent.mkdir()
    sign_package(str(echo), private(keys["new"]), output=str(elsewhere))
    workspace.tables[-1] = workspace.tables[-1].replace('version = "0.1.0"\n',
                                                        f'version = "0.1.0"\nsignature = "{elsewhere}"\n', 1)
    config = workspace.config(trusted(keys["new"]))
    assert not echo.with_name(echo.name + ".sig").exists()
    report = check_path(echo, config)
    assert report["status"] == "active", signature_findings(report)
    assert report["signatures"]["file"] == str(elsewhere)
    from engine.host.startup import evaluate_startup

    assert [p.ref for p in evaluate_startup(workspace.root).plans] == ["project:acme.echo"]


def test_list_show_explain_and_sarif_name_the_signer_and_why_one_did_not_count(workspace, keys):
    good = workspace.package("acme.good", "acme_good")
    bad = workspace.package("acme.bad", "acme_bad")
    sign_package(str(good), private(keys["new"]))
    sign_package(str(bad), private(keys["new"]))
    data = bytearray(bad.read_bytes())
    data[data.index(b"\x00asm") + 12] ^= 1
    bad.write_bytes(bytes(data))
    config = workspace.config(trusted(keys["new"], name="release CI"))
    root = str(workspace.root)
    who = f"release CI ({keys['new'].key_id})"
    listed = yoi("plugin", "list", "--workspace", root, "--json")
    items = {i["reference"]: i for i in json.loads(listed.stdout)["items"]}
    assert items["project:acme.good"]["signatures"]["valid_keys"] == [keys["new"].key_id]
    assert items["project:acme.bad"]["status"] == "rejected"
    human = yoi("plugin", "list", "--workspace", root).stdout
    assert f"signed={who}" in human and "signed=not counted (wrong_digest)" in human
    shown = yoi("plugin", "show", "project:acme.good", "--workspace", root).stdout
    assert f"signature: {who} valid" in shown and "provenance: missing" in shown
    explained = yoi("plugin", "explain", "project:acme.bad", "--workspace", root).stdout
    assert f"signature: {who} wrong_digest: signed sha256:" in explained
    assert "package deny: package has no valid signature" in explained
    sarif = json.loads(yoi("plugin", "check", str(good), "--grants", str(config), "--format", "sarif").stdout)
    run = sarif["runs"][0]
    assert run["properties"]["yoi/signatures"]["project:acme.good"]["signers"] == [who]
    rejected = json.loads(yoi("plugin", "check", str(bad), "--grants", str(config), "--format", "sarif").stdout)
    [result] = [r for r in rejected["runs"][0]["results"] if r["ruleId"] == "yoi/signature_not_trusted"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("acme.bad.yoi-plugin.sig")  # the finding points at the file it is about


def test_the_verdict_cache_never_answers_for_another_signature_state(workspace, echo, keys, tmp_path, monkeypatch):
    """Issue 22's verdict cache is keyed on the subjects, and a subject carries its signatures'
    statuses: signing, tampering with the signature file, or changing the trusted keys each give
    another key, while a repeated check is answered from the cache."""
    import engine.pipeline.evaluate as evaluate_module

    monkeypatch.setenv("YOI_CACHE", str(tmp_path / "cache"))
    calls = []
    real = evaluate_module.evaluate_inputs
    monkeypatch.setattr(evaluate_module, "evaluate_inputs", lambda inputs, **o: calls.append(1) or real(inputs, **o))
    config = workspace.config(trusted(keys["new"]))
    assert check_path(echo, config)["status"] == "rejected"  # unsigned
    sign_package(str(echo), private(keys["new"]))
    assert check_path(echo, config)["status"] == "active"
    assert check_path(echo, config)["status"] == "active"
    assert len(calls) == 2  # the repeat came from the cache
    sig = echo.with_name(echo.name + ".sig")
    envelope = json.loads(sig.read_text())
    raw = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    raw[0] ^= 1
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    sig.write_text(json.dumps(envelope))
    assert check_path(echo, config)["status"] == "rejected"
    assert check_path(echo, workspace.config(trusted(keys["second"])))["status"] == "rejected"
    assert len(calls) == 4
