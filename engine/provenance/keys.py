"""Ed25519 signing keys: key ids, the files `yoi plugin keygen` writes, and reading them back.

A key id is `ed25519:` and the lowercase hex SHA-256 of the raw 32-byte public key. It is
derived, never chosen, so a config that names a key by id and by its public key is checked for
agreement, and two files holding one key always have one id.

Files are the standard PEM forms, so keys made with OpenSSL work too
(`openssl genpkey -algorithm ed25519`): the private key as unencrypted PKCS#8 (`PRIVATE KEY`),
the public key as SubjectPublicKeyInfo (`PUBLIC KEY`). An Ed25519 SubjectPublicKeyInfo is one
fixed 44-byte DER string, so public keys are decoded here without `cryptography` (its import
costs tens of milliseconds that `check` must not pay when no signature is checked).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import EngineError, ErrorKind
from engine.safe_read import ReadError, read_bounded

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEY_ID_PREFIX = "ed25519:"
KEY_ID_REGEX = "ed25519:[0-9a-f]{64}"
KEY_ID_RE = re.compile(KEY_ID_REGEX)
RAW_KEY_BYTES = 32
# DER of SubjectPublicKeyInfo { AlgorithmIdentifier { 1.3.101.112 }, BIT STRING (32 bytes) }.
_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_PUBLIC_LABEL = "PUBLIC KEY"
MAX_KEY_FILE_BYTES = 16 * 1024
PRIVATE_SUFFIX = ".key"
PUBLIC_SUFFIX = ".pub"


class KeyProblem(EngineError):
    """A key that cannot be used; the message is short and never holds key material."""

    error_kind = ErrorKind.INPUT


def key_id(raw_public_key: bytes) -> str:
    return KEY_ID_PREFIX + hashlib.sha256(raw_public_key).hexdigest()


def public_pem(raw_public_key: bytes) -> str:
    body = base64.b64encode(_SPKI_PREFIX + raw_public_key).decode("ascii")
    return f"-----BEGIN {_PUBLIC_LABEL}-----\n{body}\n-----END {_PUBLIC_LABEL}-----\n"


def decode_public_key(text: str) -> bytes:
    """The raw 32-byte key of an Ed25519 public key written as a PEM block, or as the one line of
    base64 inside it (handy inline in a config). Anything else raises KeyProblem."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) >= 2 and lines[0] == f"-----BEGIN {_PUBLIC_LABEL}-----":
        if lines[-1] != f"-----END {_PUBLIC_LABEL}-----":
            raise KeyProblem("the PEM block has no matching END line")
        lines = lines[1:-1]
    elif len(lines) != 1:
        raise KeyProblem("not an Ed25519 public key in PEM form")
    try:
        der = base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem("the public key is not valid base64") from None
    if len(der) != len(_SPKI_PREFIX) + RAW_KEY_BYTES or not der.startswith(_SPKI_PREFIX):
        raise KeyProblem("not an Ed25519 public key (SubjectPublicKeyInfo of 44 bytes)")
    return der[len(_SPKI_PREFIX) :]


def read_public_key(path: str | os.PathLike[str]) -> bytes:
    """The raw key of a public key file (bounded read of a regular file); KeyProblem otherwise."""
    try:
        data = read_bounded(path, MAX_KEY_FILE_BYTES)
    except ReadError as error:
        raise KeyProblem(f"the public key file could not be read: {error.reason}") from None
    try:
        return decode_public_key(data.decode("ascii"))
    except UnicodeDecodeError:
        raise KeyProblem("the public key file is not ASCII PEM") from None


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """An Ed25519 private key from an unencrypted PKCS#8 PEM file (what keygen writes)."""
    try:
        data = read_bounded(path, MAX_KEY_FILE_BYTES)
    except ReadError as error:
        raise KeyProblem(f"the private key file could not be read: {error.reason}") from None
    return private_key_from_pem(data)


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:  # encrypted, and no password given
        raise KeyProblem("the private key is encrypted; use an unencrypted PKCS#8 key kept in a secret store") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyProblem("not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem("the private key is not an Ed25519 key")
    return key


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def verify_signature(raw_public: bytes, signature: bytes, message: bytes) -> bool:
    """True when `signature` is `raw_public`'s Ed25519 signature of `message` (RFC 8032)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(raw_public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_path: Path
    key_id: str


def key_paths(name: str | os.PathLike[str]) -> tuple[Path, Path]:
    base = Path(name)
    return base.with_name(base.name + PRIVATE_SUFFIX), base.with_name(base.name + PUBLIC_SUFFIX)


def generate_key_pair(name: str | os.PathLike[str]) -> KeyPair:
    """Write `NAME.key` (owner-only, 0600) and `NAME.pub` (0644), each atomically and never over
    an existing file (FileExistsError; OSError for other failures; nothing is left half-made)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from engine.atomic_write import create_file

    private_path, public_path = key_paths(name)
    for path in (private_path, public_path):
        if os.path.lexists(path):
            raise FileExistsError(path)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    raw = raw_public_key(key)
    create_file(private_path, private, 0o600)
    try:
        create_file(public_path, public_pem(raw).encode("ascii"), 0o644)
    except BaseException:
        os.unlink(private_path)
        raise
    return KeyPair(private_path, public_path, key_id(raw))
