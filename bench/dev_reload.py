"""`yoi plugin dev`: how long a reload takes after a one-line change of a template's source.

Starts `yoi plugin dev` on a fresh template (empty compiled-artifact cache) as a real subprocess,
waits for the first load, then N times: changes one line of the source, waits for the reload and
makes a call that shows the change. For each reload it prints dev's own split (build; judge: the
folder read and judged by the rules; compile into the cache; start: the instance started from the
cache) and the wall time from the save to the answer of the
first call after it (which includes dev's polling, 0.3 s, and its wait for the folder to settle).

Run: python bench/dev_reload.py [--template wat-instance|python-instance] [--reloads N]
(python-instance needs the `pdk` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.authoring.new import create  # noqa: E402

# template -> (source file, the line to change, how to change it for reload i)
EDITS = {
    "wat-instance": ("src/plugin.component.wat", "(global.set $count (i32.add (global.get $count) (i32.const 1)))",
                     lambda line, i: line.replace("(i32.const 1)", f"(i32.const {i + 2})")),
    "python-instance": ("src/app.py", 'step = input.get("by", 1) if isinstance(input, dict) else 1',
                        lambda line, i: line.replace('"by", 1)', f'"by", {i + 2})')),
}
LOADED = re.compile(r"\[dev\] loaded \S+ \(build (?:(?P<build>[\d.]+) s|[^,]+), judge (?P<judge>[\d.]+) s, "
                    r"compile (?P<compile>[\d.]+) s, start (?P<start>[\d.]+) s\)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", choices=sorted(EDITS), default="wat-instance")
    parser.add_argument("--reloads", type=int, default=3)
    args = parser.parse_args(argv)
    source, line, edit = EDITS[args.template]
    with tempfile.TemporaryDirectory(prefix="yoi-bench-dev-") as tmp:
        folder = Path(tmp) / "pkg"
        create(args.template, str(folder), "bench.dev")
        tool = "bench_dev_count"
        env = {**os.environ, "YOI_CACHE": str(Path(tmp) / "cache")}
        process = subprocess.Popen([sys.executable, "-c", "from engine.cli.main import main; main()", "plugin", "dev",
                                    str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, cwd=ROOT)
        notes: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [notes.put(raw.decode()) for raw in process.stderr], daemon=True).start()

        def loaded() -> re.Match:
            while True:
                found = LOADED.search(notes.get(timeout=600))
                if found:
                    return found

        def call() -> str:
            request = {"id": 1, "op": "call", "plugin": "bench.dev", "tool": tool, "input": {}}
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            return json.loads(process.stdout.readline())["result"]["summary"]

        first = loaded()
        print(f"first load: build {first['build']} s, judge {first['judge']} s, compile {first['compile']} s, "
              f"start {first['start']} s")
        print(f"{'reload':<8} {'build s':>8} {'judge s':>8} {'compile s':>10} {'start s':>8} {'save to answer s':>17}"
              "  answer")
        path = folder / source
        text = path.read_text()
        assert text.count(line) == 1, f"the line to change is not in {source}"
        for index in range(args.reloads):
            path.write_text(text.replace(line, edit(line, index)))
            saved = time.perf_counter()
            found = loaded()
            answer = call()
            wall = time.perf_counter() - saved
            print(f"{index + 1:<8} {found['build'] or '-':>8} {found['judge']:>8} {found['compile']:>10} "
                  f"{found['start']:>8} {wall:>17.2f}  {answer}")
        process.stdin.close()
        process.wait(timeout=60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
