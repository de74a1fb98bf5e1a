"""Doc comments (`///` and `/** */`) attached to the item that follows them.

The grammar ignores comments; this module finds, for an item starting at an offset, the run of
comments written right before it (only whitespace and plain `//` comments in between) and
keeps the doc ones (comments are found while parsing, by engine/wit/comments.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence


def _doc_text(comment: str) -> str | None:
    if comment.startswith("///") and not comment.startswith("////"):
        return comment[3:].removeprefix(" ")
    if comment.startswith("/**") and not comment.startswith("/***") and comment != "/**/":
        lines = [line.strip().removeprefix("* ").removeprefix("*") for line in comment[3:-2].splitlines()]
        return "\n".join(line for line in lines).strip()
    return None


class DocIndex:
    """Comments of one file, for looking up the docs of items by start offset."""

    def __init__(self, source: str, comments: Sequence[tuple[int, int]]):
        self.source = source
        self.spans = [(start, end, source[start:end]) for start, end in comments]
        self.ends = [end for _, end, _ in self.spans]

    def _docs(self, offset: int) -> list[tuple[int, str]]:
        """(start, text) of the doc comments right before `offset`, last first."""
        i = bisect.bisect_right(self.ends, offset) - 1
        limit = offset
        found: list[tuple[int, str]] = []
        while i >= 0:
            start, end, text = self.spans[i]
            if self.source[end:limit].strip():
                break
            doc = _doc_text(text)
            if doc is not None:
                found.append((start, doc))
            limit = start
            i -= 1
        return found

    def docs_before(self, offset: int) -> str:
        return "\n".join(text for _, text in reversed(self._docs(offset)))

    def first_doc_before(self, offset: int) -> int | None:
        """Offset of the first doc comment of the item at `offset`, or None when it has none."""
        found = self._docs(offset)
        return found[-1][0] if found else None
