"""`yoi plugin keygen NAME` and `yoi plugin sign PACKAGE --key KEY` (docs/provenance.md).

keygen: exit 0 with a new pair, 2 when a file of the pair exists or cannot be written.
sign: exit 0 signed, 2 for bad input or output (an unreadable package or key, a provenance file
about another package, a signature file that cannot be written).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.diagnostics import bound_text, human_lines
from engine.errors import ErrorKind

SIGN_SAFETY = "safety: signs the package digest; nothing is written inside the package; no plugin code runs"


@click.command("keygen")
@click.argument("name", type=click.Path(dir_okay=False, path_type=str))
@format_options("human", "json")
def keygen(name: str, output_format: str, as_json: bool) -> None:
    """Make an Ed25519 signing key pair: NAME.key (owner-only) and NAME.pub; print the key id."""
    from engine.provenance.keys import generate_key_pair, key_paths

    private_path, public_path = key_paths(name)
    try:
        pair = generate_key_pair(name)
    except FileExistsError:
        there = private_path if os.path.lexists(private_path) else public_path
        fail("plugin", f"plugin keygen failed: `{there}` already exists; no key file was written or replaced")
    except OSError as error:
        fail(
            "plugin",
            f"plugin keygen failed: the key files could not be written: {error.strerror or 'I/O error'}",
            ErrorKind.IO,
        )
    public_name = os.path.basename(pair.public_path)
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "keygen",
                "key_id": pair.key_id,
                "private_key": str(pair.private_path),
                "public_key": str(pair.public_path),
            }
        )
        return
    click.echo(
        human_lines(
            [
                f"plugin keygen: {pair.key_id} [created]",
                f"private key: {pair.private_path} (owner-only; keep it secret, e.g. in a CI secret store)",
                f"public key: {pair.public_path}",
                "trust it in the enablement config (docs/provenance.md):",
                "  [[plugins.trust.keys]]",
                f'  id = "{pair.key_id}"',
                f'  public_key = {{ file = "{public_name}" }}',
            ]
        ),
        nl=False,
    )


def _private_key(key_file: str | None, key_env: str | None):
    from engine.provenance.keys import KeyProblem, load_private_key, private_key_from_pem

    if (key_file is None) == (key_env is None):
        fail("plugin", "plugin sign needs exactly one of --key FILE and --key-env VAR")
    try:
        if key_file is not None:
            return load_private_key(key_file)
        text = os.environ.get(key_env or "")
        if not text:
            fail("plugin", f"plugin sign failed: environment variable `{key_env}` is not set or empty")
        return private_key_from_pem(text.encode("utf-8", "surrogateescape"))
    except KeyProblem as problem:
        fail("plugin", f"plugin sign failed: {problem}", problem.error_kind)


@click.command("sign")
@click.argument("package", type=click.Path(path_type=str))
@click.option("--key", "key_file", type=click.Path(dir_okay=False, path_type=str), help="Private key file (PEM).")
@click.option("--key-env", "key_env", metavar="VAR", help="Read the private key (PEM) from this environment variable.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Signature file to write (default: PACKAGE.sig beside the package).",
)
@click.option(
    "--print-statement",
    is_flag=True,
    help="Print the statement a signature vouches for (exact bytes, no key needed), e.g. to sign it with Sigstore.",
)
@click.option(
    "--provenance/--no-provenance",
    default=True,
    show_default=True,
    help="Also sign the build provenance beside the package (PACKAGE.intoto.json), when there is one.",
)
@format_options("human", "json")
def sign(
    package: str,
    key_file: str | None,
    key_env: str | None,
    output: str | None,
    print_statement: bool,
    provenance: bool,
    output_format: str,
    as_json: bool,
) -> None:
    """Sign a package folder or .yoi-plugin archive: its digest, id and version, in PACKAGE.sig."""
    from engine.provenance.sign import SignError, sign_package, statement_bytes

    if not os.path.lexists(package):
        fail("plugin", f"plugin sign input `{package}` could not be read: not found", ErrorKind.IO)
    if print_statement:
        try:
            data = statement_bytes(package)
        except SignError as error:
            fail("plugin", f"plugin sign failed: {error}", error.error_kind)
        sys.stdout.buffer.write(data)  # the exact bytes, no newline: what a signer must sign
        sys.stdout.buffer.flush()
        return
    key = _private_key(key_file, key_env)
    try:
        result = sign_package(package, key, output=output, provenance=provenance)
    except SignError as error:
        fail("plugin", f"plugin sign failed: {error}", error.error_kind)
    files = [result.signature, *([result.provenance] if result.provenance else [])]
    if resolve_format(output_format, as_json) == "json":
        emit_json(
            {
                "command": "sign",
                "package": {"id": result.package_id, "version": result.version, "digest": result.digest},
                "key_id": result.key_id,
                "signature": _written(result.signature),
                "provenance": _written(result.provenance) if result.provenance else None,
                "safety": SIGN_SAFETY,
            }
        )
        return
    lines = [
        bound_text(f"plugin sign: {result.package_id} {result.version} [signed] key={result.key_id}", 1000),
        f"digest: {result.digest}",
    ]
    for written, what in zip(files, ("signature", "provenance"), strict=False):
        lines.append(bound_text(f"{what}: {written.path} ({written.signatures} signature(s))", 1000))
        if written.dropped:
            lines.append(f"  replaced an envelope for another digest: {written.dropped} signature(s) dropped")
        if written.replaced_unreadable:
            lines.append("  replaced a file that was not a signature envelope")
    lines.append(SIGN_SAFETY)
    click.echo(human_lines(lines), nl=False)


def _written(signed) -> dict:
    return {
        "path": str(Path(signed.path)),
        "signatures": signed.signatures,
        "dropped": signed.dropped,
        "replaced_unreadable": signed.replaced_unreadable,
    }
