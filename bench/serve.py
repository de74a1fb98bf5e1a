"""Benchmark (c) of issue 9: tool calls per second through `yoi plugin serve` against the
in-process registry, in one run, on the instance example (`project:example.counter`, tool
`counter`, enabled by examples/workspace).

Four ways to make the same call, after a warm-up, in interleaved rounds (median per way):
  registry   `PluginInstanceRegistry.call_tool` in process (the baseline)
  loop       the serve loop's request handling in process (`ServeLoop.respond` on a JSON line and
             encoding the response): the protocol's cost without the pipe
  serve-rr   one `serve` subprocess, request/response in lock step (write a line, read a line)
  serve-pipe one `serve` subprocess, requests streamed by a writer thread while responses are read

    python bench/serve.py [--calls 1000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKSPACE = ROOT / "examples" / "workspace"
REF = "project:example.counter"
REQUEST = json.dumps({"id": 0, "op": "call", "plugin": REF, "tool": "counter", "input": {}}).encode() + b"\n"
WARMUP = 50


def rate(calls: int, seconds: float) -> str:
    return f"{calls / seconds:,.0f} calls/s ({seconds / calls * 1e6:,.0f} µs/call)"


def _timed(action, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        action()
    return time.perf_counter() - start


def measure(calls: int, rounds: int, env: dict) -> dict[str, float]:
    """Median seconds per `calls` calls of each way, rounds interleaved so that a noisy neighbour
    slows all four alike."""
    from engine.host.serve import ServeLoop, encode_response
    from engine.host.startup import start_plans

    report = start_plans(WORKSPACE)
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli.main", "plugin", "serve", "--workspace", str(WORKSPACE), "-q"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    stdin, stdout = process.stdin, process.stdout
    line = REQUEST.rstrip(b"\n")

    def lock_step() -> None:
        stdin.write(REQUEST)
        stdin.flush()
        stdout.readline()

    def pipelined(n: int) -> float:
        writer = threading.Thread(target=lambda: (stdin.write(REQUEST * n), stdin.flush()))
        start = time.perf_counter()
        writer.start()
        for _ in range(n):
            last = stdout.readline()
        elapsed = time.perf_counter() - start
        writer.join()
        assert json.loads(last)["ok"], last
        return elapsed

    with report.registry as registry:
        loop = ServeLoop(report, registry)
        ways = {
            "registry": lambda n: _timed(lambda: registry.call_tool(REF, "counter", "{}"), n),
            "loop": lambda n: _timed(lambda: encode_response(loop.respond(line)), n),
            "serve-rr": lambda n: _timed(lock_step, n),
            "serve-pipe": pipelined,
        }
        for way in ways.values():
            way(WARMUP)
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(rounds):
            for name, way in ways.items():
                times[name].append(way(calls))
    stdin.close()
    process.wait(timeout=60)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as empty_home:
        os.environ["XDG_DATA_HOME"] = empty_home  # only the bundled examples are discovered
        median = measure(args.calls, args.rounds, dict(os.environ))
    base = median["registry"]
    print(f"(c) `counter` on {REF}: median of {args.rounds} rounds of {args.calls} calls")
    labels = {"registry": "registry (in process)", "loop": "serve loop (in process, JSON)",
              "serve-rr": "serve subprocess, lock step", "serve-pipe": "serve subprocess, pipelined"}
    for name, label in labels.items():
        print(f"    {label:<31} {rate(args.calls, median[name])}  {median[name] / base:.2f}x the registry's time")


if __name__ == "__main__":
    main()
