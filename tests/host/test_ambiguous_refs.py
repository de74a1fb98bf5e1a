"""Issue 17 point 8: a local id that names packages in two stores is ambiguous for `call` and
`ingress` as it is for `show`, even when only one of them is enabled (on main `call` picked the
enabled one silently)."""

from __future__ import annotations

import shutil

from example_workspace import enablement, write_config, yoi


def test_a_local_id_in_two_stores_is_ambiguous_everywhere(workspace, user_home):
    write_config(workspace, enablement("raw-echo"), enablement("instance-counter"))
    user_store = user_home / "yoi" / "plugins"  # user:example.raw-echo, not enabled
    user_store.mkdir(parents=True)
    shutil.copy(workspace / ".yoi" / "plugins" / "example.raw-echo.yoi-plugin", user_store)
    shown = yoi("plugin", "show", "example.raw-echo", "--workspace", str(workspace))
    assert shown.returncode == 2 and "is ambiguous; use a source-qualified ref" in shown.stderr
    called = yoi("plugin", "call", "example.raw-echo", "raw_echo", "--workspace", str(workspace), "-q")
    assert called.returncode == 1 and called.stdout == ""
    assert called.stderr.strip() == ("yoi plugin: not_found: plugin reference `example.raw-echo` is ambiguous; "
                                     "use a source-qualified ref")
    qualified = yoi("plugin", "call", "project:example.raw-echo", "raw_echo", "--workspace", str(workspace), "-q")
    assert qualified.returncode == 0, qualified.stderr
    unique = yoi("plugin", "ingress", "example.counter", "counter-events", "--workspace", str(workspace), "-q",
                 "--event", '{"kind": "tick", "source": "example", "payload": {}}')
    assert unique.returncode == 0, unique.stderr  # a local id in one store still works
