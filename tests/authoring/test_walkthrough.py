"""docs/authoring.md's walk-through, pasted into a shell in an empty folder, runs as written (with
the `wat-instance` template, which needs nothing but the engine: the Python path is the same
commands, and tests/authoring/test_end_to_end.py runs it)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (ROOT / "docs" / "authoring.md").read_text()
    tail = text[text.index("## Walk-through"):]
    return re.search(r"^```sh\n(.*?)^```$", tail, re.M | re.S).group(1)


def test_the_walkthrough_runs_as_written(tmp_path, user_home):
    script = walkthrough()
    assert script.index("yoi plugin dev") < script.index("yoi plugin pack") < script.index("yoi plugin serve")
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "yoi").exists(), "the walk-through uses the installed `yoi` command"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script.replace("python-instance", "wat-instance")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    dev, call = answers[:4], answers[4]
    served = sorted(answers[5:], key=lambda a: a["id"])  # serve answers as each request completes
    assert [a["result"]["summary"] for a in dev[:2]] == ["counter is at 1", "counter is at 2"]
    assert all(a["dev"] is True and a["ok"] for a in dev) and dev[3]["result"]["lifecycle"] == "Started"
    assert call == {"summary": "counter is at 1", "content": '{"count":1}', "dev": True}
    assert "(build up to date," in done.stderr  # `call` found what `dev` built
    assert "plugin check: ws/.yoi/plugins/acme.counter.yoi-plugin [active]" in done.stdout
    assert [a["id"] for a in served] == [1, 2, 3] and all(a["ok"] and "dev" not in a for a in served)
    assert served[0]["result"]["summary"] == "counter is at 1"
    assert served[1]["result"]["services"][0]["state"] == "running"
