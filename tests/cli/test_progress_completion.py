"""Progress bars and shell completion (issue 13 item 4).

A bar appears on stderr only when stderr is a terminal (a real pseudo-terminal here) and the
output is for a person; stdout is the same bytes either way. Completion runs click's real
completion protocol in a subprocess and lists the workspace's refs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.package.pack import pack_directory
from engine.cli.progress import MIN_ITEMS
from example_workspace import install_examples
from rule_cases import RAW_MANIFEST, write_package
from wasm_builders import core_module

ROOT = Path(__file__).resolve().parents[2]
YOI = [sys.executable, "-m", "engine.cli.main"]
COUNT = MIN_ITEMS + 2

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A workspace whose project store holds COUNT packed packages."""
    root = tmp_path_factory.mktemp("ws")
    store = root / ".yoi" / "plugins"
    store.mkdir(parents=True)
    wasm = {"tool.wasm": core_module()}
    for index in range(COUNT):
        manifest = RAW_MANIFEST.replace('id = "t.raw"', f'id = "pkg{index:02}"')
        folder = write_package(root / "src" / f"p{index}", manifest, wasm)
        pack_directory(folder, store / f"pkg{index:02}.yoi-plugin")
    install_examples(root)
    return root


def run(args: list[str], tty: bool, cwd: Path = ROOT) -> tuple[int, str, str]:
    """Run yoi with stderr on a pseudo-terminal (tty) or a pipe; (exit code, stdout, stderr)."""
    if not tty:
        done = subprocess.run([*YOI, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    master, slave = os.openpty()
    proc = subprocess.Popen([*YOI, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    return proc.wait(timeout=60), stdout, b"".join(chunks).decode(errors="replace")


def test_list_shows_a_bar_on_a_terminal_only(workspace):
    args = ["plugin", "list", "--workspace", str(workspace)]
    code, out_tty, err_tty = run(args, tty=True)
    assert code == 0, err_tty
    assert "reading plugin packages" in err_tty and "100%" in err_tty
    code, out_pipe, err_pipe = run(args, tty=False)
    assert code == 0 and err_pipe == ""
    assert out_tty == out_pipe and f"- project:pkg{COUNT - 1:02} [disabled]" in out_pipe
    code, out_json, err_json = run([*args, "--json"], tty=True)
    assert code == 0 and "reading plugin packages" not in err_json and "%" not in err_json
    assert out_json.startswith("{")


def test_wit_check_shows_a_bar_over_many_paths_on_a_terminal_only():
    args = ["wit", "check", *["wit"] * COUNT]
    code, out_tty, err_tty = run(args, tty=True)
    assert code == 0 and "checking WIT" in err_tty and "100%" in err_tty
    code, out_pipe, err_pipe = run(args, tty=False)
    assert code == 0 and err_pipe == "" and out_pipe == out_tty
    code, _, err_few = run(["wit", "check", "wit"], tty=True)
    assert code == 0 and "checking WIT" not in err_few
    code, _, err_json = run([*args, "--json"], tty=True)
    assert code == 0 and "checking WIT" not in err_json


def complete(words: str, cwd: Path) -> list[str]:
    env = {**os.environ, "_YOI_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    script = Path(sys.executable).parent / "yoi"  # click names the variable after the program
    if not script.exists():
        pytest.skip("the yoi console script is not installed beside this interpreter")
    done = subprocess.run([str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [line for line in done.stdout.splitlines() if line]  # no match: one empty line


def test_completion_lists_the_workspace_refs(workspace):
    items = complete("yoi plugin show ", workspace)
    assert f"plain,project:pkg{COUNT - 1:02}" in items and "plain,project:example.counter" in items
    assert "plain,pkg00" in items  # a unique local id is accepted by show too
    assert complete(f"yoi plugin explain --workspace {workspace} project:pkg1", ROOT) == [
        f"plain,project:pkg{i}" for i in range(10, COUNT)]
    assert complete("yoi plugin graph ./some/pa", workspace) == ["file,./some/pa"]
    assert complete("yoi plugin show zzz", workspace) == []


def test_completion_in_a_broken_workspace_prints_nothing(tmp_path):
    (tmp_path / ".yoi").mkdir()
    (tmp_path / ".yoi" / "config.toml").write_text("[[plugins.enabled]\nbroken")
    install_examples(tmp_path)
    items = complete("yoi plugin show project:example.c", tmp_path)
    assert items == ["plain,project:example.component-echo", "plain,project:example.counter"]
