"""Whatever a package holds, `check` produces a report: never an exception, never file content."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.package.archive import write_archive
from rule_cases import check_path
from rule_cases import INSTANCE_MANIFEST
from wasm_builders import INSTANCE_WORLD_EXPORTS, component

VALID = component(INSTANCE_WORLD_EXPORTS)
SECRET = "SECRET-CONTENT-7f3a"


def _mutate(text: str, data) -> str:
    lines = text.splitlines()
    for _ in range(data.draw(st.integers(0, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "garble", "secret"]))
        if action == "drop":
            lines.pop(index)
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "garble":
            lines[index] = data.draw(st.text(max_size=40))
        else:
            lines[index] = f'{lines[index]} # {SECRET}'
        if not lines:
            lines = [""]
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_package_content_yields_a_bounded_report(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("fuzz")
    manifest = _mutate(INSTANCE_MANIFEST, data)
    artifact = data.draw(st.sampled_from([VALID, VALID[:40], b"", b"\x00asm\x01\x00\x00\x00", SECRET.encode()]))
    files = {"plugin.toml": manifest.encode("utf-8", "surrogatepass"), "tool.wasm": artifact}
    as_archive = data.draw(st.booleans())
    if as_archive:
        path = root / "p.yoi-plugin"
        try:
            path.write_bytes(write_archive(files))
        except Exception:
            return  # the writer refuses some names; the reader is fuzzed on its own elsewhere
    else:
        path = root / "p"
        path.mkdir()
        for name, content in files.items():
            (path / name).write_bytes(content)
    report = check_path(path)
    assert report["status"] in {"active", "partial", "rejected", "disabled"}
    text = json.dumps(report)
    assert SECRET not in text
    for diagnostic in report["diagnostics"]:
        assert len(diagnostic["message"]) <= 241
