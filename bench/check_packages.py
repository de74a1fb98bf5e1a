"""Benchmark: the `yoi plugin check` pipeline, in process, on the bundled examples and on 1,000
generated packages (as folders and as `.yoi-plugin` archives).

Measured: `check_report(check_verdict(path), path)`, the whole `yoi plugin check` pipeline in process: load_package_path
(read, archive parse, manifest tomllib + cerberus, digest), artifact inspection, graph, facts,
the built-in rules, and the report dict.
Baseline in the same run: read the same files and parse plugin.toml with tomllib, nothing else.
Prints packages/second for both and the ratio (pipeline time / baseline time).

    python bench/check_packages.py [--count 1000] [--repeat 3]
"""

from __future__ import annotations

import os

os.environ["YOI_CACHE"] = "off"  # measure real work: no on-disk cache of component types

import argparse
import os
import random
import tempfile
import time
import tomllib
from pathlib import Path

from engine.package.archive import write_archive
from engine.artifact import clear_cache
from engine.report.check import check_report
from engine.verdict.run import check_verdict
from engine.resources import examples_dir


ECHO_COMPONENT = (examples_dir() / "component-echo" / "echo.component.wasm").read_bytes()


def _leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def with_custom_section(component: bytes, payload: bytes) -> bytes:
    """A real component made distinct (its own sha256, its own compile) by a custom section."""
    body = _leb(len(b"bench")) + b"bench" + payload
    return component + b"\x00" + _leb(len(body)) + body


def generated_files(index: int, rng: random.Random) -> dict[str, bytes]:
    """A realistic small package: component runtime, 1-4 tools with schemas, a hook, an artifact."""
    tools = []
    permissions = ['{ kind = "surface", surface = "tool" }']
    for t in range(rng.randint(1, 4)):
        name = f"tool_{index}_{t}"
        permissions.append(f'{{ kind = "tool", name = "{name}" }}')
        tools.append(
            f'[[tools]]\nname = "{name}"\ndescription = "Generated tool {t}"\n'
            'input_schema = { type = "object", properties = { text = { type = "string" }, '
            'n = { type = "integer", enum = [1, 2, 3] }, tags = { type = "array", items = { type = "string" } } }, '
            'required = ["text"], additionalProperties = false }\n'
        )
    manifest = (
        f'schema_version = 1\nid = "gen.pkg-{index}"\nname = "Generated {index}"\nversion = "1.{index}.0"\n'
        'surfaces = ["tool", "hook"]\n'
        "permissions = [\n  " + ",\n  ".join(permissions) + ",\n]\n\n"
        '[runtime]\nkind = "wasm-component"\ncomponent = "plugin.component.wasm"\n'
        'world = "yoi:plugin/tool@1.0.0"\n\n'
        '[[hooks]]\nid = "on-start"\nfile = "hooks/on-start.md"\n\n' + "\n".join(tools)
    )
    return {
        "plugin.toml": manifest.encode(),
        "plugin.component.wasm": with_custom_section(ECHO_COMPONENT, rng.randbytes(rng.randint(1024, 8192))),
        "hooks/on-start.md": b"# hook\n",
        "README.md": b"generated\n",
    }


def write_packages(root: Path, count: int) -> tuple[list[Path], list[Path]]:
    rng = random.Random(1234)
    folders, archives = [], []
    for index in range(count):
        files = generated_files(index, rng)
        folder = root / "folders" / f"pkg-{index}"
        for name, data in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        archive = root / "archives" / f"pkg-{index}.yoi-plugin"
        archive.parent.mkdir(parents=True, exist_ok=True)
        archive.write_bytes(write_archive(files))
        folders.append(folder)
        archives.append(archive)
    return folders, archives


def baseline(path: Path) -> None:
    """Read every file of the package and parse its manifest: the least any check must do."""
    if path.is_dir():
        for dirpath, _, names in os.walk(path):
            for name in names:
                data = Path(dirpath, name).read_bytes()
                if name == "plugin.toml" and dirpath == str(path):
                    tomllib.loads(data.decode())
    else:
        data = path.read_bytes()
        start = data.find(b"schema_version")  # the manifest is stored uncompressed
        end = data.find(b"PK", start)
        tomllib.loads(data[start:end].decode())


def check(path: Path) -> None:
    report = check_report(check_verdict(path), path)  # (status checked so a broken fixture cannot look fast)
    if report["status"] == "rejected":
        raise SystemExit(f"unexpected rejection of {path}: {report['diagnostics']}")


def best_rate(func, paths: list[Path], repeat: int) -> float:
    """Packages per second, best of `repeat` passes (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeat):
        clear_cache()  # every pass inspects (compiles) each component afresh
        start = time.perf_counter()
        for path in paths:
            func(path)
        best = min(best, time.perf_counter() - start)
    return len(paths) / best


def report(label: str, paths: list[Path], repeat: int) -> None:
    pipeline = best_rate(check, paths, repeat)
    base = best_rate(baseline, paths, repeat)
    print(f"{label:<28} {len(paths):>5} pkgs  check {pipeline:9.1f} pkg/s   "
          f"baseline {base:9.1f} pkg/s   ratio {base / pipeline:5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    examples = [p for p in sorted(examples_dir().iterdir()) if (p / "plugin.toml").is_file()]
    if examples:
        check_report(check_verdict(examples[0]), examples[0])  # warm imports and cached validators outside the timing
        report("bundled examples (x100)", examples * 100, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        folders, archives = write_packages(Path(tmp), args.count)
        report("generated folders", folders, args.repeat)
        report("generated archives", archives, args.repeat)


if __name__ == "__main__":
    main()
