"""A workspace whose project store holds an instance-world component that forwards its tool input
to the `fs` host API (`read`, `ls` -> list, `write`; tests/support/hostapi_guests.py), enabled with
fs grants chosen by the test. For `yoi plugin serve|call` end to end, as a real user sets it up."""

from __future__ import annotations

from pathlib import Path

from hostapi_guests import component_guest
from runtime_guests import build

from engine.package.archive import write_archive
from engine.package.digest import package_digest

LOCAL_ID = "example.files"
REF = f"project:{LOCAL_ID}"
TOOLS = ("read", "ls", "write")
MANIFEST = f"""\
schema_version = 1
id = "{LOCAL_ID}"
name = "Files"
version = "1.0.0"
surfaces = ["tool"]
permissions = [
  {{ kind = "surface", surface = "tool" }},
  {{ kind = "host_api", api = "fs" }},
{"".join(f'  {{ kind = "tool", name = "{t}" }},{chr(10)}' for t in TOOLS)}]

[runtime]
kind = "wasm-component"
component = "plugin.wasm"
world = "yoi:plugin/instance@1.0.0"
{"".join(f'{chr(10)}[[tools]]{chr(10)}name = "{t}"{chr(10)}description = "{t}"{chr(10)}input_schema = {{ type = "object" }}{chr(10)}' for t in TOOLS)}"""


def add_fs_package(workspace: Path, roots: list[tuple[str, tuple[str, ...]]], extra: str = "") -> Path:
    """Store the package in `workspace` and enable it with `roots` [(root, operations)]; returns
    the config file."""
    files = {"plugin.toml": MANIFEST.encode(), "plugin.wasm": build(component_guest(("fs",)))}
    store = workspace / ".yoi" / "plugins"
    store.mkdir(parents=True, exist_ok=True)
    (store / f"{LOCAL_ID}.yoi-plugin").write_bytes(write_archive(files))
    grants = ", ".join(f'{{ root = "{root}", operations = [{", ".join(repr(o).replace(chr(39), chr(34)) for o in ops)}] }}'
                       for root, ops in roots)
    permissions = ['{ kind = "surface", surface = "tool" }', '{ kind = "host_api", api = "fs" }',
                   *(f'{{ kind = "tool", name = "{t}" }}' for t in TOOLS)]
    config = workspace / ".yoi" / "config.toml"
    config.write_text(
        f'[[plugins.enabled]]\nid = "{REF}"\nversion = "1.0.0"\n\n[plugins.enabled.grants]\nid = "{REF}"\n'
        f'version = "1.0.0"\ndigest = "{package_digest(files)}"\npermissions = [{", ".join(permissions)}]\n'
        f"fs = [{grants}]\n" + extra)
    return config
