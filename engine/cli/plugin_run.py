"""`yoi plugin call|ingress|serve`: the commands that run plugin code, behind the startup gate.

Each one evaluates the workspace exactly as `list` does (engine/host/startup.py), prints the
startup report (planned and refused packages, with the rules' reasons) on stderr and hands only
plans to the runtime. This module is loaded only for these commands, so `check`/`list` never
import wasmtime.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from engine.cli.common import fail
from engine.cli.options import workspace_options
from engine.cli.run import run_guarded
from engine.dev.grants import allow_options
from engine.errors import ErrorKind

# A runtime fault's message is bounded to 512 bytes when it is made (a pod message, spec §4.6);
# the line that shows it keeps all of it (what to do instead comes at its end).
RUNTIME_MESSAGE_CHARS = 600


def _start(workspace, config_path, policy_dirs, quiet: bool, serving: bool = True, precompile: bool = True):
    """The startup gate. A host (`serving`) starts every planned Service now and compiles every
    uncached artifact in the background (unless not `precompile`), each compile told on stderr
    as it ends; a one-shot call or ingress starts only the instance it uses."""
    from engine.host.startup import start_plans

    report = run_guarded(
        "plugin",
        lambda: start_plans(
            workspace, config_path, policy_dirs, start_services=serving, precompile=serving and precompile
        ),
    )
    if not quiet:
        click.echo(report.render(), err=True, nl=False)
        if report.precompile is not None:
            report.precompile.follow(_compile_told())
    return report


def _compile_told():
    """A follower of the background compiles that prints each one's startup-report line."""
    import threading

    from engine.host.startup import compile_record

    lock = threading.Lock()

    def tell(result: dict) -> None:
        line = compile_record(result)
        if line is not None:
            with lock:
                click.echo(line, err=True)

    return tell


def _parse_json(text: str, option: str) -> Any:
    from engine.host.serve import loads_strict

    try:
        return loads_strict(text)
    except (ValueError, RecursionError):
        fail("plugin", f"`{option}` is not valid JSON", ErrorKind.INPUT)


def package_folder(ref: str) -> bool:
    """Whether REF names a package folder (a `yoi plugin call DIR` development call): never a
    source-qualified ref (`project:acme.counter`), else a folder holding a plugin.toml."""
    import os

    from engine.grants.refs import try_parse_ref

    if try_parse_ref(ref) is not None and ":" in ref:
        return False
    try:
        return os.path.isdir(ref) and os.path.isfile(os.path.join(ref, "plugin.toml"))
    except ValueError:  # a NUL byte
        return False


def _run_one(
    workspace,
    config_path,
    policy_dirs,
    quiet: bool,
    ref: str,
    method: str,
    name: str,
    payload: str,
    option: str,
    allow: dict,
) -> None:
    """Check `payload` is JSON, start the gate (or load a package folder under a development
    enablement), then `registry.<method>(ref, name, payload)` on the planned ref (started first)
    and print its JSON result (`"dev": true` added for a folder)."""
    from engine.host.startup import HostError, lookup_ref
    from engine.runtime import RuntimeFault

    _parse_json(payload, option)
    dev = package_folder(ref)
    if dev:
        report, ref = _load_dev(ref, allow, policy_dirs, quiet)
    else:
        report = _start(workspace, config_path, policy_dirs, quiet, serving=False)
    registry = report.registry
    try:
        planned = lookup_ref(report, ref)
        registry.start(planned)
        result = getattr(registry, method)(planned, name, payload)
    except (HostError, RuntimeFault) as error:
        mark = "[dev] " if dev else ""
        fail("plugin", f"{mark}{error.kind}: {error.message}", error.error_kind, limit=RUNTIME_MESSAGE_CHARS)
    finally:
        registry.close()
    if dev:
        result = {**result, "dev": True}
    click.echo(json.dumps(result, ensure_ascii=True))  # guest text: escape bidi and zero-width characters
    if method == "call_tool":
        answered = tool_error(result)
        if answered is not None:
            fail("plugin", f"tool `{name}` answered with an error: {answered}", ErrorKind.FAILED)


def tool_error(output: Any) -> str | None:
    """`code: message` when a ToolOutput is a ToolError (its content the JSON `{"error": {...}}`
    the PDK writes, docs/authoring.md), else None. The output is printed either way; the exit
    code says whether the tool did what was asked."""
    from engine.host.serve import loads_strict

    content = output.get("content") if isinstance(output, dict) else None
    if not isinstance(content, str):
        return None
    try:
        value = loads_strict(content)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict) or "error" not in value:
        return None
    error = value["error"]
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        return ": ".join(str(part) for part in (code, message) if part is not None) or "error"
    return str(error)


def _load_dev(folder: str, allow: dict, policy_dirs, quiet: bool):
    """`call DIR`/`ingress DIR`: build if needed and judge the folder under a development enablement."""
    from engine.authoring.sources import BuildError
    from engine.dev.grants import AllowError, parse_allowed
    from engine.dev.session import DevError, load, render

    try:
        loaded = load(folder, parse_allowed(allow), policy_dirs)
    except AllowError as error:
        fail("plugin", str(error), ErrorKind.USAGE)
    except (BuildError, DevError) as error:
        fail("plugin", f"[dev] {error}", error.error_kind)
    if not quiet:
        click.echo("\n".join(render(loaded)), err=True)
    return loaded.report, loaded.ref


@click.command("call")
@click.argument("ref")
@click.argument("tool")
@click.option("--input", "input_json", default="{}", show_default=True, help="Tool input as JSON text.")
@workspace_options
@allow_options
@click.option("-q", "--quiet", is_flag=True, help="Do not print the startup report on stderr.")
def call(ref, tool, input_json, workspace, config_path, policy_dirs, allow, quiet):
    """Call TOOL of plugin REF once and print its ToolOutput JSON (exit 1 if refused or failed).
    REF may be a package folder: it is then built if needed and run under a development enablement
    (as `yoi plugin dev` does; --allow-* open its host APIs)."""
    _run_one(workspace, config_path, policy_dirs, quiet, ref, "call_tool", tool, input_json, "--input", allow)


@click.command("ingress")
@click.argument("ref")
@click.argument("name")
@click.option("--event", "event_json", required=True, help="Ingress event envelope as JSON text.")
@workspace_options
@allow_options
@click.option("-q", "--quiet", is_flag=True, help="Do not print the startup report on stderr.")
def ingress(ref, name, event_json, workspace, config_path, policy_dirs, allow, quiet):
    """Deliver one event to ingress NAME of plugin REF and print the delivery report JSON. REF may
    be a package folder, as for `call`."""
    _run_one(workspace, config_path, policy_dirs, quiet, ref, "deliver_ingress", name, event_json, "--event", allow)


@click.command("serve")
@workspace_options
@click.option("-q", "--quiet", is_flag=True, help="Do not print the startup report on stderr.")
@click.option(
    "--ordered",
    is_flag=True,
    help="Lock-step protocol: one request at a time, responses in request order, `id` optional.",
)
@click.option(
    "--no-precompile",
    is_flag=True,
    help="Compile each package's artifact on its first start, not every uncached one at startup.",
)
def serve(workspace, config_path, policy_dirs, quiet, ordered, no_precompile):
    """Keep plugin instances alive and answer JSON-lines requests on stdin (one response line per
    request on stdout, written as each completes and matched by `id`; requests to one instance run
    in order); every uncached artifact is compiled in the background at startup; EOF answers what
    is in flight, stops every instance and exits 0; SIGTERM does so at once, ending every compile."""
    from engine.host.terminate import sigterm_stops

    if sys.stdout is None:  # started with stdout closed: no response could ever be delivered
        fail("plugin", "serve: stdout is closed; responses cannot be written", ErrorKind.USAGE)
    with sigterm_stops():
        _serve(workspace, config_path, policy_dirs, quiet, ordered, not no_precompile)


def _serve(workspace, config_path, policy_dirs, quiet: bool, ordered: bool, precompile: bool) -> None:
    import io

    from engine.host.serve import OutputFailed, ServeLoop
    from engine.runtime.compiler import close_idle

    stdin = sys.stdin.buffer if sys.stdin is not None else io.BytesIO()  # a closed stdin is EOF
    report = _start(workspace, config_path, policy_dirs, quiet, precompile=precompile)
    out = sys.stdout.buffer

    def write(data: bytes) -> None:
        out.write(data)
        out.flush()

    try:
        ServeLoop(report, report.registry, ordered=ordered).run(stdin, write)
    except OutputFailed as failed:
        _quiet_stdout()
        if not isinstance(failed.error, BrokenPipeError):  # the client went away: same as EOF
            fail("plugin", f"serve: cannot write a response: {failed.error.strerror or failed.error}", ErrorKind.IO)
    except OSError as error:
        fail("plugin", f"serve: cannot read requests: {error.strerror or error}", ErrorKind.IO)
    finally:
        report.registry.close()
        close_idle()  # the compile workers kept for a next compile: none outlives the host


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's exit flush cannot fail again."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
