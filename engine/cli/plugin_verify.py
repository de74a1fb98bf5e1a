"""`yoi plugin verify PACKAGE`: is the package signed by a trusted key (and does it rebuild)?

Trusted keys come from `--grants CONFIG` (its `[plugins.trust]` keys, with their expiry and
package limits, and the enablement's `signature` path) and/or `--trusted-key FILE.pub`. The
package is judged as if signatures were required, by rules/signatures.rules alone.

Exit 0 when a signature counts (and, with `--rebuild SRC`, the rebuilt digest is the package's);
1 when none counts or the rebuild differs; 2 for bad input (no trusted key and no `--rebuild`,
an unreadable package, key or config, sources that cannot be built).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine.cli.common import emit_json, fail, format_options, resolve_format
from engine.cli.options import NumberRange, grants_option
from engine.cli.run import run_guarded
from engine.diagnostics import bound_text, human_lines
from engine.errors import ErrorKind

if TYPE_CHECKING:
    from engine.pipeline.verify import Verification


@click.command("verify")
@click.argument("package", type=click.Path(path_type=str))
@grants_option("Config whose [plugins.trust] keys are trusted (and whose enablement may name the signature).")
@click.option(
    "--trusted-key",
    "trusted_keys",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="A public key file (.pub) to trust, with no expiry or package limit; repeatable.",
)
@click.option(
    "--signature",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Signature file (default: the enablement's `signature`, else PACKAGE.sig).",
)
@click.option(
    "--rebuild",
    "rebuild_source",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Rebuild this source folder (in a temporary copy) and compare its digest with the package's.",
)
@click.option("--timeout", type=NumberRange(1, 3600), default=600, show_default=True, help="Rebuild time limit.")
@format_options("human", "json")
def verify(
    package: str,
    grants_file: Path | None,
    trusted_keys: tuple[str, ...],
    signature: str | None,
    rebuild_source: str | None,
    timeout: float,
    output_format: str,
    as_json: bool,
) -> None:
    """Verify a package's signatures against trusted keys; with --rebuild, that its sources rebuild to it."""
    from engine.package.materialize import load_package_path
    from engine.pipeline.verify import merged_trust, verify_package
    from engine.provenance.rebuild import RebuildError

    if not os.path.lexists(package):
        fail("plugin", f"plugin verify input `{package}` could not be read: not found", ErrorKind.IO)
    loaded = run_guarded("plugin", lambda: load_package_path(package))
    settings, enabled_signature = _config_trust(grants_file, loaded.manifest.id)
    trust = merged_trust(settings, _trusted_key_files(trusted_keys))
    if not trust.keys and rebuild_source is None:
        fail("plugin", "plugin verify needs a trusted key: --grants CONFIG with [[plugins.trust.keys]], --trusted-key")
    try:
        result = verify_package(
            loaded,
            trust,
            package_path=package,
            signature_path=signature or enabled_signature,
            rebuild_source=rebuild_source,
            timeout=timeout,
        )
    except RebuildError as error:
        fail("plugin", f"plugin verify failed: {error}", error.error_kind)
    from engine.report.provenance import provenance_json

    if resolve_format(output_format, as_json) == "json":
        emit_json(verification_json(result, bool(trust.keys)) | {"provenance": provenance_json(result.trust)})
    else:
        click.echo(human_lines(signature_lines(result, bool(trust.keys))), nl=False)
    if not result.passed:
        reasons = []
        if trust.keys and not result.signed:
            reasons.append("no signature from a trusted key counts")
        if result.rebuild is not None and not result.rebuild.matches:
            reasons.append("the rebuilt package differs")
        fail("plugin", "plugin verify failed: " + "; ".join(reasons), ErrorKind.REJECTED)


def _config_trust(grants_file: Path | None, package_id: str):
    """The trust settings of `--grants` and the signature path its enablement of the package names."""
    from engine.provenance.trust import TrustSettings

    if grants_file is None:
        return TrustSettings(), None
    from engine.grants.config import load_config
    from engine.grants.refs import try_parse_ref

    config = run_guarded("plugin", lambda: load_config(grants_file))
    for enablement in config.enabled:
        ref = try_parse_ref(enablement.id)
        if ref is not None and ref.local_id == package_id and enablement.signature:
            return config.trust, enablement.signature
    return config.trust, None


def _trusted_key_files(paths: tuple[str, ...]):
    from engine.provenance.keys import KeyProblem, key_id, read_public_key
    from engine.provenance.trust import TrustedKey

    keys = []
    for path in paths:
        try:
            raw = read_public_key(path)
        except KeyProblem as problem:
            fail("plugin", bound_text(f"plugin verify failed: --trusted-key `{path}`: {problem}"), problem.error_kind)
        keys.append(TrustedKey(key_id(raw), raw, name=Path(path).stem))
    return tuple(keys)


def verification_json(result: Verification, has_keys: bool) -> dict[str, Any]:
    from engine.report.provenance import signatures_json

    package = result.package
    return {
        "command": "verify",
        "package": {"id": package.manifest.id, "version": package.manifest.version, "digest": package.digest},
        "status": "verified" if result.passed else "failed",
        "signed": result.signed if has_keys else None,
        "signature": signatures_json(result.trust),
        "conclusions": [c.to_dict() for c in result.conclusions],
        "rebuild": _rebuild_json(result),
    }


def _rebuild_json(result: Verification) -> dict[str, Any] | None:
    rebuilt = result.rebuild
    if rebuilt is None:
        return None
    return {
        "source": rebuilt.source,
        "digest": rebuilt.digest,
        "matches": rebuilt.matches,
        "builder": rebuilt.builder,
        "differing": list(rebuilt.differing),
        "differing_count": rebuilt.differing_count,
    }


def signature_lines(result: Verification, has_keys: bool) -> list[str]:
    package = result.package
    status = "verified" if result.passed else "failed"
    from engine.report.provenance import provenance_json, signatures_json, trust_lines

    lines = [
        bound_text(f"plugin verify: {package.identity} {package.manifest.version} [{status}]", 1000),
        f"digest: {package.digest}",
    ]
    if has_keys:
        lines += trust_lines(signatures_json(result.trust), provenance_json(result.trust), always=True)
        lines += [bound_text(f"{c.severity}: {c.code}: {c.message}", 1000) for c in result.conclusions]
    rebuilt = result.rebuild
    if rebuilt is not None:
        verdict = "reproduced" if rebuilt.matches else "differs"
        lines.append(bound_text(f"rebuild: {rebuilt.source} [{verdict}] digest={rebuilt.digest}", 1000))
        if not rebuilt.matches:
            more = rebuilt.differing_count - len(rebuilt.differing)
            named = ", ".join(rebuilt.differing) + (f" and {more} more" if more else "")
            lines.append(bound_text(f"  differing files: {named}", 1000))
    return lines
