"""Benchmark the WIT front end on the wasm-tools corpus (../shared/corpora/wit-interfaces).

Prints: files and entries, warm parse+resolve time of the whole corpus and files/second,
and the time to the first parse in a fresh process with the grammar disk cache cold, warm
and off (the "off" case is the baseline: building the LALR tables in memory).
Run: python bench/wit_corpus.py [rounds]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# ../shared from the project root; from a worktree (/work/wt/<branch>) it is one level further up
CORPUS = next((base / "shared" / "corpora" / "wit-interfaces" for base in PROJECT_ROOT.parents[:2]
               if (base / "shared" / "corpora" / "wit-interfaces").is_dir()),
              PROJECT_ROOT.parent / "shared" / "corpora" / "wit-interfaces")
sys.path.insert(0, str(PROJECT_ROOT))

FIRST_PARSE = """
import time
t0 = time.perf_counter()
from engine.wit.parser import parse_text
parse_text("package a:b;\\ninterface i { f: func(x: u32) -> string; }\\n")
print(time.perf_counter() - t0)
"""


def entries() -> list[Path]:
    return sorted(CORPUS / e for e in os.listdir(CORPUS) if e.endswith(".wit") or (CORPUS / e).is_dir())


def count_files(paths: list[Path]) -> int:
    return sum(1 if p.is_file() else len(list(p.rglob("*.wit"))) for p in paths)


def fresh_first_parse(cache_setting: str, pycache: str | None = None) -> float:
    """Seconds to the first parse in a new interpreter. `pycache`: let Python keep bytecode
    there (this environment sets PYTHONDONTWRITEBYTECODE, so every run recompiles sources)."""
    env = dict(os.environ, YOI_WIT_GRAMMAR_CACHE=cache_setting, PYTHONPATH=str(PROJECT_ROOT))
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    out = subprocess.run([sys.executable, "-c", FIRST_PARSE], env=env, capture_output=True, text=True,
                         check=True, cwd=PROJECT_ROOT)
    return float(out.stdout.strip())


def main() -> None:
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    from engine.wit import resolve_path
    from engine.wit.parser import get_parser

    paths = entries()
    files = count_files(paths)
    t0 = time.perf_counter()
    get_parser()
    first_in_process = time.perf_counter() - t0
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for path in paths:
            resolve_path(path)
        times.append(time.perf_counter() - t0)
    warm = statistics.median(times)
    print(f"corpus: {len(paths)} entries, {files} .wit files")
    print(f"parser ready in this process (cache or build): {first_in_process * 1000:.1f} ms")
    print(f"warm parse+resolve of whole corpus: median {warm * 1000:.1f} ms "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, {rounds} rounds)")
    print(f"throughput: {files / warm:.0f} files/s, {len(paths) / warm:.0f} entries/s")
    print(f"target whole corpus < 1 s warm: {'met' if warm < 1 else 'MISSED'}")

    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "cache")
        cold = fresh_first_parse(cache)
        warm_cache = statistics.median(fresh_first_parse(cache) for _ in range(5))
        off = statistics.median(fresh_first_parse("off") for _ in range(3))
        pycache = str(Path(tmp) / "pycache")
        fresh_first_parse(cache, pycache)
        with_bytecode = statistics.median(fresh_first_parse(cache, pycache) for _ in range(5))
    print("first parse in a fresh process (lark import + parser + one parse):")
    print(f"  disk cache cold (build + write): {cold * 1000:.1f} ms")
    print(f"  disk cache warm (load):          {warm_cache * 1000:.1f} ms")
    print(f"  no disk cache (baseline build):  {off * 1000:.1f} ms")
    print(f"  warm cache vs baseline: {off / warm_cache:.2f}x faster")
    print(f"  disk cache warm + bytecode cached (a normal install): {with_bytecode * 1000:.1f} ms")


if __name__ == "__main__":
    main()
