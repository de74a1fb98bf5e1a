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

(f) of issue 21 point 3: startup to all ready for N uncached packages (raw modules made slow to
compile, each with its own artifact): time from spawning `serve` until a `start` of every package
has been answered, sent one after another as a client would. "before": `serve --no-precompile`,
so each start compiles its artifact, one after another; "after": `serve`, which compiles every
uncached artifact at startup, in parallel (one compile worker per CPU), while the starts wait for
theirs. Two shapes: modules of one big function (wasmtime compiles each on one core) and of eight
functions (wasmtime already spreads each compile over the cores). Rounds interleave both ways.

    python bench/serve.py [--calls 1000] [--rounds 7] [--spins 5] [--packages 4] [--startup-rounds 3]
                          [--part c --part e --part f]
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


# shape -> (if blocks per function, functions): about 0.9 s and 1.2 s to compile on the 2-core box
SHAPES = {"one big function": (20_000, 1), "eight functions": (10_000, 8)}


def slow_workspace(root: Path, packages: int, ifs: int, functions: int) -> list[str]:
    """`packages` raw tool packages, each with a module of its own (never cached) that is slow to
    compile; returns their local ids."""
    import uuid

    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from example_workspace import add_raw_package, write_config
    from slow_compile import slow_raw_module

    module, tag = slow_raw_module(ifs=ifs, functions=functions), uuid.uuid4().hex
    tables, ids = [], []
    for number in range(packages):
        name = f"{tag}-{number}".encode()
        payload = bytes([len(name)]) + name  # a custom section: another artifact, the same code
        local_id = f"slow{number}.compile"
        _, table = add_raw_package(root, local_id, f"slow_{number}", artifact=module + b"\0" + bytes([len(payload)]) + payload)
        tables.append(table)
        ids.append(local_id)
    write_config(root, *tables)
    return ids


def startup_to_ready(root: Path, env: dict, packages: int, shape: tuple[int, int], *flags: str) -> float:
    """Seconds from spawning serve until every package's `start` is answered (one at a time)."""
    ids = slow_workspace(root, packages, *shape)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli.main", "plugin", "serve", "--workspace", str(root), "-q", *flags],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    for number, local_id in enumerate(ids):
        process.stdin.write(json.dumps({"id": number, "op": "start", "plugin": local_id}).encode() + b"\n")
        process.stdin.flush()
        answer = json.loads(process.stdout.readline())
        assert answer["ok"], answer
    elapsed = time.perf_counter() - start
    process.stdin.close()
    process.wait(timeout=60)
    return elapsed


def startup_ratios(home: Path, packages: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Per shape, the median startup-to-ready seconds (lazy compiles, parallel startup compiles)."""
    env = dict(os.environ)
    found = {}
    for label, shape in SHAPES.items():
        lazy, eager = [], []
        for number in range(rounds):
            lazy.append(startup_to_ready(home / f"lazy-{label}-{number}", env, packages, shape, "--no-precompile"))
            eager.append(startup_to_ready(home / f"eager-{label}-{number}", env, packages, shape))
        found[label] = (statistics.median(lazy), statistics.median(eager))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--spins", type=int, default=5, help="fast calls timed while another plugin spins")
    parser.add_argument("--packages", type=int, default=4, help="uncached packages for (f)")
    parser.add_argument("--startup-rounds", type=int, default=3, help="rounds of (f), per way and shape")
    parser.add_argument("--part", action="append", choices=("c", "e", "f"), help="run only these parts")
    args = parser.parse_args()
    parts = set(args.part or ("c", "e", "f"))
    with tempfile.TemporaryDirectory() as empty_home:
        os.environ["XDG_DATA_HOME"] = empty_home  # only the bundled examples are discovered
        env = dict(os.environ)
        if "c" in parts:
            report_calls(args, measure(args.calls, args.rounds, env))
        if "e" in parts:
            workspace = spin_workspace(Path(empty_home) / "ws")
            idle = fast_latency(workspace, env, args.spins, spinning=False)
            concurrent = fast_latency(workspace, env, args.spins)
            ordered = fast_latency(workspace, env, args.spins, "--ordered")
            print(f"(e) raw_echo latency while another plugin spins for {SPIN_MS} ms: median of {args.spins}")
            print(f"    {'idle (nothing spins)':<31} {idle * 1e3:8.1f} ms")
            print(f"    {'spinning, concurrent (after)':<31} {concurrent * 1e3:8.1f} ms  {concurrent / idle:.1f}x idle")
            print(f"    {'spinning, --ordered (before)':<31} {ordered * 1e3:8.1f} ms  {ordered / idle:.1f}x idle")
        if "f" in parts:
            found = startup_ratios(Path(empty_home), args.packages, args.startup_rounds)
            print(f"(f) startup to all {args.packages} uncached packages started: median of {args.startup_rounds} "
                  f"rounds, {os.cpu_count()} CPUs")
            for label, (lazy, eager) in found.items():
                print(f"    {label:<18} lazy (before) {lazy:6.2f} s   startup compile (after) {eager:6.2f} s   "
                      f"{lazy / eager:.2f}x faster")


def report_calls(args, median: dict[str, float]) -> None:
    base = median["registry"]
    print(f"(c) `counter` on {REF}: median of {args.rounds} rounds of {args.calls} calls")
    labels = {"registry": "registry (in process)", "loop": "serve loop (in process, JSON)",
              "serve-rr": "serve subprocess, lock step", "serve-pipe": "serve subprocess, pipelined",
              "ordered-rr": "serve --ordered, lock step"}
    for name, label in labels.items():
        print(f"    {label:<31} {rate(args.calls, median[name])}  {median[name] / base:.2f}x the registry's time")


if __name__ == "__main__":
    main()
