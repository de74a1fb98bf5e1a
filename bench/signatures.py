"""Benchmark: what signatures cost `check` (issue 23).

(a) Whole processes, interleaved, CPU time (user + sys of the child) and wall, median of N:
    `yoi plugin check PKG` of an unsigned package (no trust settings), the same with a config
    that trusts a key but the package unsigned, the package signed and verified against the
    trusted key, and signed with a Sigstore bundle verified against a pinned trusted root; the
    baseline is the first. The unsigned cases must not import `cryptography` (a test checks it);
    the ratios show what a signature costs when there is one.
(b) In process: one Ed25519 signature checked (`check_signature`), and one Sigstore bundle
    (`check_bundle`, the verifier cached as in a long-lived process), per call.

    python bench/signatures.py [--runs 9]

Needs the `sigstore` extra for the Sigstore rows (skipped otherwise).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))


def child_cpu(command: list[str], env: dict) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def setup(root: Path) -> dict[str, list[str]]:
    from engine.provenance.keys import generate_key_pair, load_private_key
    from engine.provenance.sign import sign_package, statement_bytes
    from example_workspace import add_raw_package

    (root / ".yoi").mkdir()
    _ref, table = add_raw_package(root, "bench.echo", "bench_echo", artifact=(ROOT / "examples" / "raw-echo" /
                                                                          "echo.wasm").read_bytes())
    package = root / ".yoi" / "plugins" / "bench.echo.yoi-plugin"
    unsigned = root / "unsigned.yoi-plugin"
    unsigned.write_bytes(package.read_bytes())
    pair = generate_key_pair(root / "release")
    sign_package(str(package), load_private_key(pair.private_path))
    trust = f'[plugins.trust]\n[[plugins.trust.keys]]\nid = "{pair.key_id}"\npublic_key = {{ file = "release.pub" }}\n'
    config = root / "config.toml"
    config.write_text(trust + table)
    yoi = [sys.executable, "-m", "engine.cli.main", "plugin", "check"]
    cases = {
        "unsigned, no trust settings": [*yoi, str(unsigned)],
        "unsigned, a trusted key configured": [*yoi, str(unsigned), "--grants", str(config)],
        "signed, verified (Ed25519)": [*yoi, str(package), "--grants", str(config)],
    }
    if importlib.util.find_spec("sigstore") is not None:
        from sigstore_fixtures import PrivateSigstore

        instance = PrivateSigstore.create()
        (root / "trusted_root.json").write_text(json.dumps(instance.trusted_root()))
        bundled = root / "bundled.yoi-plugin"
        bundled.write_bytes(unsigned.read_bytes())
        identity, issuer = "https://ci.example/release", "https://issuer.example"
        document = instance.bundle("application/vnd.in-toto+json", statement_bytes(str(bundled)),
                                   identity=identity, issuer=issuer)
        Path(f"{bundled}.sigstore.json").write_text(json.dumps(document))
        keyless = root / "keyless.toml"
        keyless.write_text(f'[plugins.trust.sigstore]\ntrusted_root = "trusted_root.json"\n'
                           f'[[plugins.trust.sigstore.identities]]\nidentity = "{identity}"\nissuer = "{issuer}"\n'
                           + table)
        cases["signed, verified (Sigstore bundle)"] = [*yoi, str(bundled), "--grants", str(keyless)]
    return cases


def processes(cases: dict[str, list[str]], runs: int) -> None:
    import compileall

    compileall.compile_dir(str(ROOT / "engine"), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for command in cases.values():
        child_cpu(command, env)  # warm the rule-program cache
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, command in cases.items():
            samples[name].append(child_cpu(command, env))
    base_cpu = statistics.median(c for c, _ in samples[next(iter(cases))])
    for name, values in samples.items():
        cpu = statistics.median(c for c, _ in values)
        wall = statistics.median(w for _, w in values)
        print(f"(a) {name}: cpu {cpu * 1000:.0f} ms, wall {wall * 1000:.0f} ms, cpu ratio {cpu / base_cpu:.2f}")


def in_process(root: Path, repeat: int = 200) -> None:
    from engine.grants.config import load_config
    from engine.package.materialize import load_package_path
    from engine.provenance.verify import check_signature

    package = load_package_path(root / ".yoi" / "plugins" / "bench.echo.yoi-plugin")
    trust = load_config(root / "config.toml").trust
    sig = f"{package.path}.sig"
    check_signature(package, sig, trust)  # imports
    start = time.perf_counter()
    for _ in range(repeat):
        check_signature(package, sig, trust)
    print(f"(b) Ed25519: {(time.perf_counter() - start) / repeat * 1e6:.0f} us per signature file checked")
    if (root / "keyless.toml").exists():
        from engine.provenance.keyless import check_bundle

        bundled = load_package_path(root / "bundled.yoi-plugin")
        keyless = load_config(root / "keyless.toml").trust
        path = f"{bundled.path}.sigstore.json"
        start = time.perf_counter()
        check_bundle(bundled, path, keyless)
        first = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(20):
            check_bundle(bundled, path, keyless)
        print(f"(b) Sigstore: first bundle {first * 1000:.0f} ms (imports sigstore, builds the verifier); "
              f"then {(time.perf_counter() - start) / 20 * 1000:.1f} ms per bundle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yoi-bench-signatures-") as folder:
        root = Path(folder)
        cases = setup(root)
        processes(cases, args.runs)
        in_process(root)


if __name__ == "__main__":
    main()
