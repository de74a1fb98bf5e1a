"""`yoi plugin migrate`: 43c9216e packages and enablements in the b12e0785 format, as a diff or
written atomically; comments and key order kept; idempotent; hostile inputs are exit 2."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import run_yoi
from wasm_builders import TOOL_WORLD_EXPORTS, component

from engine.cli.main import cli
from engine.migrate import MigrateError, migrate, write
from engine.targets import bundled_targets

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests" / "targets" / "upstream"

MANIFEST = """\
# Weather tool: calls the weather API over https.
schema_version = 1
id = "acme.weather"
name = "Weather"
version = "0.1.0"
surfaces = ["tool"]
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "weather" },
  { kind = "host_api", api = "https" },  # outbound calls
]

[runtime]
kind = "wasm-component"
component = "plugin.component.wasm"
world = "yoi:plugin/tool@1.0.0"

[[tools]]
name = "weather"  # the one tool
description = "Current weather."
input_schema = { type = "object" }
"""

CONFIG = """\
# Workspace config: other tables are not ours and stay as they are.
[feature.plugins]
enabled = true

[[plugins.enabled]]
id = "project:acme.weather"   # the weather tool
version = "0.1.0"
digest = "sha256:aaaa"
surfaces = ["tool"]

[plugins.enabled.grants]
id = "project:acme.weather"
version = "0.1.0"
digest = "sha256:aaaa"
permissions = [
  { kind = "surface", surface = "tool" },
  { kind = "tool", name = "weather" },
  { kind = "host_api", api = "https" },  # outbound
]

# the API we call
[[plugins.enabled.grants.https]]
host = "API.weather.example."
methods = ["get"]
path_prefixes = ["/v1/"]

[[plugins.enabled.grants.https]]
host = "127.0.0.1"  # never reachable at 43c9216e
methods = ["GET"]

[[plugins.enabled.grants.fs]]
root = "/srv/data"
operations = ["read"]

[[plugins.enabled]]
id = "project:other"
[plugins.enabled.grants]
permissions = [{ kind = "host_api", api = "https" }]
https = [{ host = "x.example", methods = ["GET"] }]
"""


@pytest.fixture
def package(tmp_path):
    folder = tmp_path / "weather"
    folder.mkdir()
    (folder / "plugin.toml").write_text(MANIFEST)
    (folder / "plugin.component.wasm").write_bytes(component(TOOL_WORLD_EXPORTS))
    (tmp_path / "config.toml").write_text(CONFIG)
    return folder, tmp_path / "config.toml"


def invoke(*args):
    return CliRunner().invoke(cli, ["plugin", "migrate", *map(str, args)])


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


CURRENT = bundled_targets().get("yoi@b12e0785")


def assert_current_format(manifest: dict, config: dict | None = None, local_id: str | None = None) -> None:
    """The shape yoi b12e0785 reads (cur §1.2, §1.6, §3.1), taken from its target profile."""
    assert set(manifest) <= set(CURRENT.manifest_keys)
    apis = {api.name for api in CURRENT.host_apis}
    assert all(p["api"] in apis for p in manifest.get("permissions", []) if p["kind"] == "host_api")
    for target in manifest.get("request", []):
        assert set(target) <= {"scheme", "host", "port", "methods", "path_prefixes"}
    if config is None:
        return
    grant_keys = {key for table, key in CURRENT.config_keys if table == "plugins.enabled.grants"}
    for entry in config["plugins"]["enabled"]:
        if entry["id"].split(":", 1)[1] == local_id:
            grants = entry.get("grants", {})
            assert set(grants) <= grant_keys
            assert all(p["api"] in apis for p in grants.get("permissions", []) if p["kind"] == "host_api")


def test_https_grants_become_request_grants_and_manifest_targets(package):
    folder, config = package
    result = invoke(folder, "--config", config)
    assert result.exit_code == 0, result.output
    assert "--- a/" in result.stdout and "+++ b/" in result.stdout
    assert (folder / "plugin.toml").read_text() == MANIFEST  # a diff only: nothing written
    migration = migrate(folder, config)
    manifest_text, config_text = (f.after for f in migration.files)
    manifest = tomllib.loads(manifest_text)
    assert manifest["request"] == [
        {"scheme": "https", "host": "api.weather.example", "methods": ["GET"], "path_prefixes": ["/v1/"]}
    ]
    assert {"kind": "host_api", "api": "request"} in manifest["permissions"]
    migrated = tomllib.loads(config_text)
    weather, other = migrated["plugins"]["enabled"]
    assert weather["grants"]["request"] == manifest["request"]
    assert "https" not in weather["grants"] and weather["grants"]["fs"] == [{"root": "/srv/data", "operations": ["read"]}]
    assert {"kind": "host_api", "api": "request"} in weather["grants"]["permissions"]
    assert other["grants"]["https"] == [{"host": "x.example", "methods": ["GET"]}]  # another package: untouched
    assert_current_format(manifest, migrated, "acme.weather")
    levels = {(n.level, n.message.split(":")[0]) for n in migration.notes}
    assert ("info", "project") in levels  # the loopback grant was not carried over, and says why
    assert any("127.0.0.1" in n.message and "refused it" in n.message for n in migration.notes)
    assert any(n.level == "next" and "digest" in n.message for n in migration.notes)
    assert not migration.needs_action


def test_comments_and_untouched_key_order_survive(package):
    folder, config = package
    migration = migrate(folder, config)
    manifest_after, config_after = (f.after for f in migration.files)
    assert comments(MANIFEST) == comments(manifest_after)[: len(comments(MANIFEST))]
    assert set(comments(CONFIG)) - set(comments(config_after)) == {" never reachable at 43c9216e"}  # its entry is gone
    keys = lambda text: [m for m in re.findall(r"^(\w+) =", text, re.M)]  # noqa: E731
    assert keys(MANIFEST) == keys(manifest_after)[: len(keys(MANIFEST))]
    # the renamed table stays where `https` stood: before the fs grant, after its comment
    assert config_after.index("# the API we call\n[[plugins.enabled.grants.request]]\nscheme = \"https\"") < (
        config_after.index("[[plugins.enabled.grants.fs]]")
    )


def test_write_is_atomic_and_idempotent(package):
    folder, config = package
    os.chmod(config, 0o600)
    result = invoke(folder, "--config", config, "--write")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"plugin migrate: wrote {folder / 'plugin.toml'}", f"plugin migrate: wrote {config}"]
    once = ((folder / "plugin.toml").read_text(), config.read_text())
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["config.toml", "weather"]  # no temp files left
    again = invoke(folder, "--config", config, "--write")
    assert again.exit_code == 0 and again.stdout == "plugin migrate: nothing to change\n"
    assert ((folder / "plugin.toml").read_text(), config.read_text()) == once
    assert migrate(folder, config).diff() == ""


def test_the_diff_is_a_patch(package, tmp_path):
    patch = shutil.which("patch")
    if patch is None:
        pytest.skip("no patch(1) here")
    folder, config = package
    diff = migrate(folder, config).diff().replace(f"a/{folder.parent}/", "a/").replace(f"b/{folder.parent}/", "b/")
    subprocess.run([patch, "-p1", "--quiet"], input=diff, text=True, cwd=folder.parent, check=True)
    assert (folder / "plugin.toml").read_text() == migrate(folder).files[0].before
    assert tomllib.loads((folder / "plugin.toml").read_text())["request"][0]["host"] == "api.weather.example"


def test_a_file_changed_meanwhile_is_not_overwritten(package):
    folder, config = package
    migration = migrate(folder, config)
    config.write_text(CONFIG + "\n# edited by someone else\n")
    with pytest.raises(MigrateError, match="changed while it was being migrated"):
        write(migration)
    assert (folder / "plugin.toml").read_text() == MANIFEST  # all or nothing


def test_without_config_the_manifest_needs_targets(package):
    folder, _ = package
    result = invoke(folder)
    assert result.exit_code == 1
    assert '+  { kind = "host_api", api = "request" },  # outbound calls' in result.stdout
    assert "action: the manifest requests host_api.request (was https) but declares no [[request]] target" in result.stderr


def test_raw_wasm_needs_a_rebuild_and_is_not_rewritten(tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(ROOT / "examples" / "raw-echo", folder)
    result = invoke(folder, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["status"] == "needs-action" and report["files"][0]["changed"] is False
    (note,) = [n for n in report["notes"] if n["level"] == "action"]
    assert note["message"].startswith("runtime `wasm` / `yoi-plugin-wasm-1` is retired at b12e0785")


def test_a_component_importing_https_must_be_rebuilt(package):
    folder, _ = package
    imports = [("yoi:host/https@1.0.0", "request", [("request-json", "string")], "string")]
    (folder / "plugin.component.wasm").write_bytes(component(TOOL_WORLD_EXPORTS, imports=imports))
    actions = [n.message for n in migrate(folder).notes if n.level == "action"]
    assert any(m.startswith("`plugin.component.wasm` imports `yoi:host/https@1.0.0`") for m in actions)


@pytest.mark.parametrize(
    "source",
    [ROOT / "examples" / "component-echo", ROOT / "examples" / "instance-counter", *sorted((ROOT / "templates").iterdir()),
     UPSTREAM / "b12e0785" / "rust-component-tool", UPSTREAM / "b12e0785" / "rust-component-instance",
     UPSTREAM / "43c9216e" / "rust-component-instance"],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_bundled_examples_templates_and_upstream_manifests_round_trip(source, tmp_path):
    """Nothing here uses https, so migrating changes no file; the result is in the current shape,
    and a manifest already in the current format (upstream's b12e0785 templates) is left alone."""
    folder = tmp_path / source.name
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("src", "*.wasm", "*.wat"))
    config = ROOT / "examples" / "workspace" / ".yoi" / "config.toml"
    migration = migrate(folder, config)
    assert migration.changed == () and not migration.needs_action
    assert not [n for n in migration.notes if n.level == "next"]  # nothing to re-pack or re-pin
    assert_current_format(tomllib.loads(migration.files[0].after), tomllib.loads(migration.files[1].after),
                          tomllib.loads(migration.files[0].after)["id"])


def test_template_with_https_added_round_trips(tmp_path):
    """The python-tool template given an https permission and an enablement with https grants."""
    folder = tmp_path / "tool"
    shutil.copytree(ROOT / "templates" / "python-tool", folder)
    text = (folder / "plugin.toml").read_text().replace("__PLUGIN_ID__", "acme.echo").replace("__TOOL_NAME__", "example_echo")
    text = text.replace('{ kind = "tool", name = "example_echo" },', '{ kind = "tool", name = "example_echo" },\n  { kind = "host_api", api = "https" },')
    (folder / "plugin.toml").write_text(text)
    config = tmp_path / "config.toml"
    config.write_text('[[plugins.enabled]]\nid = "user:acme.echo"\n[plugins.enabled.grants]\n'
                      'permissions = [{ kind = "host_api", api = "https" }]\n'
                      '[[plugins.enabled.grants.https]]\nhost = "api.example.com"\nmethods = ["POST"]\n')
    assert invoke(folder, "--config", config, "--write").exit_code == 0
    manifest = tomllib.loads((folder / "plugin.toml").read_text())
    migrated = tomllib.loads(config.read_text())
    assert manifest["request"] == [{"scheme": "https", "host": "api.example.com", "methods": ["POST"], "path_prefixes": []}]
    assert_current_format(manifest, migrated, "acme.echo")
    assert migrate(folder, config).changed == ()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "plugin.toml").write_text("id = [\n"), "plugin.toml could not be parsed as TOML"),
        (lambda d: (d / "plugin.toml").write_bytes(b"id = '\xff'\n"), "plugin.toml is not UTF-8"),
        (lambda d: (d / "plugin.toml").write_text("x = " + "[" * 3000 + "]" * 3000), "plugin.toml"),
        (lambda d: (d / "plugin.toml").write_text("# " + "x" * 70000), "plugin.toml could not be read: larger than 64 KiB"),
        (lambda d: (d / "plugin.toml").write_text('name = "x"\n'), "plugin.toml has no string `id`"),
        (lambda d: (d / "plugin.toml").write_text('id = "a"\npermissions = "https"\n'), "`permissions` must be an array of tables"),
        (lambda d: (d / "plugin.toml").symlink_to(ROOT / "examples" / "raw-echo" / "plugin.toml"), "is a symlink"),
        (lambda d: None, "could not be read: not found"),
    ],
)
def test_bad_manifests_are_usage_errors(tmp_path, make, message):
    folder = tmp_path / "pkg"
    folder.mkdir()
    make(folder)
    result = invoke(folder)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert "Traceback" not in result.output


def test_hostile_files_do_not_hang_or_blow_up(tmp_path):
    folder = tmp_path / "pkg"
    folder.mkdir()
    os.mkfifo(folder / "plugin.toml")
    done = run_yoi("plugin", "migrate", folder, memory_mib=512)
    assert done.returncode == 2 and "plugin.toml could not be read: not a regular file" in done.stderr
    (folder / "plugin.toml").unlink()
    (folder / "plugin.toml").write_text(MANIFEST)
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    done = run_yoi("plugin", "migrate", folder, "--config", fifo, memory_mib=512)
    assert done.returncode == 2 and "could not be read: not a regular file" in done.stderr
    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    done = run_yoi("plugin", "migrate", folder, "--config", huge, memory_mib=512)
    assert done.returncode == 2 and "could not be read: larger than 1 MiB" in done.stderr


def test_an_archive_is_never_touched(tmp_path):
    archive = tmp_path / "weather.yoi-plugin"
    archive.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    before = archive.read_bytes()
    result = invoke(archive, "--write")
    assert result.exit_code == 2
    assert "migrate never modifies a .yoi-plugin archive (its digest would change)" in result.stderr
    assert "re-pack it with `yoi plugin pack` and update the digest pins" in result.stderr
    assert archive.read_bytes() == before
    assert invoke(tmp_path / "absent").exit_code == 2


def test_config_shape_errors_name_the_enablement(package):
    folder, config = package
    config.write_text(CONFIG.replace('https = [{ host = "x.example", methods = ["GET"] }]', "") + (
        '\n[[plugins.enabled]]\nid = "user:acme.weather"\n[plugins.enabled.grants]\nhttps = "x"\n'))
    result = invoke(folder, "--config", config)
    assert result.exit_code == 2 and "user:acme.weather: `grants.https` must be an array of tables" in result.stderr
    config.write_text('[[plugins.enabled]]\nid = "user:acme.weather"\n[plugins.enabled.grants]\n'
                      'https = []\nrequest = []\n')
    result = invoke(folder, "--config", config)
    assert result.exit_code == 2 and "has both `https` and `request`" in result.stderr


def test_write_refuses_a_symlinked_config(package, tmp_path):
    folder, config = package
    link = tmp_path / "link.toml"
    link.symlink_to(config)
    result = invoke(folder, "--config", link, "--write")
    assert result.exit_code == 2 and "is a symlink; migrate the file it points to" in result.stderr
    assert config.read_text() == CONFIG and (folder / "plugin.toml").read_text() == MANIFEST


def test_check_never_imports_tomlkit():
    code = (
        "import sys\nfrom engine.cli.main import main\n"
        f"sys.argv = ['yoi', 'plugin', 'check', {str(ROOT / 'examples' / 'component-echo')!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'tomlkit' not in sys.modules, 'tomlkit was imported'\n"
        "assert 'engine.migrate' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_on_a_terminal_the_diff_cannot_drive_it(package, monkeypatch):
    """A package's text (a comment with a bidi override; TOML itself refuses raw control characters)
    is shown escaped on a terminal; piped, the diff is the exact patch."""
    from types import SimpleNamespace

    import engine.cli.plugin_migrate as command

    folder, _ = package
    manifest = folder / "plugin.toml"
    manifest.write_text(MANIFEST.replace("# outbound calls", "# \u202eevil\u200b"))
    piped = invoke(folder)
    assert "\u202eevil\u200b" in piped.stdout
    monkeypatch.setattr(command, "sys", SimpleNamespace(stdout=SimpleNamespace(isatty=lambda: True)))
    shown = invoke(folder)
    assert "\u202e" not in shown.stdout and "\u200b" not in shown.stdout
    assert "\\u202eevil\\u200b" in shown.stdout


def test_the_migrated_package_and_config_check_active_under_upstream_head(package):
    """Issue 19 done-when: migrate, re-pin the new digest (as `pack` prints it), and the package
    checks `active` under yoi@b12e0785 with the migrated enablement, while the original is
    unreadable there (`https` permission and grants)."""
    from engine.package.materialize import load_package_path

    folder, config = package
    old_digest = load_package_path(folder).digest
    (config).write_text(CONFIG.replace("sha256:aaaa", old_digest))
    before = json.loads(invoke_check(folder, "--grants", config, "--target", "yoi@b12e0785").stdout)
    assert before["status"] == "rejected" and not before["targets"]["yoi@b12e0785"]["compatible"]
    assert json.loads(invoke_check(folder, "--grants", config, "--target", "yoi@43c9216e").stdout)["status"] == "active"
    assert invoke(folder, "--config", config, "--write").exit_code == 0
    new_digest = load_package_path(folder).digest
    assert new_digest != old_digest
    config.write_text(config.read_text().replace(old_digest, new_digest))
    after = json.loads(invoke_check(folder, "--grants", config, "--target", "yoi@b12e0785").stdout)
    assert after["status"] == "active", after["targets"]
    assert after["targets"]["yoi@b12e0785"]["compatible"]
    assert not [f for f in after["targets"]["yoi@b12e0785"]["findings"] if f["severity"] == "deny"]
    # ... and the engine, which reads both formats, still runs it
    assert json.loads(invoke_check(folder, "--grants", config).stdout)["status"] == "active"


def invoke_check(*args):
    return CliRunner().invoke(cli, ["plugin", "check", *map(str, args), "--json"])
