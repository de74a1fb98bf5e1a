"""`check`, then the first start, of a real Python guest with an empty cache: the path a new author
walks after `yoi plugin build`. Static inspection reads the ~18 MB component's types in pure
Python and compiles nothing; the first start compiles it (and stores it in the compiled-artifact
cache for the next start). Each step is a fresh `yoi` process, timed from outside.

Run: python bench/python_check_then_start.py [--builds-dir DIR]   (needs the `pdk` extra)
Run it in another checkout (e.g. one where `check` compiled to read types) for the comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from python_guest import workspace_with_python_guest

ROOT = Path(__file__).resolve().parents[1]


def yoi(env: dict, *args: str, stdin: str | None = None) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", "from engine.cli.main import main; main()", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    return done, time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builds-dir", type=Path, default=None, help="Keep the build here (default: a temp dir).")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="yoi-bench-check-start-") as tmp_name:
        root = args.builds_dir or Path(tmp_name)
        workspace, build_s = workspace_with_python_guest(root)
        env = {**os.environ, "YOI_CACHE": str(root / "cache"), "XDG_DATA_HOME": str(root / "xdg")}
        archive = next((workspace / ".yoi" / "plugins").glob("*.yoi-plugin"))
        config = workspace / ".yoi" / "config.toml"
        checked, check_s = yoi(env, "plugin", "check", str(archive), "--grants", str(config), "--json")
        assert checked.returncode == 0 and json.loads(checked.stdout)["status"] == "active", checked.stderr[-800:]
        request = json.dumps({"id": 1, "op": "call", "plugin": "project:bench.python_guest",
                              "tool": "bench_python_guest_count", "input": {}}) + "\n"
        served, start_s = yoi(env, "plugin", "serve", "--workspace", str(workspace), stdin=request)
        assert served.returncode == 0 and json.loads(served.stdout.splitlines()[0])["ok"], served.stderr[-800:]
        print(f"build (componentize-py, not timed below): {build_s:.1f} s")
        print(f"{'check (empty cache)':<40} {check_s:>8.2f} s")
        print(f"{'serve: first start and one call':<40} {start_s:>8.2f} s")
        print(f"{'check then first start':<40} {check_s + start_s:>8.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
