"""Resolution of enablements against packages (spec §3.3) and grant binding (§3.4)."""

from __future__ import annotations

import dataclasses

import pytest

from engine.diagnostics import Location, Subject
from engine.grants.config import parse_config
from engine.grants.model import Enablement, FsGrant, Grants, HttpsGrant
from engine.grants.resolve import (
    GRANT_DIGEST_MISMATCH, GRANT_DIGEST_MISSING, GRANT_ID_INVALID, GRANT_ID_MISMATCH, GRANT_ID_MISSING,
    GRANT_VERSION_MISMATCH, GRANT_VERSION_MISSING, ResolvedRecord, binding_error, digest_matches, resolve,
)
from engine.package.digest import package_digest
from engine.package.model import Hook, Manifest, Package, Permission, Runtime, Tool

HOOK = (Hook("h", "hooks/a.md"),)
TOOL = (Tool("echo", "Echo", {"type": "object"}),)
RUNTIME = Runtime("wasm-component", component="c.wasm", world="yoi:plugin/tool@1.0.0")
PERMS = (Permission("surface", "tool"), Permission("tool", "echo"))


def build_package(
    local_id: str = "example",
    *,
    source: str = "project",
    version: str = "1.0.0",
    surfaces: tuple[str, ...] = (),
    hooks: tuple[Hook, ...] = (),
    tools: tuple[Tool, ...] = (),
    runtime: Runtime | None = None,
    label: str | None = None,
    salt: str = "",
) -> Package:
    manifest = Manifest(
        schema_version=1, id=local_id, name=local_id, version=version,
        surfaces=surfaces, hooks=hooks, tools=tools, runtime=runtime,
    )
    files = {
        "plugin.toml": f'schema_version = 1\nid = "{local_id}"\nversion = "{version}"\n# {salt}\n'.encode(),
        "hooks/a.md": b"hook",
    }
    return Package(
        source=source, manifest=manifest, digest=package_digest(files), files=files,
        path=f"/stores/{source}/{label or local_id}.yoi-plugin", label=label or f"{local_id}.yoi-plugin",
    )


def hook_package(**kw):
    return build_package(hooks=HOOK, **kw)


def bound_grants(package, **overrides) -> Grants:
    fields = dict(
        id=package.identity, version=package.manifest.version, digest=package.digest, permissions=PERMS,
    )
    fields.update(overrides)
    return Grants(**fields)


def only_diagnostic(resolution):
    assert resolution.records == ()
    (diag,) = resolution.diagnostics
    assert diag.phase == "resolution"
    return diag


# ---- step 1: refs ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["example", ""])
def test_unqualified_ids_are_ambiguous(raw):
    diag = only_diagnostic(resolve([Enablement(id=raw)], [hook_package()]))
    assert diag.kind == "ambiguous" and diag.code == "resolution.ambiguous"
    assert diag.message == (
        "plugin enablement id must be source-qualified as user:<id>, project:<id>, or builtin:<id>"
    )
    assert diag.subject == Subject(ref=raw)


@pytest.mark.parametrize("raw", ["workspace:example", "project:", "project:a:b", "project:.example", "project:ex ample"])
def test_invalid_ids_are_malformed(raw):
    diag = only_diagnostic(resolve([Enablement(id=raw)], [hook_package()]))
    assert diag.kind == "malformed"
    assert diag.message == "plugin enablement id is not a valid source-qualified plugin id"
    assert diag.subject.ref == raw


def test_raw_ref_in_subject_is_bounded():
    diag = only_diagnostic(resolve([Enablement(id="x" * 5000)], []))
    assert len(diag.subject.ref.encode()) <= 260


# ---- step 2: identity -----------------------------------------------------------------------------

def test_missing_package():
    diag = only_diagnostic(resolve([Enablement(id="builtin:example")], [hook_package()]))
    assert (diag.kind, diag.message) == ("missing", "enabled plugin package was not discovered")
    assert diag.subject == Subject(ref="builtin:example", source="builtin")


def test_user_and_project_are_distinct_identities():
    user = hook_package(source="user")
    resolution = resolve([Enablement(id="project:example"), Enablement(id="user:example")], [user])
    assert [r.ref for r in resolution.records] == ["user:example"]
    assert [d.kind for d in resolution.diagnostics] == ["missing"]


def test_identity_is_manifest_id_not_file_name():
    package = hook_package(label="renamed-file.yoi-plugin")
    assert resolve([Enablement(id="project:renamed-file")], [package]).diagnostics[0].kind == "missing"
    assert resolve([Enablement(id="project:example")], [package]).records[0].package is package


def test_duplicate_packages():
    packages = [hook_package(label="a.yoi-plugin"), hook_package(label="b.yoi-plugin", salt="b")]
    diag = only_diagnostic(resolve([Enablement(id="project:example")], packages))
    assert (diag.kind, diag.message) == (
        "duplicate", "enabled plugin package identity resolved to multiple discovered packages",
    )


# ---- step 3: digest pin ---------------------------------------------------------------------------

def test_matching_digest_pin_resolves():
    package = hook_package()
    assert resolve([Enablement(id="project:example", digest=package.digest)], [package]).records


@pytest.mark.parametrize("pin", ["sha256:0000", "", "sha256:", "SHA256:{hex}", "{hex}", "sha256:{HEX}", "sha512:{hex}",
                                 "sha256:{hex} "])
def test_digest_pin_mismatch(pin):
    package = hook_package()
    hex_part = package.digest.removeprefix("sha256:")
    pin = pin.format(hex=hex_part, HEX=hex_part.upper())
    diag = only_diagnostic(resolve([Enablement(id="project:example", digest=pin)], [package]))
    assert (diag.kind, diag.message) == ("digest", "enabled plugin digest pin does not match discovered package digest")
    assert diag.subject == Subject(
        ref="project:example", source="project", label=package.label, digest=package.digest,
    )


def test_digest_matches_requires_prefix_on_both_sides():
    assert digest_matches("sha256:ab", "sha256:ab")
    assert not digest_matches("ab", "ab")
    assert not digest_matches("sha256:AB", "sha256:ab")
    assert not digest_matches("md5:ab", "md5:ab")
    assert not digest_matches(None, "sha256:ab")
    assert not digest_matches("sha256:ab", None)


# ---- step 4: exact version ------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["9.9.9", "1.0", "1.0.0 ", "v1.0.0", ""])
def test_exact_version_mismatch(version):
    diag = only_diagnostic(resolve([Enablement(id="project:example", version=version)], [hook_package()]))
    assert (diag.kind, diag.message) == (
        "version", "enabled plugin exact version requirement does not match discovered package version",
    )
    assert diag.subject.digest is not None and diag.subject.label == "example.yoi-plugin"


def test_exact_version_match_resolves():
    assert resolve([Enablement(id="project:example", version="1.0.0")], [hook_package()]).records


# ---- step 5: grant binding ------------------------------------------------------------------------

BINDING_CASES = [
    (dict(id=None), GRANT_ID_MISSING, "plugin grant is missing a source-qualified package id binding"),
    (dict(id="user:example"), GRANT_ID_MISMATCH, "plugin grant package id binding does not match enabled package"),
    (dict(id="project:other"), GRANT_ID_MISMATCH, None),
    (dict(id="example"), GRANT_ID_INVALID, "plugin grant package id binding is not a valid source-qualified plugin id"),
    (dict(id="project:a:b"), GRANT_ID_INVALID, None),
    (dict(id=""), GRANT_ID_INVALID, None),
    (dict(digest=None), GRANT_DIGEST_MISSING, "plugin grant is missing a deterministic digest binding"),
    (dict(digest="sha256:0000"), GRANT_DIGEST_MISMATCH, "plugin grant digest binding does not match enabled package digest"),
    (dict(digest="{hex}"), GRANT_DIGEST_MISMATCH, None),
    (dict(digest="sha256:{HEX}"), GRANT_DIGEST_MISMATCH, None),
    (dict(version=None), GRANT_VERSION_MISSING, "plugin grant is missing an exact package version binding"),
    (dict(version="1.0.1"), GRANT_VERSION_MISMATCH, "plugin grant version binding does not match enabled package version"),
    (dict(version=""), GRANT_VERSION_MISMATCH, None),
]


def _with_hex(overrides: dict, package) -> dict:
    hex_part = package.digest.removeprefix("sha256:")
    return {k: v.format(hex=hex_part, HEX=hex_part.upper()) if isinstance(v, str) else v for k, v in overrides.items()}


@pytest.mark.parametrize("overrides, constant, text", BINDING_CASES)
def test_each_binding_message(overrides, constant, text):
    package = build_package(tools=TOOL)
    grants = bound_grants(package, **_with_hex(overrides, package))
    if text is not None:
        assert constant == text
    assert binding_error(grants, package) == constant
    diag = only_diagnostic(resolve([Enablement(id="project:example", grants=grants)], [package]))
    assert (diag.kind, diag.message) == ("grant", constant)


def test_binding_order_is_id_then_digest_then_version():
    package = build_package(tools=TOOL)
    assert binding_error(Grants(permissions=PERMS), package) == GRANT_ID_MISSING
    assert binding_error(Grants(id="project:x", digest="bad", version="bad", permissions=PERMS), package) == GRANT_ID_MISMATCH
    assert binding_error(Grants(id="x", permissions=PERMS), package) == GRANT_ID_INVALID
    assert binding_error(bound_grants(package, digest="bad", version=None), package) == GRANT_DIGEST_MISMATCH
    assert binding_error(bound_grants(package, digest=None, version="bad"), package) == GRANT_DIGEST_MISSING


@pytest.mark.parametrize(
    "grants",
    [
        Grants(),
        Grants(id="garbage", version="x", digest="y"),
        Grants(id="user:someone-else"),
    ],
)
def test_empty_grants_bind_regardless_of_bindings(grants):
    package = hook_package()
    assert grants.is_empty and binding_error(grants, package) is None
    (record,) = resolve([Enablement(id="project:example", grants=grants)], [package]).records
    assert record.grants == grants


@pytest.mark.parametrize(
    "grants",
    [Grants(permissions=(Permission("external_write"),)), Grants(https=(HttpsGrant("h"),)), Grants(fs=(FsGrant("/"),))],
)
def test_any_non_empty_part_requires_binding(grants):
    assert not grants.is_empty
    assert binding_error(grants, hook_package()) == GRANT_ID_MISSING


def test_exact_binding_resolves():
    package = build_package(tools=TOOL)
    grants = bound_grants(package)
    (record,) = resolve([Enablement(id="project:example", grants=grants)], [package]).records
    assert record.grants is grants
    assert {p.label for p in record.grants.permissions} == {"surfaces.tool", "tool.echo"}


# ---- step 6/7: surfaces ---------------------------------------------------------------------------

def test_undeclared_surface():
    package = hook_package()
    diag = only_diagnostic(resolve([Enablement(id="project:example", surfaces=("hook", "tool"))], [package]))
    assert (diag.kind, diag.message) == ("surface", "enabled plugin requested undeclared surface `tool`")
    assert diag.subject.surface == "tool" and diag.subject.digest == package.digest


def test_first_undeclared_surface_in_enum_order_is_reported():
    diag = only_diagnostic(resolve([Enablement(id="project:example", surfaces=("wasm", "service"))], [hook_package()]))
    assert diag.message == "enabled plugin requested undeclared surface `service`"


def test_unknown_surface_built_in_code_is_not_silently_dropped():
    diag = only_diagnostic(resolve([Enablement(id="project:example", surfaces=("hook", "shell"))], [hook_package()]))
    assert diag.message == "enabled plugin requested undeclared surface `shell`"


def test_surface_subset_is_sorted_in_enum_order_and_deduplicated():
    package = build_package(hooks=HOOK, tools=TOOL, runtime=RUNTIME)
    enablement = Enablement(id="project:example", surfaces=("wasm", "tool", "hook", "tool"))
    (record,) = resolve([enablement], [package]).records
    assert record.enabled_surfaces == ("hook", "tool", "wasm")


def test_default_surfaces_are_all_declared_including_wasm():
    package = build_package(tools=TOOL, runtime=RUNTIME, surfaces=("ingress",))
    (record,) = resolve([Enablement(id="project:example")], [package]).records
    assert record.enabled_surfaces == ("tool", "ingress", "wasm")


def test_default_surfaces_of_a_package_without_any():
    (record,) = resolve([Enablement(id="project:example")], [build_package()]).records
    assert record.enabled_surfaces == ()


# ---- order of checks, records, repeats ------------------------------------------------------------

def test_checks_run_in_spec_order():
    package = hook_package()
    bad_grants = Grants(permissions=PERMS)
    cases = [
        (dict(digest="sha256:0", version="9", grants=bad_grants, surfaces=("tool",)), "digest"),
        (dict(version="9", grants=bad_grants, surfaces=("tool",)), "version"),
        (dict(grants=bad_grants, surfaces=("tool",)), "grant"),
        (dict(surfaces=("tool",)), "surface"),
    ]
    for fields, kind in cases:
        assert only_diagnostic(resolve([Enablement(id="project:example", **fields)], [package])).kind == kind


def test_record_fields_and_location():
    package = hook_package()
    location = Location("cfg.toml", 3, 1)
    enablement = Enablement(id="project:example", config={"k": 1}, location=location)
    (record,) = resolve([enablement], [package]).records
    assert isinstance(record, ResolvedRecord)
    assert (record.ref, record.source, record.package, record.config, record.enablement) == (
        "project:example", "project", package, {"k": 1}, enablement,
    )
    assert (record.digest, record.version) == (package.digest, "1.0.0")
    assert "'k'" not in repr(record)  # config may hold secrets
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.ref = "x"  # type: ignore[misc]
    bad = dataclasses.replace(enablement, version="2")
    assert only_diagnostic(resolve([bad], [package])).location == location


def test_same_id_twice_resolves_twice_independently():
    package = hook_package()
    enabled = [
        Enablement(id="project:example"),
        Enablement(id="project:example", version="9"),
        Enablement(id="project:example", surfaces=("hook",)),
    ]
    resolution = resolve(enabled, [package])
    assert len(resolution.records) == 2 and [d.kind for d in resolution.diagnostics] == ["version"]


def test_no_enablements_resolve_nothing():
    resolution = resolve([], [hook_package(), build_package("other")])
    assert resolution.records == () and resolution.diagnostics == ()


# ---- ported §7.1 tests ----------------------------------------------------------------------------

def test_explicit_enablement_resolves_typed_metadata():
    package = hook_package()
    resolution = resolve([Enablement(id="project:example")], [package])
    assert resolution.diagnostics == ()
    (record,) = resolution.records
    assert record.ref == "project:example" and record.source == "project"
    assert record.enabled_surfaces == ("hook",)
    assert record.grants.is_empty
    assert record.package.manifest.version == "1.0.0" and record.digest.startswith("sha256:")


def test_duplicate_and_unqualified_ids_fail_closed():
    packages = [build_package("dup", hooks=HOOK, label="one.yoi-plugin"),
                build_package("dup", hooks=HOOK, label="two.yoi-plugin", salt="2")]
    resolution = resolve([Enablement(id="project:dup"), Enablement(id="dup")], packages)
    assert resolution.records == ()
    assert [d.kind for d in resolution.diagnostics] == ["duplicate", "ambiguous"]


def test_digest_mismatch_fails_closed():
    resolution = resolve([Enablement(id="project:example", digest="sha256:0000")], [hook_package()])
    assert resolution.records == () and resolution.diagnostics[0].kind == "digest"


def test_exact_version_mismatch_fails_closed_with_distinct_diagnostic():
    resolution = resolve([Enablement(id="project:example", version="9.9.9")], [hook_package()])
    assert resolution.records == ()
    assert [(d.kind, d.phase) for d in resolution.diagnostics] == [("version", "resolution")]
    assert all(d.kind != "api" for d in resolution.diagnostics)


def test_typed_permission_grant_binding_resolves_only_exact_package_identity():
    package = build_package(tools=TOOL)
    exact = bound_grants(package)
    assert resolve([Enablement(id="project:example", grants=exact)], [package]).records
    for wrong in (
        dataclasses.replace(exact, id="project:other"),
        dataclasses.replace(exact, version="9.9.9"),
        dataclasses.replace(exact, digest="sha256:0000"),
    ):
        diag = only_diagnostic(resolve([Enablement(id="project:example", grants=wrong)], [package]))
        assert diag.kind == "grant"


def test_surface_and_grant_failures_do_not_resolve():
    package = hook_package()
    resolution = resolve(
        [Enablement(id="project:example", surfaces=("tool",)),
         Enablement(id="project:example", grants=Grants(permissions=(Permission("surface", "hook"),)))],
        [package],
    )
    assert resolution.records == ()
    assert [d.kind for d in resolution.diagnostics] == ["surface", "grant"]
    assert resolution.diagnostics[1].message == GRANT_ID_MISSING


def test_parse_plugin_enablement_config():
    text = (
        '[[plugins.enabled]]\nid = "project:example"\nversion = "1.0.0"\ndigest = "sha256:abc"\n'
        'surfaces = ["hook"]\n[plugins.enabled.config]\nmode = "fast"\nlimit = 3\n'
    )
    (enablement,) = parse_config(text, "config.toml").enabled
    assert (enablement.id, enablement.version, enablement.digest, enablement.surfaces) == (
        "project:example", "1.0.0", "sha256:abc", ("hook",),
    )
    assert enablement.config == {"mode": "fast", "limit": 3}


def test_config_file_to_resolution_end_to_end():
    package = build_package(tools=TOOL, runtime=RUNTIME)
    text = (
        f'[[plugins.enabled]]\nid = "project:example"\ndigest = "{package.digest}"\nsurfaces = ["tool"]\n'
        f'[plugins.enabled.grants]\nid = "project:example"\nversion = "1.0.0"\ndigest = "{package.digest}"\n'
        'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool", name = "echo" }]\n'
        '[[plugins.enabled]]\nid = "project:example"\nsurfaces = ["service"]\n'
    )
    config = parse_config(text, "config.toml")
    resolution = resolve(config.enabled, [package])
    (record,) = resolution.records
    assert record.enabled_surfaces == ("tool",) and record.grants.permissions == PERMS
    (diag,) = resolution.diagnostics
    assert diag.kind == "surface" and diag.location == Location("config.toml", 12, 13)  # the `"service"` item
