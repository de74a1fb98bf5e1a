"""Comments of a WIT file: `//` line comments and nestable `/* ... */` block comments.

A regular expression cannot match nested block comments, so this scanner finds every comment
and returns the text with block comments blanked out (same length, newlines kept, so every
line and column stays where it was) for the grammar to lex.
"""

from __future__ import annotations

import re

_OUTSIDE_RE = re.compile(r"//[^\n]*|/\*")  # outside comments: a line comment or a block opener
_INSIDE_RE = re.compile(r"/\*|\*/")  # inside a block comment only nesting counts


class UnterminatedComment(Exception):
    def __init__(self, offset: int):
        super().__init__("unterminated block comment")
        self.offset = offset


def scan(source: str) -> tuple[str, list[tuple[int, int]]]:
    """(source with block comments blanked, [(start, end) of every comment])."""
    spans: list[tuple[int, int]] = []
    pieces: list[str] = []
    done = 0  # source[:done] is already in pieces
    pos = 0
    while True:
        match = _OUTSIDE_RE.search(source, pos)
        if match is None:
            break
        if match.group(0) != "/*":
            spans.append((match.start(), match.end()))
            pos = match.end()
            continue
        start, depth, pos = match.start(), 1, match.end()
        while depth:
            inner = _INSIDE_RE.search(source, pos)
            if inner is None:
                raise UnterminatedComment(start)
            depth += 1 if inner.group(0) == "/*" else -1
            pos = inner.end()
        spans.append((start, pos))
        pieces.append(source[done:start])
        pieces.append(re.sub(r"[^\n]", " ", source[start:pos]))
        done = pos
    if not pieces:
        return source, spans
    pieces.append(source[done:])
    return "".join(pieces), spans
