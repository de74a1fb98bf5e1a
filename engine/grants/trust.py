"""Read `[plugins.trust]` (after the schema check) into TrustSettings, or say what is wrong.

Everything a trusted key needs is checked here, when the config is read, so a mistake in the
trust settings is an input error (exit 2) that names its key, never a key silently dropped:
the key must decode (engine/provenance/keys.py, no `cryptography` needed), its id must be the
one the key derives (a pasted id of another key is caught), ids are unique, and `expires` is a
real date or a date-time with an offset (a local time is ambiguous). The shapes of ids, `packages`
patterns and dates written as strings are the schema's (engine/grants/schema.py). Key files are
read relative to the config file, bounded, regular files only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from engine.provenance.keys import KeyProblem, decode_public_key, key_id, read_public_key
from engine.provenance.trust import SigstoreTrust, TrustedIdentity, TrustedKey, TrustSettings
from engine.safe_read import ReadError, read_bounded
from engine.schemas import SchemaProblem


def expiry(value: date | str) -> datetime | None:
    """A date as midnight UTC; a date-time with an offset in UTC; None for a local date-time
    or a string that is no real date (the schema checked its shape)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else None
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


class _Reader:
    def __init__(self, file: str):
        self.folder = Path(file).parent
        self.problems: list[SchemaProblem] = []

    def problem(self, path: tuple, what: str) -> None:
        from engine.grants.schema import format_path

        self.problems.append(SchemaProblem(path, f"plugin config key `{format_path(path)}` {what}"))

    def key(self, index: int, entry: dict[str, Any]) -> TrustedKey | None:
        path: tuple[str | int, ...] = ("plugins", "trust", "keys", index)
        raw = self.public_key(path + ("public_key",), entry["public_key"])
        if raw is None:
            return None
        written = entry["id"]
        if written != key_id(raw):
            self.problem(path + ("id",), "does not match the public key (its id is another; check both)")
            return None
        expires = None
        if "expires" in entry:
            expires = expiry(entry["expires"])
            if expires is None:
                self.problem(path + ("expires",), "must be a real date, or a date-time with an offset (Z or +hh:mm)")
                return None
        return TrustedKey(written, raw, expires, tuple(entry.get("packages", ())), entry.get("name", ""))

    def public_key(self, path: tuple, value: str | dict) -> bytes | None:
        try:
            if isinstance(value, str):
                return decode_public_key(value)
            return read_public_key(self.folder / value["file"])
        except KeyProblem as problem:
            self.problem(path, f"is unusable: {problem}")
            return None


MAX_TRUSTED_ROOT_BYTES = 1024 * 1024
SIGSTORE_HINT = "install the `sigstore` extra (pip install '.[sigstore]' in a checkout of the engine)"


def _sigstore(reader: _Reader, table: dict[str, Any]) -> SigstoreTrust | None:
    """The `[plugins.trust.sigstore]` table: its trusted root read now (bounded, a JSON object),
    so a missing or broken root is a config error, not a signature that quietly fails later."""
    import importlib.util

    from engine.provenance.dsse import EnvelopeProblem, strict_json

    path: tuple[str | int, ...] = ("plugins", "trust", "sigstore", "trusted_root")
    if importlib.util.find_spec("sigstore") is None:
        reader.problem(("plugins", "trust", "sigstore"), f"needs the sigstore package: {SIGSTORE_HINT}")
        return None
    root_file = str(reader.folder / table["trusted_root"])
    try:
        data = read_bounded(root_file, MAX_TRUSTED_ROOT_BYTES)
        if not isinstance(strict_json(data), dict):
            raise EnvelopeProblem("not a JSON object")
    except ReadError as error:
        reader.problem(path, f"could not be read: {error.reason}")
        return None
    except EnvelopeProblem as problem:
        reader.problem(path, f"is not a trusted root: {problem}")
        return None
    identities = tuple(
        TrustedIdentity(i["identity"], i["issuer"], tuple(i.get("packages", ())), i.get("name", ""))
        for i in table.get("identities", ())
    )
    return SigstoreTrust(data, root_file, identities)


def read_trust(table: dict[str, Any] | None, file: str) -> tuple[TrustSettings, list[SchemaProblem]]:
    """The trust settings of a schema-checked `[plugins.trust]` table (None: no table)."""
    if table is None:
        return TrustSettings(), []
    reader = _Reader(file)
    keys: list[TrustedKey] = []
    for index, entry in enumerate(table.get("keys", ())):
        key = reader.key(index, entry)
        if key is not None and any(k.id == key.id for k in keys):
            reader.problem(("plugins", "trust", "keys", index, "id"), "names a key listed before")
        elif key is not None:
            keys.append(key)
    sigstore = _sigstore(reader, table["sigstore"]) if "sigstore" in table else None
    required = bool(table.get("require_signature", False))
    return TrustSettings(required, tuple(keys), True, sigstore), reader.problems
