"""Throughput of read_archive + package_digest versus a plain SHA-256 of the same archive bytes.

Run: python bench/archive_digest.py. Prints MB/s for both and their ratio (baseline measured in
the same run), for a few archive shapes: many small files, a typical package, one large file.
"""

from __future__ import annotations

import hashlib
import os
import time

from engine.package.archive import read_archive, write_archive
from engine.package.digest import package_digest

SHAPES = {
    "512 x 1 KiB": {f"src/file{i:03}.txt": os.urandom(1024) for i in range(512)},
    "typical (20 files, 2 MiB wasm)": {
        "plugin.toml": b"x" * 2000, "plugin.wasm": os.urandom(2 * 1024 * 1024),
        **{f"src/m{i}.rs": os.urandom(8000) for i in range(18)},
    },
    "1 x 8 MiB": {"plugin.toml": b"x" * 200, "big.wasm": os.urandom(8 * 1024 * 1024)},
}


def best_of(func, data: bytes, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(data)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    print(f"{'shape':34} {'bytes':>10} {'read+digest MB/s':>17} {'sha256 MB/s':>12} {'ratio':>6}")
    for name, files in SHAPES.items():
        data = write_archive(files)
        assert read_archive(data) == files
        repeat = 20
        ours = best_of(lambda d: package_digest(read_archive(d)), data, repeat)
        base = best_of(lambda d: hashlib.sha256(d).digest(), data, repeat)
        mb = len(data) / 1e6
        print(f"{name:34} {len(data):>10} {mb / ours:>17.0f} {mb / base:>12.0f} {ours / base:>6.2f}")


if __name__ == "__main__":
    main()
