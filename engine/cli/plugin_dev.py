"""`yoi plugin dev DIR`: build if needed, serve the package folder under a development
enablement, and reload it whenever the folder changes (engine/dev/session.py).

stdin/stdout speak `serve`'s JSON-lines protocol (every answer with `"dev": true`); what dev has to
say (the startup report, reloads, build failures) goes to stderr, each line marked `[dev]`. On a
terminal, stdin also takes a small command language: `call TOOL [JSON]`, `ingress NAME JSON`,
`status`, `tools`, `start`, `stop`, `reload`, `help`, `quit`.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import click

from engine.cli.common import fail
from engine.cli.options import NumberRange, policy_option
from engine.dev.grants import allow_options
from engine.errors import ErrorKind

PROMPT = "yoi dev> "
HELP = (
    "commands: call TOOL [JSON] | ingress NAME JSON | status | tools | start | stop | reload | help | quit; "
    "a line starting with `{` is sent as a serve request"
)
# Terminal commands -> (serve op, the field its name argument fills, the field its JSON fills).
COMMANDS: dict[str, tuple[str, str | None, str | None]] = {
    "call": ("call", "tool", "input"),
    "ingress": ("ingress", "ingress", "event"),
    "status": ("status", None, None),
    "start": ("start", None, None),
    "stop": ("stop", None, None),
    "tools": ("tools", None, None),
}


class Console:
    """Writes stderr notes and stdout answers without tearing the terminal prompt."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.lock = threading.Lock()

    def note(self, line: str) -> None:
        with self.lock:
            if self.interactive:
                sys.stdout.write("\r\x1b[K")  # over the prompt: back to the line start, erase it
                sys.stdout.flush()
            click.echo(line, err=True)
            if self.interactive:
                sys.stdout.write(PROMPT)
                sys.stdout.flush()

    def answer(self, data: bytes, prompt: bool) -> None:
        """One output line (none when `data` is empty), then the prompt on a terminal."""
        with self.lock:
            out = sys.stdout.buffer
            if data:
                out.write(data + b"\n")
            if prompt:
                out.write(PROMPT.encode())
            out.flush()


def command_request(line: str, ref: str) -> dict[str, Any] | str:
    """A serve request for a terminal command line, or the text to show instead."""
    from engine.host.serve import loads_strict

    words = line.split(None, 2)
    name = words[0]
    if name == "help":
        return HELP
    spec = COMMANDS.get(name)
    if spec is None:
        return f"unknown command `{name[:32]}`; {HELP}"
    op, name_field, json_field = spec
    request: dict[str, Any] = {"id": name, "op": op}
    if op != "tools":
        request["plugin"] = ref
    if name_field is not None:
        if len(words) < 2:
            return f"usage: {name} NAME{' [JSON]' if op == 'call' else ' JSON'}"
        request[name_field] = words[1]
        if len(words) == 3 or op != "call":
            if len(words) < 3:
                return f"usage: {name} NAME JSON"
            try:
                request[json_field] = loads_strict(words[2])  # type: ignore[index]
            except (ValueError, RecursionError):
                return "the JSON argument is not valid JSON"
    return request


@click.command("dev")
@click.argument("directory", type=click.Path(path_type=str))
@allow_options
@policy_option
@click.option(
    "--timeout",
    type=NumberRange(1, 3600),
    default=600,
    show_default=True,
    help="Seconds a Python build may take before it is stopped.",
)
@click.option(
    "--poll",
    type=NumberRange(0.05, 10),
    default=0.3,
    show_default=True,
    help="Seconds between looks at the package folder.",
)
def dev(directory: str, allow: dict, policy_dirs, timeout: float, poll: float) -> None:
    """Serve a package folder for development: build if its sources changed, enable what it
    requests in memory only (host APIs only with --allow-*), reload on every change."""
    from engine.dev.grants import AllowError, parse_allowed
    from engine.dev.session import DEV_MARK, DevServer
    from engine.host.serve import read_lines

    try:
        allowed = parse_allowed(allow)
    except AllowError as error:
        fail("plugin", str(error), ErrorKind.USAGE)
    interactive = sys.stdin.isatty()
    console = Console(interactive)
    server = DevServer(directory, allowed, policy_dirs, timeout, note=lambda line: click.echo(line, err=True))
    if not server.reload("start") and server.loaded is None:
        kind = server.failure.error_kind if server.failure else ErrorKind.FAILED
        fail("plugin", f"{DEV_MARK} nothing to serve; fix the package and run `yoi plugin dev` again", kind)
    server.note = console.note
    server.watch(poll)
    try:
        if interactive:
            click.echo(f"{DEV_MARK} {HELP}", err=True)
            console.answer(b"", True)
        for line in read_lines(sys.stdin.buffer):
            reply = _reply(server, line, interactive)
            if reply is QUIT:
                break
            if reply is not None or interactive:
                console.answer(reply or b"", interactive)
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        server.close()


QUIT = b"quit"


def _reply(server, line: bytes | None, interactive: bool) -> bytes | None:
    """The output for one input line: a serve answer, a terminal message, QUIT, or None (a blank
    line, which is no request)."""
    from engine.dev.session import DEV_MARK
    from engine.host.serve import encode_response

    text = b"" if line is None else line.strip()
    if line is not None and not text:
        return None
    if interactive and line is not None and not text.startswith(b"{"):
        words = text.decode("utf-8", "replace")
        if words in ("quit", "exit"):
            return QUIT
        if words == "reload":
            server.reload("reload")
            return None
        request = command_request(words, server.loaded.ref if server.loaded else "")
        if isinstance(request, str):
            return f"{DEV_MARK} {request}".encode()
        line = json.dumps(request).encode()
    return encode_response(server.respond(line))
