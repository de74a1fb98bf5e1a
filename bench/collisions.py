"""Tool-name collisions stay linear (issue 8 item 7).

`yoi plugin list` over a workspace of N enabled packages that all expose the same 550 tool names
(granted through one `tool_namespace` permission each), run as a child process so its CPU time
and peak RSS (resource.getrusage(RUSAGE_CHILDREN)) are its own. One package keeps each
name; every other package gets one diagnostic per tool naming the keeper. Going from 32 to 128
packages (4x) must cost about 4x, not 16x: the report prints the growth factors of time and of
memory above the process floor (`python -c "import engine.cli.main"` measured in the same run).

It also prints the size of `list --json` over the same workspace (issue 16: at most 10 MB for
32 packages; each denied tool's finding is said once).

    python bench/collisions.py [--counts 32 128] [--tools 550]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MANIFEST = """schema_version = 1
id = "gen.c{i:03d}"
name = "Colliding {i}"
version = "1.0.0"
surfaces = ["tool"]
permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool_namespace", namespace = "tool_" }}]
[runtime]
kind = "wasm"
abi = "yoi-plugin-wasm-1"
entry = "echo.wasm"
"""
TOOL = '[[tools]]\nname = "tool_{t}"\ndescription = "Shared tool {t}."\ninput_schema = {{ type = "object" }}\n'


def make_workspace(root: Path, count: int, tools: int) -> None:
    """`count` archives in the project store, each enabled with bound grants for every tool."""
    from engine.package.archive import write_archive
    from engine.package.digest import package_digest

    artifact = (ROOT / "examples" / "raw-echo" / "echo.wasm").read_bytes()
    tool_tables = "".join(TOOL.format(t=t) for t in range(tools))
    store = root / ".yoi" / "plugins"
    store.mkdir(parents=True)
    config = []
    for i in range(count):
        files = {"plugin.toml": (MANIFEST.format(i=i) + tool_tables).encode(), "echo.wasm": artifact}
        (store / f"c{i:03d}.yoi-plugin").write_bytes(write_archive(files))
        digest = package_digest(files)
        config.append(
            f'[[plugins.enabled]]\nid = "project:gen.c{i:03d}"\ndigest = "{digest}"\n[plugins.enabled.grants]\n'
            f'id = "project:gen.c{i:03d}"\nversion = "1.0.0"\ndigest = "{digest}"\n'
            'permissions = [{ kind = "surface", surface = "tool" }, { kind = "tool_namespace", namespace = "tool_" }]\n'
        )
    (root / ".yoi" / "config.toml").write_text("".join(config))


def run_child(command: list[str], cwd: Path) -> tuple[float, float, int]:
    """(CPU seconds, peak RSS in MiB, output bytes) of one child process, measured on its own.

    CPU time (user + system), not wall time: on a shared machine the wall clock of the same run
    varied 3x with the load, the CPU time far less."""
    script = (
        "import resource, subprocess, sys, time\n"
        "start = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "elapsed = time.perf_counter() - start\n"
        "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss, len(done.stdout), done.returncode, elapsed)\n"
        "sys.stderr.write(done.stderr.decode(errors='replace')[-2000:])\n"
    )
    out = subprocess.run([sys.executable, "-c", script, *command], cwd=cwd, capture_output=True, text=True,
                         check=True, env={**os.environ, "YOI_CACHE": os.environ.get("YOI_CACHE", "")})
    elapsed, rss_kib, size, code, _wall = out.stdout.split()
    if code not in ("0", "1"):  # 1: some package rejected, which is the point here
        raise SystemExit(f"{' '.join(command[-4:])} exited {code}: {out.stderr}")
    return float(elapsed), int(rss_kib) / 1024, int(size)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--tools", type=int, default=550)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    floor_cmd = [sys.executable, "-c", "import engine.cli.main"]
    floor = min(run_child(floor_cmd, ROOT)[:2] for _ in range(args.runs))
    print(f"floor (import engine.cli.main): {floor[0]:.2f} s CPU, {floor[1]:.0f} MiB")
    rows = []
    for count in args.counts:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            make_workspace(root, count, args.tools)
            command = [sys.executable, "-m", "engine.cli.main", "plugin", "list", "--workspace", str(root)]
            run_child(command, ROOT)  # warm the rule cache once
            seconds, rss, size = min(run_child(command, ROOT) for _ in range(args.runs))
            json_seconds, json_rss, json_size = run_child([*command, "--json"], ROOT)
        rows.append((count, seconds, rss))
        print(f"list over {count} packages x {args.tools} shared tools: {seconds:.2f} s CPU, "
              f"peak RSS {rss:.0f} MiB, output {size / 1024:.0f} KiB")
        print(f"  list --json (to a pipe): {json_seconds:.2f} s CPU, peak RSS {json_rss:.0f} MiB, "
              f"output {json_size / 1e6:.1f} MB ({json_size / max(1, (count - 1) * args.tools):.0f} bytes "
              "per denied tool)")
    for (n0, t0, m0), (n1, t1, m1) in zip(rows, rows[1:]):
        time_growth = (t1 - floor[0]) / max(t0 - floor[0], 1e-9)
        memory_growth = (m1 - floor[1]) / max(m0 - floor[1], 1e-9)
        print(f"{n0} -> {n1} packages ({n1 / n0:.0f}x): time above floor x{time_growth:.1f}, "
              f"memory above floor x{memory_growth:.1f} "
              f"(linear: about x{n1 / n0:.0f}; quadratic: x{(n1 / n0) ** 2:.0f})")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    start = time.perf_counter()
    main()
    print(f"bench took {time.perf_counter() - start:.0f} s")
