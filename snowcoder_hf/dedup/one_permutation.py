"""One-permutation MinHash with optimal densification (Li, Owen & Zhang 2012; Shrivastava 2017).

Instead of applying K hash functions to every shingle, one hash splits the shingles into K bins and each
bin keeps its minimum: O(shingles) work instead of O(shingles x K). A bin that received no shingle
borrows the value of the first non-empty bin in its own fixed, seeded probe sequence; because the
sequence is the same for every document, two documents still agree on a coordinate with probability
equal to their Jaccard similarity, so the signature plugs into LSH and the Jaccard estimate unchanged.
"""

from __future__ import annotations

import numpy as np

_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_PROBES = 48  # probe attempts per empty bin before the circular fallback (tiny documents only)
EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # a bin that received no shingle (as the compiled sketch marks it)


class OnePermutationSketch:
    """`num_bins` coordinates per set of 32-bit shingle hashes, for one seed."""

    def __init__(self, num_bins: int, seed: int):
        if num_bins < 2:
            raise ValueError(f"`num_bins` must be at least 2, got {num_bins}.")
        rng = np.random.default_rng((seed, 0x0FE))
        self.num_bins = num_bins
        self.mult = np.uint64(int(rng.integers(0, 2**63)) * 2 + 1)
        self.add = np.uint64(int(rng.integers(0, 2**63)))
        self.probes = rng.integers(0, num_bins, size=(num_bins, _PROBES))
        self._bins = np.arange(num_bins)

    def _hash(self, shingles: np.ndarray) -> np.ndarray:
        h = shingles * self.mult + self.add
        h ^= h >> np.uint64(31)
        h *= _MIX1
        h ^= h >> np.uint64(29)
        h *= _MIX2
        h ^= h >> np.uint64(32)
        return h

    def signature(self, shingles: np.ndarray) -> np.ndarray:
        """uint32 signature of a non-empty array of shingle hashes (repeats allowed)."""
        return self.densify(self.raw(shingles))

    def raw(self, shingles: np.ndarray) -> np.ndarray:
        """The bin minima before densification (uint64, `EMPTY` where a bin got nothing).

        Bin minima of a union of shingle sets are the element-wise minimum of the sets' bin minima, so
        raw rows merge exactly (a repository's sketch from its files'); densified signatures do not."""
        h = np.sort(self._hash(shingles))
        # bin = (high 32 bits * K) >> 32: monotone in h, so sorting h sorts by bin, then by h within a bin
        bins = (((h >> np.uint64(32)) * np.uint64(self.num_bins)) >> np.uint64(32)).astype(np.int64)
        first = np.searchsorted(bins, self._bins)
        filled = first < len(h)
        filled[filled] = bins[first[filled]] == self._bins[filled]
        values = np.full(self.num_bins, EMPTY, dtype=np.uint64)
        values[filled] = h[first[filled]]
        return values

    def densify(self, raw: np.ndarray) -> np.ndarray | None:
        """The uint32 signature of bin minima `raw`; None when every bin is empty."""
        filled = raw != EMPTY
        if not filled.any():
            return None
        values = raw.copy()
        if not filled.all():
            empty = np.flatnonzero(~filled)
            hits = filled[self.probes[empty]]
            found = hits.any(axis=1)
            source = self.probes[empty, hits.argmax(axis=1)]
            if not found.all():  # circular fallback: the next non-empty bin to the right
                nonempty = np.flatnonzero(filled)
                lost = empty[~found]
                source[~found] = nonempty[np.searchsorted(nonempty, lost) % len(nonempty)]
            values[empty] = values[source]
        return ((values >> np.uint64(32)) ^ (values & np.uint64(0xFFFFFFFF))).astype(np.uint32)
