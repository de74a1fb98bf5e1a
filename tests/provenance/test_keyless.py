"""Keyless (Sigstore) signatures verified offline: a private Sigstore made in the test (CA, CT
log, Rekor log: tests/support/sigstore_fixtures.py) issues bundles over the package statement,
and sigstore-python verifies them against its pinned trusted root with the network cut off."""

from __future__ import annotations

import json
import socket

import pytest
from example_workspace import yoi
from signing import check_path
from sigstore_fixtures import PrivateSigstore

from engine.provenance.dsse import PAYLOAD_TYPE
from engine.provenance.sign import statement_bytes

WORKFLOW = "https://github.com/acme/plugins/.github/workflows/release.yml@refs/tags/v1.2.0"
GITHUB = "https://token.actions.githubusercontent.com"


@pytest.fixture(scope="session")
def sigstore_instance(tmp_path_factory):
    instance = PrivateSigstore.create()
    root = tmp_path_factory.mktemp("sigstore") / "trusted_root.json"
    root.write_text(json.dumps(instance.trusted_root()))
    return instance, root


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _sigstore_table(root, *identities, require=True) -> str:
    lines = [f'[plugins.trust.sigstore]\ntrusted_root = "{root}"\n']
    for identity, issuer, extra in identities:
        lines.append(f'[[plugins.trust.sigstore.identities]]\nidentity = "{identity}"\nissuer = "{issuer}"\n{extra}')
    return "".join(lines)


def _bundle(instance, package, payload=None, *, identity=WORKFLOW, issuer=GITHUB):
    payload = payload if payload is not None else statement_bytes(str(package))
    document = instance.bundle(PAYLOAD_TYPE, payload, identity=identity, issuer=issuer)
    package.with_name(package.name + ".sigstore.json").write_text(json.dumps(document))
    return document


def _sigstore(report):
    return report["signatures"]["sigstore"]


def findings(report):
    return sorted((c["severity"], c["code"]) for c in report["conclusions"] if "sig" in c["code"])


def test_a_bundle_from_a_trusted_identity_counts_offline(workspace, sigstore_instance, no_network):
    instance, root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    _bundle(instance, echo)
    config = workspace.config(_sigstore_table(root, (WORKFLOW, GITHUB, 'name = "release workflow"\n')))
    report = check_path(echo, config)
    assert report["status"] == "active", findings(report)
    assert _sigstore(report) | {"detail": "", "file": ""} == {
        "file": "", "status": "valid", "detail": "", "identity": WORKFLOW, "issuer": GITHUB,
        "signer": "release workflow"}
    assert findings(report) == []


def test_an_identity_prefix_and_the_startup_gate(workspace, sigstore_instance):
    from engine.host.startup import evaluate_startup

    instance, root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    workspace.package("acme.unsigned", "acme_unsigned")
    _bundle(instance, echo)
    prefix = WORKFLOW.rsplit("@", 1)[0] + "@refs/tags/*"
    workspace.config(_sigstore_table(root, (prefix, GITHUB, "")))
    report = evaluate_startup(workspace.root)
    assert [p.ref for p in report.plans] == ["project:acme.echo"]


@pytest.mark.parametrize(("identity", "issuer", "status"), [
    ("https://github.com/evil/fork/.github/workflows/release.yml@refs/tags/v1.2.0", GITHUB, "unknown_key"),
    (WORKFLOW, "https://accounts.example.com", "unknown_key"),  # the right SAN from another issuer
])
def test_an_identity_nobody_trusts_does_not_count(workspace, sigstore_instance, identity, issuer, status):
    instance, root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    _bundle(instance, echo, identity=identity, issuer=issuer)
    report = check_path(echo, workspace.config(_sigstore_table(root, (WORKFLOW, GITHUB, ""))))
    assert report["status"] == "rejected"
    assert _sigstore(report)["status"] == status and _sigstore(report)["identity"] == identity
    assert findings(report) == [("deny", "signature_not_trusted"), ("info", "sigstore_unknown_identity")]


def test_an_identity_signs_only_its_packages(workspace, sigstore_instance):
    instance, root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    _bundle(instance, echo)
    report = check_path(echo, workspace.config(_sigstore_table(root, (WORKFLOW, GITHUB, 'packages = ["other.*"]\n'))))
    assert _sigstore(report)["status"] == "not_allowed_for_package" and report["status"] == "rejected"


def test_a_bundle_for_another_package_is_wrong_digest(workspace, sigstore_instance):
    instance, root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    other = workspace.package("acme.other", "acme_other")
    _bundle(instance, echo, statement_bytes(str(other)))
    report = check_path(echo, workspace.config(_sigstore_table(root, (WORKFLOW, GITHUB, ""))))
    assert _sigstore(report)["status"] == "wrong_digest" and report["status"] == "rejected"
    assert ("warn", "sigstore_not_counted") in findings(report)


def test_a_tampered_bundle_or_another_sigstore_is_invalid(workspace, sigstore_instance):
    instance, root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    config = workspace.config(_sigstore_table(root, (WORKFLOW, GITHUB, "")))
    document = _bundle(instance, echo)
    real_payload = document["dsseEnvelope"]["payload"]
    document["dsseEnvelope"]["payload"] = json.loads(json.dumps(_bundle(
        instance, workspace.package("acme.x", "acme_x"))))["dsseEnvelope"]["payload"]
    echo.with_name(echo.name + ".sigstore.json").write_text(json.dumps(document))
    assert document["dsseEnvelope"]["payload"] != real_payload
    assert _sigstore(check_path(echo, config))["status"] == "invalid"
    _bundle(PrivateSigstore.create(), echo)  # a whole other CA and logs: nothing chains to the pinned root
    report = check_path(echo, config)
    assert _sigstore(report)["status"] == "invalid"
    assert "does not verify against the trusted root" in _sigstore(report)["detail"]


def test_a_file_that_is_not_a_bundle_is_malformed(workspace, sigstore_instance):
    _instance, root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    echo.with_name(echo.name + ".sigstore.json").write_text('{"mediaType": "nope"}')
    report = check_path(echo, workspace.config(_sigstore_table(root, (WORKFLOW, GITHUB, ""))))
    assert _sigstore(report)["status"] == "malformed" and report["status"] == "rejected"


def test_an_org_rule_can_require_a_given_identity(workspace, sigstore_instance, tmp_path, keys):
    from signing import private, trusted

    from engine.provenance.sign import sign_package

    instance, root = sigstore_instance
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "identity.rules").write_text(
        f'deny needs_release_workflow(P) "only the release workflow publishes" :-\n'
        f'    package(P, _, _, _, _), not signed_by(P, "{WORKFLOW}").\n')
    echo = workspace.package("acme.echo", "acme_echo")
    sign_package(str(echo), private(keys["new"]))  # a trusted key alone is not enough for this org
    config = workspace.config(trusted(keys["new"]) + _sigstore_table(root, (WORKFLOW, GITHUB, "")))
    assert check_path(echo, config, [policy])["status"] == "rejected"
    _bundle(instance, echo)
    assert check_path(echo, config, [policy])["status"] == "active"
    run = yoi("plugin", "check", str(echo), "--grants", str(config), "--policy", str(policy))
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"sigstore: {WORKFLOW} ({GITHUB}) valid" in run.stdout


def test_without_a_trusted_root_a_bundle_is_reported_not_verified(workspace, sigstore_instance):
    instance, _root = sigstore_instance
    echo = workspace.package("acme.echo", "acme_echo")
    _bundle(instance, echo)
    report = check_path(echo)
    assert report["status"] == "active"
    assert _sigstore(report)["status"] == "unknown_key" and _sigstore(report)["identity"] == ""


def test_a_broken_trusted_root_is_a_config_error(workspace, tmp_path):
    missing = workspace.config(_sigstore_table(tmp_path / "nope.json", (WORKFLOW, GITHUB, "")))
    run = yoi("plugin", "check", "examples/raw-echo", "--grants", str(missing))
    assert run.returncode == 2 and "trusted_root` could not be read: not found" in run.stderr
    (tmp_path / "list.json").write_text("[]")
    broken = workspace.config(_sigstore_table(tmp_path / "list.json", (WORKFLOW, GITHUB, "")))
    run = yoi("plugin", "check", "examples/raw-echo", "--grants", str(broken))
    assert run.returncode == 2 and "is not a trusted root" in run.stderr


def test_the_statement_to_sign_is_one_sigstore_signs(workspace):
    from sigstore.dsse import Statement

    echo = workspace.package("acme.echo", "acme_echo")
    run = yoi("plugin", "sign", str(echo), "--print-statement")
    assert run.returncode == 0
    assert run.stdout.encode() == statement_bytes(str(echo))
    Statement(run.stdout.encode())  # sigstore-python's signer accepts it as an in-toto statement
