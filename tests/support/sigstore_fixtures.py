"""A private Sigstore, made in the test: a Fulcio-like CA, a CT log and a Rekor log, each with its
own key, their trusted root, and keyless-style bundles they would have issued.

Everything sigstore-python checks offline is real here: the leaf certificate chains to the CA
and carries an embedded SCT signed by the CT log key (RFC 6962, over the precertificate), the
code-signing EKU and the OIDC issuer extension; the Rekor entry (dsse 0.0.1) has a Merkle
inclusion proof, a signed checkpoint (a signed note) and a signed entry timestamp (SET). Only
the network is missing, which is the point: the engine must verify without it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

SCT_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
ROOT_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
ORIGIN = "rekor.test - 1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_id(key) -> bytes:
    return hashlib.sha256(_spki(key)).digest()


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _sign(key, data: bytes) -> bytes:
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def _canonical(document) -> bytes:
    """RFC 8785 for the plain documents used here (ASCII keys and strings, integers)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class PrivateSigstore:
    ca_key: ec.EllipticCurvePrivateKey
    ca_cert: x509.Certificate
    ct_key: ec.EllipticCurvePrivateKey
    rekor_key: ec.EllipticCurvePrivateKey
    now: dt.datetime

    @classmethod
    def create(cls) -> PrivateSigstore:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "test"),
                          x509.NameAttribute(NameOID.COMMON_NAME, "test-fulcio")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return cls(ca_key, ca_cert, ec.generate_private_key(ec.SECP256R1()),
                   ec.generate_private_key(ec.SECP256R1()), now)

    def trusted_root(self) -> dict:
        start = (self.now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def log(key, url):
            return {"baseUrl": url, "hashAlgorithm": "SHA2_256",
                    "publicKey": {"rawBytes": _b64(_spki(key)), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                                  "validFor": {"start": start}},
                    "logId": {"keyId": _b64(_key_id(key))}}

        return {
            "mediaType": ROOT_TYPE,
            "tlogs": [log(self.rekor_key, "https://rekor.invalid")],
            "ctlogs": [log(self.ct_key, "https://ctfe.invalid")],
            "certificateAuthorities": [{
                "subject": {"organization": "test", "commonName": "test-fulcio"},
                "uri": "https://fulcio.invalid",
                "certChain": {"certificates": [{"rawBytes": _b64(self.ca_cert.public_bytes(serialization.Encoding.DER))}]},
                "validFor": {"start": start},
            }],
            "timestampAuthorities": [],
        }

    # -- the leaf certificate, with its embedded SCT ------------------------------------------

    def _leaf_builder(self, key, identity: str, issuer: str, serial: int, sct_list: bytes):
        octets = b"\x04" + _der_length(len(sct_list)) + sct_list
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([])).issuer_name(self.ca_cert.subject).public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(self.now - dt.timedelta(minutes=1)).not_valid_after(self.now + dt.timedelta(minutes=10))
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity)]), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                           critical=False)
            .add_extension(x509.UnrecognizedExtension(ISSUER_V1_OID, issuer.encode()), critical=False)
            .add_extension(x509.UnrecognizedExtension(SCT_OID, octets), critical=False)
        )

    def _sct_list(self, tbs_precert: bytes) -> bytes:
        timestamp = int(self.now.timestamp() * 1000)
        issuer_key_hash = hashlib.sha256(self.ca_cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
        entry = issuer_key_hash + len(tbs_precert).to_bytes(3, "big") + tbs_precert
        signed = struct.pack("!BBQH", 0, 0, timestamp, 1) + entry + struct.pack("!H", 0)
        signature = _sign(self.ct_key, signed)
        sct = (bytes([0]) + _key_id(self.ct_key) + struct.pack("!Q", timestamp) + struct.pack("!H", 0)
               + bytes([4, 3]) + struct.pack("!H", len(signature)) + signature)
        item = struct.pack("!H", len(sct)) + sct
        return struct.pack("!H", len(item)) + item

    def leaf(self, key, identity: str, issuer: str) -> x509.Certificate:
        serial = x509.random_serial_number()
        placeholder = self._leaf_builder(key, identity, issuer, serial, self._sct_list(b"x")).sign(
            self.ca_key, hashes.SHA256())
        tbs = placeholder.tbs_precertificate_bytes
        cert = self._leaf_builder(key, identity, issuer, serial, self._sct_list(tbs)).sign(
            self.ca_key, hashes.SHA256())
        assert cert.tbs_precertificate_bytes == tbs
        return cert

    # -- the log entry ------------------------------------------------------------------------

    def _checkpoint(self, root_hash: bytes) -> str:
        note = f"{ORIGIN}\n1\n{_b64(root_hash)}\n"
        signature = _key_id(self.rekor_key)[:4] + _sign(self.rekor_key, note.encode())
        return f"{note}\n\u2014 rekor.test {_b64(signature)}\n"

    def bundle(self, payload_type: str, payload: bytes, *, identity: str, issuer: str) -> dict:
        """A bundle (v0.3, DSSE) as Fulcio, the CT log and Rekor would have made it for `identity`."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.leaf(key, identity, issuer)
        kind = payload_type.encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)
        signature = _sign(key, pae)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        body = _canonical({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {"envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(b"{}").hexdigest()},
                     "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                     "signatures": [{"signature": _b64(signature), "verifier": _b64(pem)}]},
        })
        leaf_hash = hashlib.sha256(b"\x00" + body).digest()  # a log of one entry: the root is its leaf
        integrated = int(self.now.timestamp())
        set_payload = _canonical({"body": _b64(body), "integratedTime": integrated,
                                  "logID": _key_id(self.rekor_key).hex(), "logIndex": 0})
        return {
            "mediaType": BUNDLE_TYPE,
            "verificationMaterial": {
                "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [{
                    "logIndex": "0",
                    "logId": {"keyId": _b64(_key_id(self.rekor_key))},
                    "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                    "integratedTime": str(integrated),
                    "inclusionPromise": {"signedEntryTimestamp": _b64(_sign(self.rekor_key, set_payload))},
                    "inclusionProof": {"logIndex": "0", "rootHash": _b64(leaf_hash), "treeSize": "1", "hashes": [],
                                       "checkpoint": {"envelope": self._checkpoint(leaf_hash)}},
                    "canonicalizedBody": _b64(body),
                }],
            },
            "dsseEnvelope": {"payload": _b64(payload), "payloadType": payload_type,
                             "signatures": [{"sig": _b64(signature), "keyid": ""}]},
        }
