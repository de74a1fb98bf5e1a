"""`yoi plugin build`: WAT templates built and checked, bad input refused with exit 2, failed
builds with exit 1 and the old artifact untouched; the Python build's bounds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib

import pytest
import wasmtime

from engine.artifact.placeholder import placeholder_kind
from engine.authoring.build import BuildError
from engine.authoring.python_build import BUILD_WORLD, build_world_text
from engine.authoring.python_build import run_bounded as _run_bounded
from engine.authoring.new import create
from engine.authoring.templates import TEMPLATES, enablement
from engine.errors import ErrorKind
from engine.walk import MAX_FOLDER_DEPTH
from example_workspace import yoi


@pytest.mark.parametrize("name", ["wat-instance", "wat-tool"])
def test_wat_templates_build_and_check_active(name, tmp_path):
    folder = tmp_path / name
    create(name, str(folder))
    result = yoi("plugin", "build", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    artifact = (folder / "plugin.component.wasm").read_bytes()
    assert artifact == bytes(wasmtime.wat2wasm((folder / "src/plugin.component.wat").read_text()))
    assert (report["command"], report["language"], report["artifact"]) == ("build", "wat", "plugin.component.wasm")
    assert report["size_bytes"] == len(artifact) and report["build_ms"] >= 0
    assert report["check"]["status"] == "active" and report["check"]["diagnostics"] == []
    strict = yoi("plugin", "check", str(folder), "--fail-on", "warn")  # a fresh template warns about nothing
    assert strict.returncode == 0, strict.stdout + strict.stderr


def test_built_wat_instance_is_active_under_a_granting_enablement(tmp_path):
    folder = tmp_path / "w"
    create("wat-instance", str(folder), "acme.granted")
    human = yoi("plugin", "build", str(folder))
    assert human.returncode == 0
    assert human.stdout.startswith(f"plugin build: {folder} [built] language=wat builder=wasmtime.wat2wasm\n")
    assert "artifact: plugin.component.wasm size=" in human.stdout and "[active]" in human.stdout
    digest = json.loads(yoi("plugin", "check", str(folder), "--json").stdout)["package"]["digest"]
    grants = tmp_path / "config.toml"
    grants.write_text(enablement(TEMPLATES["wat-instance"], tomllib.loads((folder / "plugin.toml").read_text()), digest))
    checked = yoi("plugin", "check", str(folder), "--grants", str(grants), "--json")
    assert checked.returncode == 0 and json.loads(checked.stdout)["status"] == "active"
    assert json.loads(checked.stdout)["plan"] is not None


def failure(*args: str, code: int = 2) -> str:
    result = yoi("plugin", "build", *args)
    assert result.returncode == code and result.stdout == "", result
    assert "Traceback" not in result.stderr and len(result.stderr) < 1400
    return result.stderr


def test_bad_input_is_refused_with_exit_2(tmp_path):
    assert "is not a plugin folder" in failure(str(tmp_path / "missing"))
    assert "plugin.toml could not be read" in failure(str(tmp_path))
    folder = tmp_path / "w"
    create("wat-tool", str(folder))
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert "is not a plugin folder" in failure(str(link))

    (folder / "src/app.py").write_text("")
    assert "exactly one source" in failure(str(folder)) and "found both" in failure(str(folder))
    (folder / "src/app.py").unlink()
    (folder / "src/plugin.component.wat").unlink()
    assert "found neither" in failure(str(folder))

    manifest = (folder / "plugin.toml").read_text()
    (folder / "plugin.toml").write_text(manifest.replace("schema_version = 1", "schema_version = 9"))
    assert "plugin.toml is invalid: plugin schema/API version is unsupported" in failure(str(folder))
    (folder / "plugin.toml").write_text(manifest.split("[runtime]")[0].replace('surfaces = ["tool"]', "surfaces = []"))
    assert "declares no runtime artifact" in failure(str(folder))


def test_a_fifo_manifest_does_not_hang_the_build(tmp_path):
    os.mkfifo(tmp_path / "plugin.toml")
    assert "plugin.toml could not be read: not a regular file" in failure(str(tmp_path))


def test_artifact_path_that_is_a_symlink_or_folder_is_not_written_through(tmp_path):
    folder = tmp_path / "w"
    create("wat-tool", str(folder))
    outside = tmp_path / "outside.wasm"
    outside.write_bytes(b"precious")
    (folder / "plugin.component.wasm").unlink()
    (folder / "plugin.component.wasm").symlink_to(outside)
    assert "is not a regular file; refusing to replace it" in failure(str(folder))
    assert outside.read_bytes() == b"precious"
    (folder / "plugin.component.wasm").unlink()
    (folder / "plugin.component.wasm").mkdir()
    assert "refusing to replace it" in failure(str(folder))


def test_a_wat_error_fails_with_exit_1_and_keeps_the_placeholder(tmp_path):
    folder = tmp_path / "w"
    create("wat-instance", str(folder))
    (folder / "src/plugin.component.wat").write_text("(component (core module $m (func (export \"f\") i32.add)))")
    assert "does not validate" in failure(str(folder), code=1)
    (folder / "src/plugin.component.wat").write_text("(component (oops))")
    assert "does not assemble" in failure(str(folder), code=1)
    assert placeholder_kind((folder / "plugin.component.wasm").read_bytes()) == "instance-template"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "plugin.component.wasm", "plugin.toml", "src", "wit"]


def test_python_build_without_componentize_py_says_how_to_install_it(tmp_path):
    folder = tmp_path / "p"
    create("python-tool", str(folder))
    hide = "import sys; sys.modules['componentize_py'] = None; from engine.cli.main import main; main()"
    result = subprocess.run([sys.executable, "-c", hide, "plugin", "build", str(folder)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "needs componentize-py, which is not installed" in result.stderr
    from engine.install import pdk_hint

    assert pdk_hint() in result.stderr and " 'yoi-plugin-engine[pdk]'" not in result.stderr  # not on an index


def test_build_world_imports_only_the_requested_host_interfaces():
    plain = build_world_text("yoi:plugin/instance@1.0.0", set())
    assert f"world {BUILD_WORLD} {{" in plain and "import" not in plain
    for export in ("start", "handle-tool", "handle-ingress", "status", "stop"):
        assert f"  export %{export}: func(" in plain
    https = build_world_text("yoi:plugin/instance@1.0.0", {"https"})
    assert "  import yoi:host/https@1.0.0;" in https and "yoi:host/fs" not in https
    tool = build_world_text("yoi:plugin/tool@1.0.0", {"fs", "https"})
    assert "export %call: func(tool-name: string, input-json: string) -> string;" in tool
    assert tool.count("import") == 2


def test_builder_subprocess_is_time_bounded(tmp_path):
    with pytest.raises(BuildError) as stopped:
        _run_bounded([sys.executable, "-c", "import time; time.sleep(60)"], tmp_path, tmp_path / "log", timeout=1)
    assert stopped.value.error_kind is ErrorKind.FAILED and "did not finish within 1 s" in str(stopped.value)


@pytest.mark.slow
def test_a_failing_python_build_shows_a_bounded_tail_and_keeps_the_placeholder(tmp_path):
    folder = tmp_path / "p"
    create("python-tool", str(folder))
    (folder / "src/app.py").write_text("print('x' * 100000)\nsecret_token = 'abc'\ndef broken(:\n")
    message = failure(str(folder), code=1)
    assert "componentize-py failed" in message and "SyntaxError" in message
    assert placeholder_kind((folder / "plugin.component.wasm").read_bytes()) == "tool-template"
    assert not (folder / "src/__pycache__").exists()


def test_python_sources_that_are_not_regular_files_are_refused_before_building(tmp_path):
    folder = tmp_path / "p"
    create("python-tool", str(folder))
    os.mkfifo(folder / "src" / "pipe.py")
    assert "`pipe.py`, which is not a regular file or folder" in failure(str(folder))
    (folder / "src" / "pipe.py").unlink()
    (folder / "src" / "secrets.py").symlink_to(tmp_path / "elsewhere.py")
    assert "`secrets.py`, which is not a regular file" in failure(str(folder))
    (folder / "src" / "secrets.py").unlink()
    (folder / "wit" / "loop").symlink_to(folder / "wit")
    assert "wit/ holds `loop`" in failure(str(folder))
    assert placeholder_kind((folder / "plugin.component.wasm").read_bytes()) == "tool-template"


def test_deep_or_crowded_package_folders_are_bounded(tmp_path):
    folder = tmp_path / "w"
    create("wat-tool", str(folder))
    deep = folder / "docs"
    for index in range(MAX_FOLDER_DEPTH + 4):
        deep = deep / f"d{index}"
    deep.mkdir(parents=True)
    assert f"nested more than {MAX_FOLDER_DEPTH} folders deep" in failure(str(folder))
    shutil.rmtree(folder / "docs")
    crowd = folder / "crowd"
    crowd.mkdir()
    for index in range(4100):
        (crowd / f"f{index}").touch()
    assert "more than 4096 entries" in failure(str(folder))


def test_a_symlinked_src_is_refused_for_wat_as_for_python(tmp_path):
    """Issue 17 point 8: on main a WAT build read `src/` through a symlink from outside the package."""
    outside = tmp_path / "outside"
    for name in ("wat-tool", "python-tool"):
        folder = tmp_path / name
        create(name, str(folder))
        shutil.move(folder / "src", outside / name)
        (folder / "src").symlink_to(outside / name)
        assert "src/ is a symlink; refusing to build from outside the package" in failure(str(folder))
        assert placeholder_kind((folder / "plugin.component.wasm").read_bytes()) is not None


def test_a_wat_source_that_is_a_symlink_leaving_the_package_is_refused(tmp_path):
    folder = tmp_path / "w"
    create("wat-tool", str(folder))
    source = folder / "src" / "plugin.component.wat"
    shutil.move(source, tmp_path / "elsewhere.wat")
    source.symlink_to(tmp_path / "elsewhere.wat")
    assert "could not be read" in failure(str(folder))


@pytest.mark.parametrize("shape", ["files", "bytes"])
def test_the_python_staging_copy_is_bounded_by_the_package_limits(tmp_path, shape):
    """Issue 17 point 8: the staging copy is bounded in total (files and bytes), not just per file."""
    from engine.package.limits import DEFAULT_LIMITS

    folder = tmp_path / "p"
    create("python-tool", str(folder))
    extra = folder / "src" / "extra"
    extra.mkdir()
    if shape == "files":
        for index in range(DEFAULT_LIMITS.max_entries_per_package + 1):
            (extra / f"m{index}.py").write_text("x = 1\n")
        words = f"more than {DEFAULT_LIMITS.max_entries_per_package} files (the package bound)"
    else:
        for index in range(DEFAULT_LIMITS.max_expanded_size_bytes // (4 << 20) + 1):
            with open(extra / f"blob{index}.bin", "wb") as handle:
                handle.truncate(4 << 20)  # sparse: 4 MiB each, the per-file bound
        words = f"exceed {DEFAULT_LIMITS.max_expanded_size_bytes} bytes in all (the package bound)"
    assert words in failure(str(folder))
    assert placeholder_kind((folder / "plugin.component.wasm").read_bytes()) == "tool-template"
