"""The runtime: runs only what plans approve (DESIGN decision 2, issue 9).

`import engine.runtime` does not import wasmtime; the engine is created when the first instance
starts. Imports here stay light so `yoi plugin list` is not slowed down.
"""

from engine.runtime.config import HostConfig
from engine.runtime.errors import RuntimeFault
from engine.runtime.registry import PluginInstanceRegistry
from engine.runtime.tools import ToolDescriptor

__all__ = ["HostConfig", "PluginInstanceRegistry", "RuntimeFault", "ToolDescriptor"]
