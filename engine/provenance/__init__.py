"""Who made a package, and how: detached signatures and build provenance, verified offline.

- keys.py: Ed25519 key pairs, key ids, the PEM forms (public keys decoded without `cryptography`).
- dsse.py: the DSSE envelope (strict JSON, bounded) and its pre-authentication encoding.
- statements.py: the in-toto statements signed: the package statement and the build provenance.
- sign.py: `yoi plugin sign` (the envelope beside the package, never inside it).
- verify.py: a package's signatures against the trust settings, as statuses rules read as facts.
- build.py: the provenance statement `yoi plugin build` writes beside the package.
- rebuild.py: `yoi plugin verify --rebuild`: build the sources again and compare.

`cryptography` is imported only where a signature is made or checked against a trusted key, so
`check` of an unsigned package, or with no trusted keys, never loads it (docs/provenance.md).
"""
