"""`yoi plugin facts PATH|REF`: the facts the rules see, ready for `yoi policy eval --facts`.

Like `conftest parse`: a policy author sees exactly what `check` (a PATH, with `--grants` its real
enablement) or the workspace (a REF) gives the rules, and can run a draft policy over it:

    yoi plugin facts ./my-plugin --grants config.toml > facts.json
    yoi policy eval --builtin policy/ --facts facts.json

`--format json` (default) is `{"predicate": [[arg, ...], ...]}` with every predicate of the fact
schema (an empty list where nothing holds); `--format datalog` is one `pred(args).` statement per
fact, a rules file for `yoi policy eval`. For a REF the facts are those about that package (their
`P` is its ref) and those about no package (the bundled worlds, the host's limits); facts that
link it with other packages of the workspace are about those packages too and are kept when their
`P` is this one. `--target` is `check`'s option: the profile facts (`target`, `target_limit`, ...)
are those of the targets selected (default: the default target), next to the host's protected
paths, so the file holds every input fact an evaluation for that selection reads. Nothing here
evaluates a rule.
"""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.common import emit_json, fail
from engine.cli.complete import complete_refs
from engine.cli.options import grants_option, target_facts_option
from engine.cli.run import run_guarded
from engine.errors import UnknownReference


@click.command("facts")
@click.argument("target", shell_complete=complete_refs)
@click.option(
    "--workspace",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Workspace root, for a REF (its .yoi/plugins is the project store).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Enablement/grant config (default <workspace>/.yoi/config.toml).",
)
@grants_option("Config with [[plugins.enabled]] to judge a package PATH by, as `check --grants` (same as --config).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "datalog"]),
    default="json",
    show_default=True,
    help="json: the `policy eval --facts` file; datalog: one `pred(args).` statement per fact.",
)
@target_facts_option
def facts(target, workspace, config_path, grants_file, targets, output_format):
    """Print the facts of a package PATH or workspace REF, as the rules see them."""
    if grants_file is not None and config_path is not None and grants_file != config_path:
        fail("plugin", "--grants and --config both give the grants of a package PATH; give one of them")
    config_path = grants_file if grants_file is not None else config_path
    from engine.graph.build import build_graph
    from engine.graph.facts import facts_about, facts_as_lists
    from engine.pipeline.evaluate import evaluation_facts
    from engine.pipeline.target import target_inputs

    try:
        inputs, ref, in_workspace = run_guarded(
            "plugin", lambda: target_inputs(target, workspace, config_path, targets=targets)
        )
    except UnknownReference as error:
        fail("plugin", str(error), error.error_kind)
    found = evaluation_facts(build_graph(inputs.subjects), inputs.protected, inputs.targets)
    if in_workspace:
        found = facts_about(found, ref)
    listed = facts_as_lists(found)
    if output_format == "json":
        emit_json(listed)
        return
    from engine.datalog.ast import format_fact

    lines = [f"# facts of {ref} (yoi plugin facts)"]
    lines += [f"{format_fact(pred, tuple(row))}." for pred, rows in listed.items() for row in rows]
    click.echo("\n".join(lines))
