"""The bundled target profiles (targets/*.toml): what each host accepts and its limits, read from
the two specs and the engine's own constants (issue 19 point 1)."""

from __future__ import annotations

import pytest

from engine.targets import ALL, HostInterface, UnknownTarget, bundled_targets
from engine.targets.schema import FLAGS, REQUIRED_LIMITS, STORE_LIMITS

OLD, CURRENT, ENGINE = "yoi@43c9216e", "yoi@b12e0785", "engine"
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def registry():
    return bundled_targets()


def runtimes(profile):
    return {(r.kind, r.abi_or_world) for r in profile.runtimes}


def test_three_targets_ship_and_engine_is_the_default(registry):
    assert registry.names() == (ENGINE, OLD, CURRENT)
    assert registry.default().name == ENGINE
    assert registry.get("yoi-current") is registry.get(CURRENT)
    assert registry.select([]) == (registry.get(ENGINE),)
    assert registry.select([ALL]) == registry.profiles
    # in the order asked, each once, `all` expanding in place
    assert [p.name for p in registry.select(["yoi-current", OLD, CURRENT])] == [CURRENT, OLD]
    assert [p.name for p in registry.select([OLD, ALL])] == [OLD, ENGINE, CURRENT]


def test_an_unknown_target_lists_what_exists(registry):
    with pytest.raises(UnknownTarget) as error:
        registry.select([OLD, "yoi@main"])
    assert str(error.value) == (
        "unknown target `yoi@main`; known: engine, yoi@43c9216e, yoi@b12e0785 (alias yoi-current), all"
    )
    assert isinstance(error.value, LookupError)


def test_runtimes_old_accepts_raw_wasm_current_retires_it(registry):
    components = {("wasm-component", "yoi:plugin/tool@1.0.0"), ("wasm-component", "yoi:plugin/instance@1.0.0")}
    raw = ("wasm", "yoi-plugin-wasm-1")
    assert runtimes(registry.get(OLD)) == components | {raw}
    assert registry.get(OLD).retired_runtime_kinds == ()
    assert runtimes(registry.get(CURRENT)) == components  # cur §1.3
    assert registry.get(CURRENT).retired_runtime_kinds == ("wasm",)
    assert runtimes(registry.get(ENGINE)) == components | {raw}  # both formats; the seed's adapters stay
    assert registry.get(ENGINE).retired_runtime_kinds == ()


def test_host_apis_and_their_interfaces(registry):
    old, current, engine = (registry.get(n) for n in (OLD, CURRENT, ENGINE))
    assert [a.name for a in old.host_apis] == ["https", "fs"]
    assert old.host_api("https").interfaces == (
        HostInterface("component", "yoi:host/https@1.0.0"),
        HostInterface("core", "yoi:https"),
    )
    assert old.host_api("https").schemes == ("https",) and old.host_api("https").manifest_table is None
    assert [a.name for a in current.host_apis] == ["request", "websocket", "fs"]
    assert current.host_api("request").manifest_table == "request"
    assert current.host_api("request").schemes == ("http", "https")
    assert current.host_api("websocket").schemes == ("ws", "wss")
    assert current.host_api("fs").interfaces == (HostInterface("component", "yoi:host/fs@1.0.0"),)
    assert current.host_api("https") is None
    assert {a.name for a in engine.host_apis} == {"https", "request", "websocket", "fs"}
    # merged from both: the raw `yoi:fs` module and the component interface
    assert set(engine.host_api("fs").interfaces) == set(old.host_api("fs").interfaces)


def test_manifest_and_config_keys(registry):
    old, current, engine = (registry.get(n) for n in (OLD, CURRENT, ENGINE))
    assert set(current.manifest_keys) - set(old.manifest_keys) == {"request", "websocket"}  # cur §1.2
    assert set(engine.manifest_keys) == set(current.manifest_keys)
    grants = "plugins.enabled.grants"
    assert (grants, "https") in old.config_keys and (grants, "https") not in current.config_keys  # cur §3.1
    assert {(grants, "request"), (grants, "websocket")} <= set(current.config_keys) - set(old.config_keys)
    engine_only = set(engine.config_keys) - set(old.config_keys) - set(current.config_keys)
    assert engine_only == {("plugins", "host"), ("plugins", "trust"), ("plugins.enabled", "limits"),
                           ("plugins.enabled", "restart"), ("plugins.enabled", "signature")}


def test_limits_of_the_two_yois(registry):
    for name in (OLD, CURRENT):
        profile = registry.get(name)
        assert profile.limit("max_package_size_bytes") == 16 * MIB
        assert profile.limit("max_file_size_bytes") == 8 * MIB
        assert profile.limit("max_artifact_bytes") == 8 * MIB
        assert profile.limit("memory_bytes") == 2 * MIB
        assert profile.limit("fuel") == 5_000_000 and profile.limit("timeout_ms") == 1000
        assert [profile.store_limit("component", n) for n in STORE_LIMITS] == [1, 1, 1]
    assert registry.get(OLD).store_limit("core", "instances") == 1
    assert registry.get(CURRENT).store_limit("core", "instances") is None  # no raw runtime
    assert registry.get(OLD).limit("ingress_timeout_ms") is None  # fuel only at 43c9216e
    assert registry.get(CURRENT).limit("ingress_timeout_ms") == 1000


def test_engine_limits_are_the_code_constants(registry):
    """The engine profile states its raisable maxima as data; the code keeps its own constants.
    They must agree until the code reads them from the profile."""
    from engine.compiled import MAX_WASM_STACK
    from engine.package.limits import DEFAULT_LIMITS as PACKAGE
    from engine.plan import DEFAULT_LIMITS, HOST_MAXIMA, RAISABLE_LIMITS
    from engine.runtime.wasm import COMPONENT_COUNTS, MAX_ARTIFACT_BYTES, RAW_COUNTS

    engine = registry.get(ENGINE)
    for name in RAISABLE_LIMITS:
        assert engine.limit(name) == getattr(HOST_MAXIMA, name), name
    for name in ("max_input_bytes", "max_output_bytes"):
        assert engine.limit(name) == getattr(DEFAULT_LIMITS, name)
    for name in vars(PACKAGE):
        assert engine.limit(name) == getattr(PACKAGE, name), name
    assert engine.limit("max_artifact_bytes") == MAX_ARTIFACT_BYTES
    assert engine.limit("max_wasm_stack_bytes") == MAX_WASM_STACK
    assert engine.limit("ingress_timeout_ms") == HOST_MAXIMA.timeout_ms
    for form, counts in (("component", COMPONENT_COUNTS), ("core", RAW_COUNTS)):
        assert {n: engine.store_limit(form, n) for n in STORE_LIMITS} == counts


def test_every_profile_states_every_flag_and_limit(registry):
    for profile in registry.profiles:
        assert {name for name, _ in profile.flags} == set(FLAGS)
        assert set(REQUIRED_LIMITS) <= {name for name, _ in profile.limits}


def test_network_flags(registry):
    old, current, engine = (registry.get(n) for n in (OLD, CURRENT, ENGINE))
    assert old.flag("ssrf_protection") and not old.flag("private_literal_grant_reachable")
    assert not current.flag("ssrf_protection") and current.flag("private_hostname_reachable")  # cur §6.10 step 13
    assert not current.flag("websocket_dns_pinned")  # cur §6.15 step 13
    assert engine.flag("ssrf_protection") and engine.flag("private_literal_grant_reachable")
    assert not engine.flag("private_hostname_reachable") and engine.flag("websocket_dns_pinned")
    with pytest.raises(KeyError):
        engine.flag("no_such_flag")


def test_lifecycle_names(registry):
    assert registry.get(OLD).lifecycle_states == ("Ready", "Started", "Stopped", "Failed")
    assert registry.get(CURRENT).lifecycle_states == ("Ready", "Starting", "Running", "Stopping", "Stopped", "Failed")


def test_reserved_tool_names_come_from_each_worker(registry):
    old, current, engine = (set(registry.get(n).reserved_tools) for n in (OLD, CURRENT, ENGINE))
    assert "Read" in old and "Read" in current  # spec §7.2 builtin_tool_name_collision_is_rejected_with_diagnostic
    assert {"ViewImage", "SubWorkerSpawn", "QueryTicket"} <= current - old
    assert {"SpawnPod", "TicketList", "MemoryRead"} <= old - current
    assert engine == old | current  # the engine's host sits beside a worker of either commit


def test_wit_variants_named_by_each_target(registry):
    assert registry.get(OLD).wit == (OLD,)
    assert registry.get(CURRENT).wit == (CURRENT,)
    assert registry.get(ENGINE).wit == (OLD, CURRENT)


def test_host_api_interfaces_are_exactly_the_variants_host_interfaces(registry):
    """Each yoi target offers, as component interfaces, exactly the `yoi:host` interfaces of its
    own WIT variant (so the profile and the WIT cannot drift apart)."""
    from engine.wit.bundled import bundled_resolve

    for name in (OLD, CURRENT):
        profile = registry.get(name)
        (variant,) = profile.wit
        wit_interfaces = {i for i in bundled_resolve(variant).interfaces if i.startswith("yoi:host/")}
        offered = {i.name for api in profile.host_apis for i in api.interfaces if i.form == "component"}
        assert offered == wit_interfaces


def test_every_data_folder_ships_in_the_wheel_and_the_sdist():
    """targets/ is found through engine.resources like rules/ and wit/, so it must be packed
    the same way (hatchling force-include to engine/_data/<name>)."""
    import tomllib
    from pathlib import Path

    from engine.resources import DATA_FOLDERS

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    build = project["tool"]["hatch"]["build"]["targets"]
    assert "targets" in DATA_FOLDERS
    for name in DATA_FOLDERS:
        assert build["wheel"]["force-include"][name] == f"engine/_data/{name}"
        assert name in build["sdist"]["include"]
