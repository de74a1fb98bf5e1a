"""`yoi plugin new TEMPLATE DEST [--id ID]`: start a package from a template (spec §5.8)."""

from __future__ import annotations

import click

from engine.authoring.templates import template_names
from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.exits import kind_of
from engine.diagnostics import bound_text, human_lines

HUMAN_SAFETY = "safety: no network; embedded template only; no secrets generated"


@click.command(
    "new",
    # derived from the template registry, so a new template is listed without touching this
    help=f"Create a plugin package folder from a template: {', '.join(template_names())}.",
)
@click.argument("template")
@click.argument("destination", type=click.Path(path_type=str))
@click.option("--id", "plugin_id", default=None, help="Plugin id for plugin.toml (default: the template's).")
@click.option(
    "--target",
    "target_name",
    metavar="NAME",
    default=None,
    help="Write the package for this target host (e.g. yoi@b12e0785: instance templates get upstream's "
    "service shape, a host-owned WebSocket source) and report how that target judges it.",
)
@format_options("human", "json")
def new(
    template: str, destination: str, plugin_id: str | None, target_name: str | None, output_format: str, as_json: bool
) -> None:
    from engine.authoring.new import SAFETY, NewError, create, next_steps

    profile = _profile(target_name) if target_name is not None else None
    try:
        result = create(template, destination, plugin_id, profile)
    except NewError as error:
        fail("plugin", str(error), kind_of(error))
    steps = next_steps(result)
    verdict = _judged(result.destination, profile) if profile is not None else None
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "new",
                "template": result.template,
                "destination": result.destination,
                "id": result.plugin_id,
                "files": list(result.files),
                "safety": SAFETY,
                "next_steps": steps,
                **({"target": verdict} if verdict is not None else {}),
            }
        )
        return
    # every line escaped: the destination (and the steps naming it) is the user's text
    lines = [bound_text(f"created plugin template `{result.template}` at {result.destination}", 1000), "files:"]
    lines += [f"  - {name}" for name in result.files]
    lines.append(HUMAN_SAFETY)
    if verdict is not None:
        compatible = "compatible" if verdict["compatible"] else "incompatible"
        lines.append(f"target {verdict['name']}: {verdict['status']} ({compatible}) as written, before building")
        lines += [f"  - {f['severity']}: {bound_text(f['message'], 1000)}" for f in verdict["findings"]]
    lines.append("next steps:")
    lines += [f"  - {bound_text(step, 1000)}" for step in steps]
    click.echo(human_lines(lines), nl=False)


def _profile(name: str):
    """The one target `--target` names; `all` is not one host."""
    from engine.errors import EngineError
    from engine.targets import ALL, bundled_targets

    if name == ALL:
        fail("plugin", f"a template is written for one target; name one, not `{ALL}`")
    try:
        return bundled_targets().get(name)
    except EngineError as error:
        fail("plugin", str(error), error.error_kind)


def _judged(destination: str, profile) -> dict:
    """How `profile` judges the package just written (the rules' verdict of `check`, gate view):
    its status, whether it raises denials of its own, and what it says."""
    from engine.report.shapes import finding_dict
    from engine.verdict.run import check_verdict

    (package,) = check_verdict(destination, targets=(profile,)).packages
    (target,) = package.targets
    return {
        "name": target.target,
        "status": target.gate_status,
        "compatible": target.compatible,
        "findings": [finding_dict(f) for f in target.findings],
    }
