"""yoi-plugin-engine: review, gate and run yoi WebAssembly plugin packages.

The pipeline runs one way: package/grants/wit/artifact -> graph -> datalog rules -> verdict (plans)
-> reports and runtime. Importing this package is cheap on purpose: nothing heavy (wasmtime, lark grammars)
loads until a command needs it.
"""

__version__ = "0.1.0"
