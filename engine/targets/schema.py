"""The shape of a target profile file (`targets/*.toml`), checked with cerberus when it is loaded.

The names below are the vocabulary rules may rely on: every profile states every flag and every
required limit, so a rule never meets a target that is silent about something (an omitted flag
would read as "false" and an omitted limit as "no limit"). A new flag or limit is one entry
here, a value in each profile, and a line in docs/targets.md (tests/targets keep them in step).
"""

from __future__ import annotations

# Limits every profile states (bytes, counts, fuel units, milliseconds).
REQUIRED_LIMITS = (
    "max_packages_per_store",
    "max_package_size_bytes",
    "max_manifest_size_bytes",
    "max_entries_per_package",
    "max_file_size_bytes",
    "max_expanded_size_bytes",
    "max_artifact_bytes",
    "memory_bytes",
    "table_elements",
    "fuel",
    "timeout_ms",
    "max_input_bytes",
    "max_output_bytes",
    "max_wasm_stack_bytes",
)
# Limits a host may not have at all (absent = that host has no such bound).
OPTIONAL_LIMITS = ("ingress_timeout_ms", "compile_ms")
# Store limits per artifact form (wasmtime/wasmi StoreLimits beside memory_bytes/table_elements).
STORE_LIMITS = ("instances", "tables", "memories")
# Artifact forms, as the `artifact(P, Form)` facts name them, and the runtime kind of each.
FORM_OF_KIND = {"wasm": "core", "wasm-component": "component"}
FORMS = tuple(FORM_OF_KIND.values())
# The key naming a runtime's second part, per kind (`runtime(P, Kind, AbiOrWorld)`).
RUNTIME_DETAIL_KEY = {"wasm": "abi", "wasm-component": "world"}

FLAGS = (
    "check_synthesizes_empty_grants",
    "ssrf_protection",
    "private_literal_grant_reachable",
    "private_hostname_reachable",
    "websocket_dns_pinned",
    "event_kinds_enforced",
    "ingress_sources_live",
    "ingress_envelope_current",
    "output_commands_executed",
    "ingress_failure_permanent",
    "failed_instances_restart",
    "no_runtime_install_fails",
    "startup_resolves_enabled",
    "url_target_inspection",
    "fs_root_absolute_required",
)
# `[config]` lists per config table, and the table each names.
CONFIG_TABLES = {
    "plugins_keys": "plugins",
    "enablement_keys": "plugins.enabled",
    "grant_keys": "plugins.enabled.grants",
}

NAME_PATTERN = r"[a-z0-9][a-z0-9@._-]{0,63}"
_NAME = {"type": "string", "regex": NAME_PATTERN}
_WORD = {"type": "string", "regex": r"[A-Za-z0-9_][A-Za-z0-9_.:/@-]{0,127}"}
_WORDS = {"type": "list", "schema": _WORD}
_NAMES = {"type": "list", "schema": _NAME}
_COUNT = {"type": "integer", "min": 0}

PROFILE_SCHEMA: dict = {
    "schema_version": {"type": "integer", "required": True, "allowed": [1]},
    "name": {**_NAME, "required": True},
    "aliases": _NAMES,
    "default": {"type": "boolean"},
    "description": {"type": "string", "required": True, "empty": False, "maxlength": 300},
    "union_of": _NAMES,
    "host_apis_from_registry": {"type": "boolean"},
    "wit": _NAMES,
    "upstream": {
        "type": "dict",
        "schema": {
            "repository": {"type": "string", "required": True, "regex": r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"},
            "commit": {"type": "string", "required": True, "regex": r"[0-9a-f]{40}"},
            "spec": {"type": "string", "required": True, "regex": r"[A-Za-z0-9_.-]+\.md"},
        },
    },
    "manifest": {
        "type": "dict",
        "schema": {
            "schema_versions": {"type": "list", "schema": {"type": "integer", "min": 0}},
            "keys": _WORDS,
            "surfaces": _WORDS,
            "permission_kinds": _WORDS,
        },
    },
    "config": {"type": "dict", "schema": dict.fromkeys(CONFIG_TABLES, _WORDS)},
    "runtime": {
        "type": "dict",
        "schema": {
            "retired_kinds": {"type": "list", "schema": {"type": "string", "allowed": list(FORM_OF_KIND)}},
            "accepts": {
                "type": "list",
                "schema": {
                    "type": "dict",
                    "schema": {
                        "kind": {"type": "string", "required": True, "allowed": list(FORM_OF_KIND)},
                        **dict.fromkeys(RUNTIME_DETAIL_KEY.values(), _WORD),
                    },
                },
            },
        },
    },
    "host_apis": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "name": {**_NAME, "required": True},
                "interfaces": {
                    "type": "list",
                    "required": True,
                    "schema": {
                        "type": "dict",
                        "schema": {
                            "form": {"type": "string", "required": True, "allowed": list(FORMS)},
                            "name": {**_WORD, "required": True},
                        },
                    },
                },
                "grant_table": {**_WORD, "required": True},
                "manifest_table": _WORD,
                "schemes": {
                    "type": "list",
                    "required": True,
                    "schema": {"type": "string", "regex": r"[a-z][a-z0-9+.-]*"},
                },
            },
        },
    },
    "limits": {
        "type": "dict",
        "required": True,
        "schema": {
            **{name: {**_COUNT, "required": True} for name in REQUIRED_LIMITS},
            **dict.fromkeys(OPTIONAL_LIMITS, _COUNT),
            "store": {
                "type": "dict",
                "required": True,
                "schema": {
                    form: {"type": "dict", "schema": {name: {**_COUNT, "required": True} for name in STORE_LIMITS}}
                    for form in FORMS
                },
            },
        },
    },
    "lifecycle": {"type": "dict", "required": True, "schema": {"states": {**_WORDS, "required": True}}},
    "tools": {"type": "dict", "schema": {"reserved": _WORDS}},
    "flags": {
        "type": "dict",
        "required": True,
        "schema": {name: {"type": "boolean", "required": True} for name in FLAGS},
    },
}
