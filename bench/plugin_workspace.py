"""Benchmarks of the rule-based reports (issues 5 and 22).

(a) `yoi plugin check examples/instance-counter` as a whole process, against the floor
    `python -c "import networkx, lark, cerberus, click, tomllib"`, in interleaved pairs (check,
    floor, check, floor, ...; the ratio is taken pair by pair, its median printed): with the
    verdict cache warm (the package unchanged since the last check; target <= 1.0x) and with the
    cache off (every check builds the graph and evaluates the rules).
(b) `list` over a workspace of 1,000 generated packages (archives in the project store, every
    one enabled with bound grants), in process: discovery + config + resolution + graph + rules
    + list report. Target: at least 500 packages per second.
(c) `yoi hook workspace-check` over 100 unchanged packages: the engine's time in process (the
    hook's `workspace_reports`: discovery, config, resolution, the verdict from the cache, the
    reports; target under 1 s, printed as a ratio to that second) and the whole process.

    python bench/plugin_workspace.py [--runs 15] [--count 1000] [--hook-count 100]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = [sys.executable, "-c", "import networkx, lark, cerberus, click, tomllib"]
CHECK = [sys.executable, "-m", "engine.cli.main", "plugin", "check", str(ROOT / "examples" / "instance-counter")]


def process_seconds(command: list[str], env: dict, cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=env)
    return time.perf_counter() - start


def paired(command: list[str], runs: int, env: dict, cwd: Path = ROOT, before=None) -> tuple[float, float, float]:
    """(median of command, median of the floor, median of the per-pair ratio), interleaved;
    `before(i)` runs before the i-th command (untimed)."""
    ours, floors, ratios = [], [], []
    for index in range(runs):
        if before is not None:
            before(index)
        a = process_seconds(command, env, cwd)
        b = process_seconds(FLOOR, env, cwd)
        ours.append(a)
        floors.append(b)
        ratios.append(a / b)
    return statistics.median(ours), statistics.median(floors), statistics.median(ratios)


def installed_env(cache: str) -> dict:
    """As a user runs it after `pip install .`, which byte-compiles the package (sandboxes that set
    PYTHONDONTWRITEBYTECODE would make every process recompile our sources from text)."""
    import compileall
    import os

    compileall.compile_dir(str(ROOT / "engine"), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["YOI_CACHE"] = cache
    return env


def process_bench(runs: int, cache: str) -> None:
    """Unchanged: the verdict comes from the cache. Changed: a copy of the package whose manifest
    gets a new comment before every run, so each check misses the verdict cache and evaluates
    (the rule program and WIT worlds still come from their own caches, as after any edit)."""
    import shutil

    env = installed_env(cache)
    subprocess.run(CHECK, cwd=ROOT, stdout=subprocess.DEVNULL, check=False, env=env)  # fills the cache
    check, floor, ratio = paired(CHECK, runs, env)
    print(f"(a) check instance-counter, unchanged (verdict cache hit): {check * 1000:.0f} ms vs floor import "
          f"{floor * 1000:.0f} ms; ratio {ratio:.2f} (target <= 1.0), median of {runs} interleaved pairs")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "instance-counter"
        shutil.copytree(ROOT / "examples" / "instance-counter", copy)
        manifest = (copy / "plugin.toml").read_text()

        def edit(index: int) -> None:
            (copy / "plugin.toml").write_text(f"# edit {index}\n{manifest}")

        check, floor, ratio = paired([*CHECK[:-1], str(copy)], runs, env, before=edit)
    print(f"(a) check instance-counter, changed before every run (verdict cache miss): {check * 1000:.0f} ms vs "
          f"floor import {floor * 1000:.0f} ms; ratio {ratio:.2f}, median of {runs} interleaved pairs")


MANIFEST = """schema_version = 1
id = "gen.p{i}"
name = "Generated {i}"
version = "1.0.{i}"
surfaces = ["tool"]
permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "gen_{i}" }}]
[runtime]
kind = "wasm"
abi = "yoi-plugin-wasm-1"
entry = "echo.wasm"
[[tools]]
name = "gen_{i}"
description = "Generated tool."
input_schema = {{ type = "object", properties = {{ text = {{ type = "string" }} }}, required = ["text"] }}
"""


def make_workspace(root: Path, count: int) -> None:
    from engine.package.archive import write_archive
    from engine.package.digest import package_digest

    artifact = (ROOT / "examples" / "raw-echo" / "echo.wasm").read_bytes()
    store = root / ".yoi" / "plugins"
    store.mkdir(parents=True)
    config = []
    for i in range(count):
        files = {"plugin.toml": MANIFEST.format(i=i).encode(), "echo.wasm": artifact}
        (store / f"p{i}.yoi-plugin").write_bytes(write_archive(files))
        digest = package_digest(files)
        config.append(
            f'[[plugins.enabled]]\nid = "project:gen.p{i}"\ndigest = "{digest}"\n[plugins.enabled.grants]\n'
            f'id = "project:gen.p{i}"\nversion = "1.0.{i}"\ndigest = "{digest}"\n'
            f'permissions = [{{ kind = "surface", surface = "tool" }}, {{ kind = "tool", name = "gen_{i}" }}]\n'
        )
    (root / ".yoi" / "config.toml").write_text("".join(config))


def list_bench(count: int) -> None:
    from engine.package.limits import DEFAULT_LIMITS
    from dataclasses import replace
    from engine.report.listing import list_report
    from engine.verdict.run import workspace_verdict

    limits = replace(DEFAULT_LIMITS, max_packages_per_store=count + 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_workspace(root, count)
        start = time.perf_counter()
        verdict = workspace_verdict(root, None, (), cached=False, user_data_home=None, limits=limits)
        report = list_report(verdict, str(root))
        elapsed = time.perf_counter() - start
        statuses = {item["status"] for item in report["items"]}
        print(f"(b) list over {count} packages: {elapsed:.2f} s, {count / elapsed:.0f} packages/s "
              f"(target >= 500); statuses {sorted(statuses)}")


def hook_bench(count: int, runs: int, cache: str) -> None:
    """The workspace hook over `count` unchanged packages: engine time in process, then the process."""
    env = installed_env(cache)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_workspace(root, count)
        env["XDG_DATA_HOME"] = str(root / "no-user-store")
        hook = [sys.executable, "-m", "engine.cli.main", "hook", "workspace-check", "--workspace", str(root)]
        done = subprocess.run(hook, cwd=root, capture_output=True, text=True, env=env, check=False)  # fills the cache
        assert done.returncode == 0, done.stdout + done.stderr
        code = (
            "import sys, time\nfrom pathlib import Path\n"
            "from engine.cli.hook_workspace import workspace_reports\n"
            "root = Path(sys.argv[1]); start = time.perf_counter()\n"
            "workspace_reports(root, root / '.yoi' / 'config.toml', (), 'deny')\n"
            "print(time.perf_counter() - start)\n"
        )
        engine = []
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", code, str(root)], cwd=ROOT, capture_output=True, text=True,
                                 env=env, check=True)
            engine.append(float(out.stdout))
        seconds = statistics.median(engine)
        whole, floor, ratio = paired(hook, runs, env, root)
        print(f"(c) workspace-check over {count} unchanged packages: engine time {seconds * 1000:.0f} ms "
              f"(ratio {seconds:.2f} to the 1 s target); whole process {whole * 1000:.0f} ms, "
              f"{ratio:.2f}x the floor import ({floor * 1000:.0f} ms); medians of {runs}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--hook-count", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yoi-bench-cache-") as cache:
        process_bench(args.runs, cache)
        hook_bench(args.hook_count, args.runs, cache)
    list_bench(args.count)


if __name__ == "__main__":
    main()
