"""`python -m engine.cli.prepare ARTIFACT`: the background child of `yoi plugin build --prepare`.

It compiles ARTIFACT into the compiled-artifact cache (engine/dev/prepare.py) and exits 0
when the compiled code is there (already, or now), 1 when it could not be made, 2 for bad usage.
Nobody reads its output: it runs with no terminal, after the shell has returned.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.cli.exits import EXIT_OK, exit_code
from engine.errors import ErrorKind


def main(argv: list[str]) -> int:
    from engine.dev.prepare import prepare

    if len(argv) != 1:
        return exit_code(ErrorKind.USAGE)
    return EXIT_OK if prepare(Path(argv[0])) in ("cached", "compiled") else exit_code(ErrorKind.FAILED)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
