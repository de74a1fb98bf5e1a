"""Artifacts above the reference's 8 MiB bound (spec §6.7, §6.8): this engine accepts them (up to
32 MiB, for componentize-py guests), but never silently: `artifact_over_reference_limit` warns,
`--fail-on warn` fails on it and an org policy can deny it (docs/reference-differences.md). The
same holds for the raised per-file (8 -> 32 MiB) and package (16 -> 40 MiB) bounds of spec §5.1:
`package_file_over_reference_limit` and `package_over_reference_limit` warn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rule_cases import RAW_MANIFEST, codes, judge, write_package
from wasm_builders import core_module, with_custom_section

from engine.cli.main import cli
from engine.package.archive import stored_archive_size, write_archive

REFERENCE_LIMIT = 8 * 1024 * 1024
CODE = "artifact_over_reference_limit"
FILE_CODE = "package_file_over_reference_limit"
PACKAGE_CODE = "package_over_reference_limit"
REFERENCE_PACKAGE_LIMIT = 16 * 1024 * 1024
SIZE_CODES = {CODE, FILE_CODE, PACKAGE_CODE}
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def module_of_size(total: int) -> bytes:
    """A valid raw-ABI core module (from WAT) padded to exactly `total` bytes with a custom section."""
    base = core_module(imports=[("yoi:tool", "input_len", "(result i32)")])
    pad = total - len(base)
    while len(data := with_custom_section(base, b"padding", bytes(pad))) != total:
        pad -= len(data) - total  # the section's length prefix takes some of the bytes
    return data


@pytest.fixture(scope="module")
def big_package(tmp_path_factory) -> tuple[Path, int]:
    size = REFERENCE_LIMIT + 1
    folder = tmp_path_factory.mktemp("big") / "pkg"
    return write_package(folder, RAW_MANIFEST, {"tool.wasm": module_of_size(size)}), size


def test_an_artifact_over_8_mib_gets_the_warning_and_stays_usable(big_package):
    path, size = big_package
    subject, evaluation = judge(path)
    assert evaluation.holds("artifact_size", subject.ref, size)
    found = [c for c in evaluation.conclusions(subject.ref) if c.code == CODE]
    assert [(c.severity, c.args) for c in found] == [("warn", (subject.ref, size))]
    assert found[0].message == (f"artifact is {size} bytes, above the reference yoi's 8388608-byte limit; "
                                "the reference host would refuse it")
    # A warning: the package is still active here (the larger bound is the departure).
    assert codes(evaluation) == set()
    assert evaluation.value("status", subject.ref) == "active"


def test_an_artifact_of_exactly_8_mib_is_within_the_reference_bound(tmp_path):
    path = write_package(tmp_path / "pkg", RAW_MANIFEST, {"tool.wasm": module_of_size(REFERENCE_LIMIT)})
    subject, evaluation = judge(path)
    assert evaluation.holds("artifact_size", subject.ref, REFERENCE_LIMIT)
    assert not SIZE_CODES & codes(evaluation, "warn")


def test_check_shows_it_and_fail_on_warn_fails(big_package):
    path, size = big_package
    runner = CliRunner()
    shown = runner.invoke(cli, ["plugin", "check", str(path)])
    assert shown.exit_code == 0, shown.output
    assert f"artifact is {size} bytes, above the reference yoi's 8388608-byte limit" in shown.output
    gated = runner.invoke(cli, ["plugin", "check", str(path), "--fail-on", "warn", "--json"])
    assert gated.exit_code == 1, gated.output
    report = json.loads(gated.stdout)
    assert {"kind": "limits", "severity": "warn", "code": CODE} in [
        {key: d.get(key) for key in ("kind", "severity", "code")} for d in report["diagnostics"]]


def test_an_org_policy_can_deny_it(big_package, tmp_path):
    path, _ = big_package
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "size.rules").write_text(
        'deny reference_size_only(P) "artifacts must fit the reference host" :- artifact_over_reference_limit(P, _).\n')
    result = CliRunner().invoke(cli, ["plugin", "check", str(path), "--policy", str(policy), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "rejected"
    assert "reference_size_only" in [d.get("code") for d in report["diagnostics"]]


@pytest.mark.parametrize("example", ["raw-echo", "component-echo", "instance-counter"])
def test_the_examples_fit_the_reference_bound(example):
    subject, evaluation = judge(EXAMPLES / example)
    sizes = evaluation.rows("artifact_size", subject.ref)
    assert sizes, "the example's artifact size is a fact"
    assert all(0 < size <= REFERENCE_LIMIT for (_, size) in sizes)
    assert not SIZE_CODES & codes(evaluation, "warn")


SMALL_MODULE = core_module(imports=[("yoi:tool", "input_len", "(result i32)")])


def test_a_data_file_over_8_mib_gets_the_per_file_warning_not_the_artifact_one(tmp_path):
    size = REFERENCE_LIMIT + 1
    files = {"tool.wasm": SMALL_MODULE, "assets/model.bin": b"\x5a" * size, "small.txt": b"x" * 4096}
    path = write_package(tmp_path / "pkg", RAW_MANIFEST, files)
    subject, evaluation = judge(path)
    # only large files are facts (>= 1 MiB); the small ones and the small artifact are not
    assert evaluation.rows("package_file_size", subject.ref) == [(subject.ref, "assets/model.bin", size)]
    found = [c for c in evaluation.conclusions(subject.ref) if c.code in SIZE_CODES]
    assert [(c.code, c.severity, c.args) for c in found] == [(FILE_CODE, "warn", (subject.ref, "assets/model.bin", size))]
    assert found[0].message == (f"package file `assets/model.bin` is {size} bytes, above the reference yoi's "
                                "8388608-byte per-file limit; the reference would refuse the package")
    assert evaluation.value("status", subject.ref) == "active"  # a warning: the larger bound is the departure
    gated = CliRunner().invoke(cli, ["plugin", "check", str(path), "--fail-on", "warn", "--json"])
    assert gated.exit_code == 1, gated.output
    assert {"kind": "limits", "severity": "warn", "code": FILE_CODE} in [
        {key: d.get(key) for key in ("kind", "severity", "code")} for d in json.loads(gated.stdout)["diagnostics"]]


def test_a_package_over_16_mib_gets_the_package_warning(tmp_path):
    # two files of exactly the reference per-file bound: no per-file warning, but the package is over 16 MiB
    files = {"tool.wasm": SMALL_MODULE, "a.bin": bytes(REFERENCE_LIMIT), "b.bin": b"\x01" * REFERENCE_LIMIT}
    path = write_package(tmp_path / "pkg", RAW_MANIFEST, files)
    subject, evaluation = judge(path)
    package = subject.package
    expected = len(write_archive(package.files))
    assert expected > REFERENCE_PACKAGE_LIMIT
    assert evaluation.holds("package_size", subject.ref, expected)
    found = [(c.code, c.args) for c in evaluation.conclusions(subject.ref) if c.code in SIZE_CODES]
    assert found == [(PACKAGE_CODE, (subject.ref, expected))]


def test_a_big_artifact_gets_only_the_artifact_warning(big_package):
    path, size = big_package
    subject, evaluation = judge(path)
    assert evaluation.rows("package_file_size", subject.ref) == [(subject.ref, "tool.wasm", size)]
    assert SIZE_CODES & codes(evaluation, "warn") == {CODE}


@pytest.mark.parametrize("files", [
    {},
    {"plugin.toml": b"x"},
    {"b/c.txt": b"", "a.wasm": bytes(1000), "\u00e9t\u00e9.txt": b"summer"},
])
def test_stored_archive_size_is_the_length_pack_writes(files):
    assert stored_archive_size(files) == len(write_archive(files))
