"""Dependency order (depth-first post-order) without recursion: WIT inputs may chain thousands
of interfaces, packages or types one after another, deeper than Python's stack allows."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any


def postorder(
    roots: Iterable[Hashable],
    successors: Callable[[Any], Iterable[Any]],
    on_cycle: Callable[[list, Any], None] | None = None,
    target: Callable[[Any], Hashable] = lambda edge: edge,
) -> list:
    """Every node reachable from `roots`, each after the nodes it leads to.

    `successors(node)` gives a node's edges and `target(edge)` the node an edge leads to (an edge
    may carry more, e.g. where it is written). An edge back into the current path calls
    `on_cycle(path, edge)` (path: from the root to the node the edge leaves) and is not followed.
    """
    order: list = []
    state: dict[Hashable, int] = {}  # 1: on the current path, 2: done
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        path = [root]
        stack = [iter(successors(root))]
        while stack:
            edge = next(stack[-1], None)
            if edge is None:
                node = path.pop()
                stack.pop()
                state[node] = 2
                order.append(node)
                continue
            node = target(edge)
            seen = state.get(node)
            if seen is None:
                state[node] = 1
                path.append(node)
                stack.append(iter(successors(node)))
            elif seen == 1 and on_cycle is not None:
                on_cycle(path, edge)
    return order
