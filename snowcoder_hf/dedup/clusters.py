"""Which members of a near-duplicate cluster are removed, and which kept document each removed one names.

Connected components of verified LSH pairs chain dissimilar files through intermediates (A~B, B~C, A!~C):
removing every member but one would name as `duplicate_of` files that share well under half their
shingles. The rules, per cluster, members ordered by the keep-rule:

- `split` (the default): the first member is kept; every member whose full-signature estimate against it
  reaches the threshold is removed and names it; the rest form the next round, whose first member is kept
  too, until no member is left. A removed document always names a kept document it was verified against.
- `keep_far`: one kept document per cluster; its verified members are removed, all others are kept.
- `components`: every member but the first is removed (the classic rule, kept for the ablation).

`assign_duplicates` is one compiled loop when numba is installed, numpy rounds otherwise (the same answer).
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is optional: the numpy rounds give the same answer, slower on large clusters
    import numba
except ImportError:  # pragma: no cover - exercised where numba is not installed
    numba = None

CLUSTER_RULES = ("split", "keep_far", "components")
_RULE_CODES = {name: code for code, name in enumerate(CLUSTER_RULES)}


def matches_needed(threshold: float, num_perm: int) -> int:
    """Equal coordinates a pair needs for its estimate (matches / num_perm) to reach `threshold`."""
    return math.ceil(threshold * num_perm - 1e-9)


def _assign_loop(order, starts, signatures, need, rule, duplicate_of):
    """`duplicate_of[node]` for every node of every cluster `order[starts[c]:starts[c + 1]]` (-1: kept)."""
    width = signatures.shape[1]
    remaining = np.empty(order.shape[0], dtype=np.int64)
    for c in range(starts.shape[0] - 1):
        size = starts[c + 1] - starts[c]
        for i in range(size):
            remaining[i] = order[starts[c] + i]
        while size > 0:
            keeper = remaining[0]
            duplicate_of[keeper] = -1
            left = 0
            for i in range(1, size):
                node = remaining[i]
                if rule == 2:
                    duplicate_of[node] = keeper
                    continue
                equal = 0
                for k in range(width):
                    if signatures[node, k] == signatures[keeper, k]:
                        equal += 1
                if equal >= need:
                    duplicate_of[node] = keeper
                else:
                    remaining[left] = node
                    left += 1
            if rule == 1:  # keep_far: the members far from the one kept document stay
                for i in range(left):
                    duplicate_of[remaining[i]] = -1
                break
            size = left


if numba is not None:
    _assign_compiled = numba.njit(cache=True, nogil=True)(_assign_loop)
else:  # pragma: no cover
    _assign_compiled = None


def _assign_numpy(order, starts, signatures, need, rule, duplicate_of):
    for c in range(len(starts) - 1):
        remaining = order[starts[c] : starts[c + 1]]
        while len(remaining):
            keeper, rest = remaining[0], remaining[1:]
            duplicate_of[keeper] = -1
            if rule == 2:
                duplicate_of[rest] = keeper
                break
            close = (signatures[rest] == signatures[keeper]).sum(axis=1) >= need
            duplicate_of[rest[close]] = keeper
            remaining = rest[~close]
            if rule == 1:
                duplicate_of[remaining] = -1
                break


def assign_duplicates(
    labels: np.ndarray, keep_rank: np.ndarray, signatures: np.ndarray, threshold: float, rule: str = "split",
    compiled: bool = True,
) -> np.ndarray:  # fmt: skip
    """For nodes `0..n-1` with cluster `labels`, keep-rule rank `keep_rank` (smaller is kept first) and
    signature rows `signatures`, the node each one is a duplicate of (-1: kept)."""
    if rule not in _RULE_CODES:
        raise ValueError(f"`rule` must be one of {', '.join(CLUSTER_RULES)}, got {rule!r}.")
    n = len(labels)
    duplicate_of = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return duplicate_of
    order = np.lexsort((keep_rank, labels)).astype(np.int64)
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1], True]).astype(np.int64)
    signatures = np.ascontiguousarray(signatures)
    need = matches_needed(threshold, signatures.shape[1])
    run = _assign_compiled if compiled and _assign_compiled is not None else _assign_numpy
    run(order, starts, signatures, need, _RULE_CODES[rule], duplicate_of)
    return duplicate_of
