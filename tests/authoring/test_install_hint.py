"""engine/install.py: the one place that knows how the engine was installed, so every install hint
(the missing-componentize-py error, `new`'s next steps) names a command that works here."""

from __future__ import annotations

import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from engine.install import Installation, current_installation, install_command, installation_from


def test_each_kind_of_installation_is_recognised(tmp_path):
    checkout = tmp_path / "check out"  # a space: the command must quote it
    checkout.mkdir()
    wheel = tmp_path / "yoi_plugin_engine-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK")
    url = checkout.as_uri()
    assert installation_from({"url": url, "dir_info": {"editable": True}}, True) == Installation("editable", str(checkout))
    assert installation_from({"url": url, "dir_info": {}}, True) == Installation("folder", str(checkout))
    assert installation_from({"url": wheel.as_uri(), "archive_info": {}}, True) == Installation("archive", str(wheel))
    assert installation_from(None, True) == Installation("index")
    # what can no longer be installed from: only the extra's own requirements can be named
    assert installation_from({"url": (tmp_path / "gone").as_uri(), "dir_info": {}}, True).kind == "unknown"
    assert installation_from({"url": "https://example.org/x.whl", "archive_info": {}}, True).kind == "unknown"
    assert installation_from({"url": url, "vcs_info": {"vcs": "git"}, "dir_info": {}}, True).kind == "unknown"
    assert installation_from({"url": 7}, True).kind == "unknown"


def test_commands_install_into_this_interpreter_and_quote_paths(tmp_path):
    python = shlex.quote(sys.executable)
    folder = str(tmp_path / "check out")
    assert install_command("pdk", Installation("editable", folder)) == f"{python} -m pip install -e '{folder}[pdk]'"
    assert install_command("pdk", Installation("folder", folder)) == f"{python} -m pip install '{folder}[pdk]'"
    assert install_command("pdk", Installation("index")) == f"{python} -m pip install 'yoi-plugin-engine[pdk]'"
    unknown = install_command("pdk", Installation("unknown"))
    assert unknown.startswith(f"{python} -m pip install ") and "componentize-py" in unknown
    assert shlex.split(unknown)[-1].startswith("componentize-py")  # one argument: the specifier is quoted


def test_this_test_environment_gets_a_command_for_the_checkout_it_runs_from():
    """The suite runs from a checkout (editable in development, a folder install in CI): the hint
    names that folder, whose pyproject.toml is this engine and has the `pdk` extra."""
    found = current_installation()
    assert found.kind in ("editable", "folder", "checkout"), found
    project = tomllib.loads((Path(found.location) / "pyproject.toml").read_text())
    assert project["project"]["name"] == "yoi-plugin-engine" and "pdk" in project["project"]["optional-dependencies"]
    # pip itself accepts the command's target as a requirement (parsed, nothing installed)
    target = shlex.split(install_command("pdk"))[-1]
    assert target == f"{found.location}[pdk]"
    check = subprocess.run(
        [sys.executable, "-c", "import sys; from pip._internal.req.constructors import install_req_from_line as f; "
         "r = f(sys.argv[1]); print(sorted(r.extras))", target], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and check.stdout.strip() == "['pdk']", check.stderr
