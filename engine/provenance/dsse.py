"""The DSSE envelope (github.com/secure-systems-lab/dsse, v1.0.2) as this engine writes and reads it.

    {"payloadType": "application/vnd.in-toto+json", "payload": "<base64>",
     "signatures": [{"keyid": "ed25519:<hex>", "sig": "<base64>"}]}

Each signature is Ed25519 over the pre-authentication encoding (`pae`) of the payload type and
the payload bytes, so neither can be swapped without breaking it. Reading is strict and bounded:
the file's size, the JSON's depth, duplicate keys, NaN, unknown or missing fields, non-canonical
base64, key ids that are not this engine's form, repeated key ids and signatures that are not 64
bytes are all refused (`EnvelopeProblem`), before any cryptography runs. Standard base64 only.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from engine.errors import EngineError, ErrorKind
from engine.provenance.keys import KEY_ID_RE

PAYLOAD_TYPE = "application/vnd.in-toto+json"
MAX_ENVELOPE_BYTES = 256 * 1024
MAX_SIGNATURES = 64
SIGNATURE_BYTES = 64
_ENVELOPE_KEYS = frozenset({"payloadType", "payload", "signatures"})
_SIGNATURE_KEYS = frozenset({"keyid", "sig"})


class EnvelopeProblem(EngineError):
    """Why a file is not a usable envelope: short words, never the file's text."""

    error_kind = ErrorKind.INPUT


@dataclass(frozen=True)
class EnvelopeSignature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[EnvelopeSignature, ...]

    def with_signature(self, signature: EnvelopeSignature) -> Envelope:
        """This envelope with `signature` added, replacing one by the same key (a re-sign)."""
        others = tuple(s for s in self.signatures if s.keyid != signature.keyid)
        return Envelope(self.payload_type, self.payload, (*others, signature))


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSEv1 pre-authentication encoding: `DSSEv1 LEN(type) type LEN(body) body`."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _reject_constant(name: str) -> Any:
    raise EnvelopeProblem(f"the JSON holds {name}, which is not JSON")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise EnvelopeProblem("the JSON repeats a key in one object")
        out[key] = value
    return out


def strict_json(data: bytes) -> Any:
    """Parse UTF-8 JSON refusing duplicate keys, NaN/Infinity and runaway nesting."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvelopeProblem("not UTF-8") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_object, parse_constant=_reject_constant)
    except EnvelopeProblem:
        raise
    except RecursionError:
        raise EnvelopeProblem("the JSON nests too deeply") from None
    except json.JSONDecodeError as error:
        raise EnvelopeProblem(f"not valid JSON (line {error.lineno}, column {error.colno})") from None
    except ValueError:  # e.g. an integer past the interpreter's digit limit
        raise EnvelopeProblem("not valid JSON (a number too long)") from None


def b64decode(text: Any, what: str) -> bytes:
    """Canonical standard base64 (padding required, nothing else): re-encoding gives it back."""
    if not isinstance(text, str):
        raise EnvelopeProblem(f"{what} is not a base64 string")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise EnvelopeProblem(f"{what} is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise EnvelopeProblem(f"{what} is not canonical base64")
    return data


def _exact_keys(document: Any, keys: frozenset[str], what: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise EnvelopeProblem(f"{what} is not a JSON object")
    if set(document) != keys:
        missing, extra = sorted(keys - set(document)), sorted(set(document) - keys)
        words = ([f"missing {', '.join(missing)}"] if missing else []) + (["unknown fields"] if extra else [])
        raise EnvelopeProblem(f"{what} has {' and '.join(words)}")
    return document


def parse_envelope(data: bytes, payload_type: str = PAYLOAD_TYPE) -> Envelope:
    """The envelope in `data` (at most MAX_ENVELOPE_BYTES), whose payload type must be exactly
    `payload_type`; EnvelopeProblem for anything else."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeProblem(f"larger than {MAX_ENVELOPE_BYTES} bytes")
    return envelope_from_json(strict_json(data), payload_type)


def is_envelope(document: Any) -> bool:
    """A parsed JSON document that declares itself an envelope (it has a `payloadType`)."""
    return isinstance(document, dict) and "payloadType" in document


def envelope_from_json(document: Any, payload_type: str = PAYLOAD_TYPE) -> Envelope:
    """`parse_envelope` for JSON already parsed with `strict_json`."""
    document = _exact_keys(document, _ENVELOPE_KEYS, "the envelope")
    if document["payloadType"] != payload_type:
        raise EnvelopeProblem(f"the payload type is not {payload_type}")
    payload = b64decode(document["payload"], "the payload")
    entries = document["signatures"]
    if not isinstance(entries, list) or not entries:
        raise EnvelopeProblem("the envelope has no signatures")
    if len(entries) > MAX_SIGNATURES:
        raise EnvelopeProblem(f"the envelope has more than {MAX_SIGNATURES} signatures")
    signatures = []
    for item in entries:
        entry = _exact_keys(item, _SIGNATURE_KEYS, "a signature")
        keyid = entry["keyid"]
        if not isinstance(keyid, str) or not KEY_ID_RE.fullmatch(keyid):
            raise EnvelopeProblem("a signature's keyid is not an ed25519 key id")
        sig = b64decode(entry["sig"], "a signature")
        if len(sig) != SIGNATURE_BYTES:
            raise EnvelopeProblem(f"a signature is not {SIGNATURE_BYTES} bytes (Ed25519)")
        signatures.append(EnvelopeSignature(keyid, sig))
    if len({s.keyid for s in signatures}) != len(signatures):
        raise EnvelopeProblem("two signatures name the same key")
    return Envelope(payload_type, payload, tuple(signatures))


def render_envelope(envelope: Envelope) -> bytes:
    """Deterministic JSON (sorted keys, signatures ordered by key id), ending in a newline."""
    document = {
        "payloadType": envelope.payload_type,
        "payload": base64.b64encode(envelope.payload).decode("ascii"),
        "signatures": [
            {"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode("ascii")}
            for s in sorted(envelope.signatures, key=lambda s: s.keyid)
        ],
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")


def canonical_json(document: Any) -> bytes:
    """The one byte form of a payload: sorted keys, no spaces, ASCII. Two signers who build the
    same statement get the same bytes, so their signatures share one envelope."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
