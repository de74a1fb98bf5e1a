"""Benchmark (c) of issue 9: tool calls per second through `yoi plugin serve` against the
in-process registry, in one run, on the instance example (`project:example.counter`, tool
`counter`, enabled by examples/workspace).

Four ways to make the same call, after a warm-up, in interleaved rounds (median per way):
  registry   `PluginInstanceRegistry.call_tool` in process (the baseline)
  loop       the serve loop's request handling in process (`ServeLoop.respond` on a JSON line and
             encoding the response): the protocol's cost without the pipe
  serve-rr   one `serve` subprocess, request/response in lock step (write a line, read a line)
  serve-pipe one `serve` subprocess, requests streamed by a writer thread while responses are read
             (each with its own `id`: ids are unique among requests in flight)
  ordered-rr a `serve --ordered` subprocess (the old lock-step protocol), lock step

(e) of issue 17: a fast plugin's latency (raw echo) while another plugin's call spins until its
1 s deadline, through a `serve` subprocess: idle (nothing spins), while spinning with the
concurrent protocol (now the default), and while spinning with `--ordered` (the old lock-step
behaviour, "before").

    python bench/serve.py [--calls 1000] [--rounds 7] [--spins 5]
"""

from __future__ import annotations

import argparse
import itertools
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

    def server(*flags: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "engine.cli.main", "plugin", "serve", "--workspace", str(WORKSPACE), "-q", *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)

    process, ordered = server(), server("--ordered")
    stdin, stdout = process.stdin, process.stdout
    line = REQUEST.rstrip(b"\n")

    def lock_step(target: subprocess.Popen = process) -> None:
        target.stdin.write(REQUEST)
        target.stdin.flush()
        target.stdout.readline()

    ids = itertools.count(1)

    def pipelined(n: int) -> float:
        batch = b"".join(
            json.dumps({"id": next(ids), "op": "call", "plugin": REF, "tool": "counter", "input": {}}).encode() + b"\n"
            for _ in range(n)
        )
        writer = threading.Thread(target=lambda: (stdin.write(batch), stdin.flush()))
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
            "ordered-rr": lambda n: _timed(lambda: lock_step(ordered), n),
        }
        for way in ways.values():
            way(WARMUP)
        times: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(rounds):
            for name, way in ways.items():
                times[name].append(way(calls))
    for each in (process, ordered):
        each.stdin.close()
        each.wait(timeout=60)
    return {name: statistics.median(values) for name, values in times.items()}


SPIN_MS = 1000
FAST = {"op": "call", "plugin": "example.raw-echo", "tool": "raw_echo", "input": {"text": "hi"}}
SLOW = {"op": "call", "plugin": "spin.tool", "tool": "spin"}


def spin_workspace(root: Path) -> Path:
    """examples enabled, plus a raw module whose tool spins until its 1 s deadline."""
    import wasmtime

    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from example_workspace import add_raw_package, enablement, write_config

    spin = wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "yoi_tool_call") (loop $l (br $l))))')
    _, table = add_raw_package(root, "spin.tool", "spin", artifact=spin)
    limits = f"\n[plugins.enabled.limits]\ntimeout_ms = {SPIN_MS}\nfuel = 10000000000\n"
    write_config(root, enablement("raw-echo"), table + limits)
    return root


def fast_latency(workspace: Path, env: dict, spins: int, *flags: str, spinning: bool = True) -> float:
    """Median seconds from writing a fast request to reading its response, each sent right after
    a request that spins (or alone when not `spinning`)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli.main", "plugin", "serve", "--workspace", str(workspace), "-q", *flags],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    stdin, stdout = process.stdin, process.stdout
    seen: set[str] = set()

    def send(request: dict) -> None:
        stdin.write(json.dumps(request).encode() + b"\n")
        stdin.flush()

    def until(request_id: str) -> None:
        while request_id not in seen:
            seen.add(json.loads(stdout.readline())["id"])

    ids = itertools.count()
    for ref in ("spin.tool", "example.raw-echo"):
        started = f"s{next(ids)}"
        send({"id": started, "op": "start", "plugin": ref})
        until(started)
    samples = []
    for _ in range(spins):
        slow, fast = f"slow{next(ids)}", f"fast{next(ids)}"
        if spinning:
            send({"id": slow, **SLOW})
        start = time.perf_counter()
        send({"id": fast, **FAST})
        until(fast)
        samples.append(time.perf_counter() - start)
        if spinning:
            until(slow)  # the spinning call ends at its deadline: the next round starts clean
    stdin.close()
    process.wait(timeout=60)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--spins", type=int, default=5, help="fast calls timed while another plugin spins")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as empty_home:
        os.environ["XDG_DATA_HOME"] = empty_home  # only the bundled examples are discovered
        median = measure(args.calls, args.rounds, dict(os.environ))
        workspace = spin_workspace(Path(empty_home) / "ws")
        env = dict(os.environ)
        idle = fast_latency(workspace, env, args.spins, spinning=False)
        concurrent = fast_latency(workspace, env, args.spins)
        ordered = fast_latency(workspace, env, args.spins, "--ordered")
    base = median["registry"]
    print(f"(c) `counter` on {REF}: median of {args.rounds} rounds of {args.calls} calls")
    labels = {"registry": "registry (in process)", "loop": "serve loop (in process, JSON)",
              "serve-rr": "serve subprocess, lock step", "serve-pipe": "serve subprocess, pipelined",
              "ordered-rr": "serve --ordered, lock step"}
    for name, label in labels.items():
        print(f"    {label:<31} {rate(args.calls, median[name])}  {median[name] / base:.2f}x the registry's time")
    print(f"(e) raw_echo latency while another plugin spins for {SPIN_MS} ms: median of {args.spins}")
    print(f"    {'idle (nothing spins)':<31} {idle * 1e3:8.1f} ms")
    print(f"    {'spinning, concurrent (after)':<31} {concurrent * 1e3:8.1f} ms  {concurrent / idle:.1f}x idle")
    print(f"    {'spinning, --ordered (before)':<31} {ordered * 1e3:8.1f} ms  {ordered / idle:.1f}x idle")


if __name__ == "__main__":
    main()
