"""Connected components of a pair graph too large to hold: streamed edges, sharded forests, a merge pass.

The cluster stage used to load every candidate pair at once. Here memory is one parent array over the
documents (8 bytes each; a disk-backed `np.memmap` when `parent_path` is given), plus one chunk of edges:

- `StreamingComponents.add(u, v)` unions a chunk of edges into the parent array (path halving, the smaller
  index becomes the root, so the label of a component is its smallest node, as in `connected_components`).
- `local_forest(u, v)` reduces one shard of edges (a band's pairs, or any split of them, on any machine) to
  a spanning forest: at most one edge per node it touches, however many pairs the shard held. The merge
  pass then streams the forests, not the pairs, into `StreamingComponents`.
- `components_of_files(files, n)` runs both over `.npy` pair files, memory-mapped chunk by chunk.

The loops are compiled with numba when it is installed; the numpy fallback gives the same labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - exercised where numba is not installed
    numba = None

CHUNK_EDGES = 4_000_000  # edges per streamed chunk: 64 MB of int64 pairs


def connected_components(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Component label (the smallest node index) of each of `n` nodes joined by edges `u[i]-v[i]`.

    Vectorized hook-and-compress: hook each edge's larger root under its smaller one, then jump
    pointers until every node points at its root; repeat until no edge joins two roots.
    """
    parent = np.arange(n, dtype=np.int64)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    for _ in range(64 * max(1, int(np.log2(max(n, 2))))):  # bounded: converges in O(log n) rounds
        pu, pv = parent[u], parent[v]
        differ = pu != pv
        if not differ.any():
            return parent
        lo, hi = np.minimum(pu[differ], pv[differ]), np.maximum(pu[differ], pv[differ])
        np.minimum.at(parent, hi, lo)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
        u, v = u[differ], v[differ]
    raise RuntimeError("connected components did not converge")  # an internal invariant, not user input


def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving
        x = parent[x]
    return x


def _union_loop(parent, u, v):
    for i in range(u.shape[0]):
        a = _find(parent, u[i])
        b = _find(parent, v[i])
        if a < b:
            parent[b] = a
        elif b < a:
            parent[a] = b


def _flatten_loop(parent):
    # every parent is smaller than its child (roots are the smallest index), so one forward pass suffices
    for i in range(parent.shape[0]):
        parent[i] = parent[parent[i]]


if numba is not None:
    _find = numba.njit(cache=True, nogil=True, inline="always")(_find)
    _union_loop = numba.njit(cache=True, nogil=True)(_union_loop)
    _flatten_loop = numba.njit(cache=True, nogil=True)(_flatten_loop)


def _union_numpy(parent: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """The same union with vectorized hook-and-compress on the roots the chunk touches."""
    pu, pv = _roots_numpy(parent, u), _roots_numpy(parent, v)
    roots, inverse = np.unique(np.concatenate([pu, pv]), return_inverse=True)
    labels = connected_components(inverse[: len(pu)], inverse[len(pu) :], len(roots))
    parent[roots] = roots[labels]


def _roots_numpy(parent: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    roots = parent[nodes]
    while True:
        up = parent[roots]
        if np.array_equal(up, roots):
            return roots
        roots = up


class StreamingComponents:
    """Union-find over nodes `0..n-1`, fed edge chunks; `labels()` gives each node its component's
    smallest node. With `parent_path`, the parent array lives in a file (disk-backed) instead of memory."""

    def __init__(self, n: int, parent_path: str | Path | None = None, compiled: bool = True):
        if n < 0:
            raise ValueError(f"`n` must be non-negative, got {n}.")
        if parent_path is None:
            self.parent = np.arange(n, dtype=np.int64)
        else:
            self.parent = np.lib.format.open_memmap(str(parent_path), mode="w+", dtype=np.int64, shape=(n,))
            for start in range(0, n, CHUNK_EDGES):
                self.parent[start : start + CHUNK_EDGES] = np.arange(start, min(n, start + CHUNK_EDGES))
        self.compiled = compiled and numba is not None
        self.edges = 0

    def add(self, u: np.ndarray, v: np.ndarray) -> None:
        u = np.ascontiguousarray(u, dtype=np.int64)
        v = np.ascontiguousarray(v, dtype=np.int64)
        if len(u) != len(v):
            raise ValueError(f"edge arrays differ in length: {len(u)} and {len(v)}.")
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= len(self.parent)):
            raise ValueError(f"an edge names a node outside 0..{len(self.parent) - 1}.")
        (_union_loop if self.compiled else _union_numpy)(self.parent, u, v)
        self.edges += len(u)

    def labels(self) -> np.ndarray:
        if self.compiled:
            _flatten_loop(self.parent)
        else:
            while True:
                jumped = self.parent[self.parent]
                if np.array_equal(jumped, self.parent):
                    break
                self.parent[:] = jumped
        return self.parent


def local_forest(u: np.ndarray, v: np.ndarray, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """A spanning forest of one shard's edges: `(node, root)` for every non-root node the shard touches.

    It has the same components as the shard, and at most as many edges as the shard has distinct nodes."""
    nodes, inverse = np.unique(np.concatenate([np.asarray(u, np.int64), np.asarray(v, np.int64)]),
                               return_inverse=True)  # fmt: skip
    local = StreamingComponents(len(nodes), compiled=compiled)
    local.add(inverse[: len(u)], inverse[len(u) :])
    labels = local.labels()
    moved = labels != np.arange(len(nodes))
    return nodes[moved], nodes[labels[moved]]


def iter_pair_chunks(path: str | Path, chunk: int = CHUNK_EDGES) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """The `(u, v)` columns of an `(edges, 2)` `.npy` pair file, memory-mapped, `chunk` edges at a time."""
    pairs = np.load(str(path), mmap_mode="r")
    for start in range(0, len(pairs), chunk):
        block = np.asarray(pairs[start : start + chunk], dtype=np.int64)
        yield block[:, 0], block[:, 1]


def components_of_files(pair_files: list[str | Path], n: int, sharded: bool = True,
                        parent_path: str | Path | None = None, compiled: bool = True) -> np.ndarray:  # fmt: skip
    """Component labels of `n` nodes from pair files. `sharded`: each file is first reduced to its forest
    (what a shard task would do on its own machine), then the forests are merged; otherwise the pairs
    stream straight into the union-find."""
    merged = StreamingComponents(n, parent_path=parent_path, compiled=compiled)
    for path in pair_files:
        if sharded:
            pairs = np.load(str(path), mmap_mode="r")
            merged.add(*local_forest(pairs[:, 0], pairs[:, 1], compiled=compiled))
        else:
            for u, v in iter_pair_chunks(path):
                merged.add(u, v)
    return merged.labels()
