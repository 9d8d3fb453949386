"""A dependency order of a repository's files: every file after the files it imports, the rest in seeded
random order, cycles broken deterministically (DeepSeek-Coder's and Seed-Coder's repository-level layout)."""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence

from snowcoder_hf.repos.imports import FileLinks


def dependency_edges(links: Sequence[FileLinks]) -> list[set[int]]:
    """`deps[i]`: the files (by index) that file `i` imports. A name several files provide links to them all
    (`import pkg.*`), except a file's own names."""
    providers: dict[str, list[int]] = {}
    for index, link in enumerate(links):
        for name in link.provides:
            providers.setdefault(name, []).append(index)
    deps: list[set[int]] = [set() for _ in links]
    for index, link in enumerate(links):
        for name in link.requires:
            deps[index].update(p for p in providers.get(name, ()) if p != index)
        for specific, fallback in link.either:
            found = {p for name in specific for p in providers.get(name, ()) if p != index}
            deps[index].update(found or (p for p in providers.get(fallback, ()) if p != index))
    return deps


def dependency_order(deps: Sequence[set[int]], seed: str) -> list[int]:
    """A topological order of `deps` (dependencies first). Among files that are ready, the seeded random rank
    decides, so unrelated files come in random order; when only cycles remain, the lowest-ranked file of them
    goes next as if its unmet dependencies were met."""
    n = len(deps)
    rank = list(range(n))
    random.Random(seed).shuffle(rank)
    dependents: list[list[int]] = [[] for _ in range(n)]
    missing = [len(d) for d in deps]
    for index, dep in enumerate(deps):
        for d in dep:
            dependents[d].append(index)
    ready = [(rank[i], i) for i in range(n) if missing[i] == 0]
    heapq.heapify(ready)
    waiting = sorted((rank[i], i) for i in range(n) if missing[i] > 0)  # the cycle breaker's candidates
    next_waiting = 0
    placed = [False] * n
    order: list[int] = []
    while len(order) < n:
        if not ready:
            while placed[waiting[next_waiting][1]]:
                next_waiting += 1
            heapq.heappush(ready, waiting[next_waiting])
            next_waiting += 1
        _, current = heapq.heappop(ready)
        if placed[current]:
            continue
        placed[current] = True
        order.append(current)
        for dependent in dependents[current]:
            missing[dependent] -= 1
            if missing[dependent] == 0 and not placed[dependent]:
                heapq.heappush(ready, (rank[dependent], dependent))
    return order
