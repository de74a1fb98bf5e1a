"""The operator's steps after a build, as a template's README says them: pack into the workspace's
project store, paste the README's enablement, check it with the real grants (shared by the
end-to-end tests of tests/authoring)."""

from __future__ import annotations

import json
import tomllib

from engine.authoring.templates import TEMPLATES, enablement
from example_workspace import write_config, yoi


def enable(folder, workspace, template: str) -> str:
    """Pack `folder` into the workspace's project store and enable it as its README says; returns the ref."""
    local_id = tomllib.loads((folder / "plugin.toml").read_text())["id"]
    archive = workspace / ".yoi" / "plugins" / f"{local_id}.yoi-plugin"
    packed = yoi("plugin", "pack", str(folder), "--output", str(archive), "--json")
    assert packed.returncode == 0, packed.stderr
    digest = json.loads(packed.stdout)["package"]["digest"]
    manifest = tomllib.loads((folder / "plugin.toml").read_text())
    table = enablement(TEMPLATES[template], manifest, digest).replace(
        'surfaces = ["tool", "service", "ingress"]', 'surfaces = ["tool", "service", "ingress"]\nconfig = { label = "e2e" }')
    config = write_config(workspace, table)
    checked = yoi("plugin", "check", str(archive), "--grants", str(config), "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["status"] == "active"
    # the reviewer sees the limits the template's enablement raises (a Python guest needs more memory)
    assert report["limits"]["raised"] == tomllib.loads(table)["plugins"]["enabled"][0].get("limits", {})
    # the engine target judges sizes by its own bounds (an 18 MB Python guest fits; the yoi targets
    # refuse it: tests/authoring/test_templates_gate.py): the only warnings left are the raised limits
    warned = {d.get("code") for d in report["diagnostics"] if d.get("severity") == "warn"}
    assert warned == ({"limit_raised"} if report["limits"]["raised"] else set())
    return f"project:{local_id}"
