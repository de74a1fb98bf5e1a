"""First and second start of a real Python guest (issue 11): the python-instance template,
built with componentize-py, started through the startup gate in a fresh process each time.

The first start compiles the ~18 MB component (wasmtime, Cranelift); the second loads the
compiled artifact from the private cache folder the first one filled (target: at least 10x
faster). A third column, a start with the cache again empty, shows the cold number is stable.
Each start is timed from `registry.start` to its return (load and digest check, compile or
cache, instantiate, guest `start`), after wasmtime is imported and the engine made.

Run: python bench/python_guest.py [--builds-dir DIR]   (needs componentize-py: the `pdk` extra)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from engine.authoring.build import build
from engine.authoring.new import create
from engine.authoring.templates import TEMPLATES, enablement
from engine.package.pack import pack_directory

FRESH = """
import sys, time, json
from pathlib import Path
from engine.host.startup import start_plans
from engine.runtime import HostConfig
report = start_plans(Path({workspace!r}), host=HostConfig(cache_dir=Path({cache!r})))
registry = report.registry
ref = report.plans[0].ref
registry._engine()  # wasmtime imported and the engine made: time the start itself
started = time.perf_counter()
status = registry.start(ref)
elapsed = time.perf_counter() - started
output = registry.call_tool(ref, "bench_python_guest_count", {{}})
registry.close()
print(json.dumps({{"seconds": elapsed, "lifecycle": status["lifecycle"], "summary": output["summary"]}}))
"""


def workspace_with_python_guest(root: Path) -> tuple[Path, float]:
    folder = root / "python-instance"
    create("python-instance", str(folder), "bench.python_guest")
    result = build(str(folder))
    workspace = root / "ws"
    archive = workspace / ".yoi" / "plugins" / "bench.python_guest.yoi-plugin"
    _, package = pack_directory(folder, archive)
    manifest = tomllib.loads((folder / "plugin.toml").read_text())
    config = workspace / ".yoi" / "config.toml"
    config.write_text(enablement(TEMPLATES["python-instance"], manifest, package.digest))
    return workspace, result.build_ms / 1000


def fresh_start(workspace: Path, cache: Path) -> dict:
    code = FRESH.format(workspace=str(workspace), cache=str(cache))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds-dir", type=Path, default=None, help="Keep the build here (default: a temp dir).")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="yoi-bench-python-") as tmp_name:
        root = args.builds_dir or Path(tmp_name)
        started = time.perf_counter()
        workspace, build_s = workspace_with_python_guest(root)
        print(f"build (componentize-py): {build_s:.1f} s; workspace ready in {time.perf_counter() - started:.1f} s")
        cache = root / "cache"
        first = fresh_start(workspace, cache)
        second = fresh_start(workspace, cache)
        third = fresh_start(workspace, root / "cache-again-empty")
        for row in (first, second, third):
            assert row["lifecycle"] == "started" and row["summary"] == "counter is at 1", row
        print(f"{'start':<44} {'seconds':>9}")
        print(f"{'first start (compile, cache empty)':<44} {first['seconds']:>9.3f}")
        print(f"{'second start (compiled-artifact cache)':<44} {second['seconds']:>9.3f}")
        print(f"{'first start again (another empty cache)':<44} {third['seconds']:>9.3f}")
        ratio = first["seconds"] / second["seconds"]
        print(f"second start {ratio:.0f}x faster than the first (target >= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
