"""What the guides show is what the tool prints: each transcript below is read out of its guide,
its inputs written to a temp folder exactly as shown, the command run as a subprocess, and the
output compared with the guide's text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
YOI = Path(sys.executable).parent / "yoi"
BIN = [str(YOI)] if YOI.exists() else [sys.executable, "-m", "engine.cli.main"]


def _blocks(doc: str) -> list[str]:
    """The fenced code blocks of a guide, in order."""
    return re.findall(r"^```[a-z]*\n(.*?)^```$", (ROOT / "docs" / doc).read_text(encoding="utf-8"), re.M | re.S)


def _block_after(doc: str, marker: str, skip: int = 0) -> str:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    tail = text[text.index(marker):]
    return re.findall(r"^```[a-z]*\n(.*?)^```$", tail, re.M | re.S)[skip]


def _yoi(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([*BIN, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=300)


def test_host_startup_report_is_what_serve_prints(tmp_path):
    policy = tmp_path / "policy-retired"
    policy.mkdir()
    (policy / "org.rules").write_text(_block_after("host.md", "policy-retired/org.rules"))
    shown = _block_after("host.md", "policy-retired/org.rules", skip=1)
    result = _yoi("plugin", "serve", "--workspace", str(ROOT / "examples" / "workspace"), "--policy", str(policy),
                  cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "", result.stderr
    printed = result.stderr.replace(str(ROOT), "/srv/yoi")
    assert printed == shown


def test_rules_why_not_transcript_and_policy_case_run_as_shown(tmp_path):
    transcript = next(b for b in _blocks("rules.md") if b.startswith("$ cat rules/tools.rules"))
    steps = re.split(r"^\$ ", transcript, flags=re.M)[1:]
    (tmp_path / "rules").mkdir()
    for step in steps[:2]:  # `$ cat FILE` then the file's text
        command, _, body = step.partition("\n")
        (tmp_path / command.removeprefix("cat ")).write_text(body)
    command, _, expected = steps[2].partition("\n")
    words = re.findall(r"'[^']*'|\S+", command)
    result = _yoi(*(w.strip("'") for w in words[1:]), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, expected), result.stderr

    # the policy case: its org.rules is the Syntax section's deny rule
    syntax = _blocks("rules.md")[0]
    deny = syntax[syntax.index("deny tool_not_granted"):].split("\n\n")[0]
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "org.rules").write_text(re.sub(r"\s+#.*", "", deny) + "\n")
    (tmp_path / "cases" / "tools.test.toml").write_text(_block_after("rules.md", "A case file `cases/tools.test.toml`"))
    result = _yoi("policy", "test", "cases", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ("PASS cases/tools.test.toml::a namespace grant covers the fs_ tools only\n"
                             "1 passed, 0 failed\n")
