"""MinHash signatures of code, vectorized with numpy: the math behind `near_dedup`.

- Tokens are BigCode's identifier-preserving code tokens (`snowcoder_hf.common.code_text`), hashed with
  whole-array operations (`token_hashing`), and the 5-gram shingle hashes are rolled from token hashes
  with a few more instead of hashing one joined string per shingle.
- The default scheme is one-permutation hashing with optimal densification (`one_permutation`): one
  hash and K bins, O(shingles) work. `scheme="permutations"` is the classic K hash functions, a
  multiply-shift family `h_i(x) = (a_i * x + b_i mod 2^64) >> 32` with odd `a_i`, all of them for all
  shingles in one broadcast, no modulo (the shift is monotone, so it is applied once, after the minimum).
- LSH bands and rows follow datasketch's `optimal_param` (equal false-positive/negative weights) at
  `lsh_threshold`; with verification that sits under the Jaccard threshold, so that pairs just above it
  are nearly always candidates, and the full 256-hash estimate then rejects the pairs below it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from snowcoder_hf.dedup import compiled_sketch
from snowcoder_hf.dedup.one_permutation import OnePermutationSketch
from snowcoder_hf.dedup.token_hashing import _P as TOKEN_MULTIPLIER
from snowcoder_hf.dedup.token_hashing import token_hashes as code_token_hashes

_ROLL = np.uint64(0x9E3779B97F4A7C15)  # odd: rolls token hashes into a shingle hash
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)  # splitmix64 finalizer
_CHUNK = 1024  # shingles per broadcast block: bounds memory at CHUNK * num_perm * 8 bytes


def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimizing the sum of false-positive and false-negative areas of the LSH S-curve."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"`threshold` must be in (0, 1), got {threshold}.")
    grid_lo, grid_hi = np.linspace(0.0, threshold, 200), np.linspace(threshold, 1.0, 200)
    best, best_error = (1, 1), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = np.trapezoid(1 - (1 - grid_lo**rows) ** bands, grid_lo)
            fn = np.trapezoid((1 - grid_hi**rows) ** bands, grid_hi)
            if fp + fn < best_error:
                best, best_error = (bands, rows), fp + fn
    return best


SCHEMES = ("one_permutation", "permutations")


@dataclass(frozen=True)
class CodeMinhashConfig:
    """n-gram size, permutations, Jaccard threshold; bands/rows default to `optimal_bands`."""

    n_grams: int = 5
    num_perm: int = 256
    threshold: float = 0.7
    bands: int | None = None
    rows: int | None = None
    seed: int = 1
    verify: bool = True  # drop LSH candidates whose full-signature Jaccard estimate is clearly under the threshold
    # How far under the threshold an estimate may fall and still count, in standard errors of the estimate
    # (sqrt(t(1-t)/num_perm)): pairs truly at the threshold are not lost to estimation noise.
    verify_slack: float = 1.5
    # Where the LSH S-curve sits. With verification it sits below the threshold (more candidates, cheap to
    # check), so that pairs just above the threshold are found nearly always; default threshold - 0.15.
    lsh_threshold: float | None = None
    # "one_permutation": one hash, K bins, optimal densification (O(shingles)); "permutations": K hash
    # functions on every shingle (O(shingles x K)), the classic scheme DataTrove and datasketch use.
    scheme: str = "one_permutation"
    # Which removals a cluster of verified pairs allows (`snowcoder_hf.dedup.clusters`): "split" (default)
    # removes a document only when its estimate against the kept document it names reaches the threshold,
    # splitting a chained cluster into several kept documents; "keep_far" keeps one document per cluster and
    # only its verified neighbours go; "components" removes every member but one (the classic rule).
    cluster_rule: str = "split"
    # numba's compiled one-pass signature when numba is installed (bit-identical to the numpy path).
    compiled: bool = True

    def __post_init__(self):
        if self.n_grams < 1:
            raise ValueError(f"`n_grams` must be at least 1, got {self.n_grams}.")
        if self.num_perm < 2:
            raise ValueError(f"`num_perm` must be at least 2, got {self.num_perm}.")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"`threshold` must be in (0, 1), got {self.threshold}.")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("`bands` and `rows` must be given together, or both left out.")
        if self.lsh_threshold is not None and not 0.0 < self.lsh_threshold <= self.threshold:
            raise ValueError(f"`lsh_threshold` must be in (0, threshold], got {self.lsh_threshold}.")
        if self.bands is None:
            bands, rows = optimal_bands(self.effective_lsh_threshold, self.num_perm)
            object.__setattr__(self, "bands", bands)
            object.__setattr__(self, "rows", rows)
        if self.scheme not in SCHEMES:
            raise ValueError(f"`scheme` must be one of {', '.join(SCHEMES)}, got {self.scheme!r}.")
        from snowcoder_hf.dedup.clusters import CLUSTER_RULES

        if self.cluster_rule not in CLUSTER_RULES:
            raise ValueError(f"`cluster_rule` must be one of {', '.join(CLUSTER_RULES)}, got {self.cluster_rule!r}.")
        if self.verify_slack < 0:
            raise ValueError(
                f"`verify_slack` must be a non-negative number of standard errors, got {self.verify_slack}."
            )
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"`bands` x `rows` must be at most `num_perm` ({self.num_perm}), got "
                             f"{self.bands} x {self.rows}.")  # fmt: skip

    @property
    def effective_lsh_threshold(self) -> float:
        if self.lsh_threshold is not None:
            return self.lsh_threshold
        return max(0.05, self.threshold - 0.15) if self.verify else self.threshold

    @property
    def verify_threshold(self) -> float:
        """The estimated Jaccard a candidate pair needs to be kept as a duplicate by verification."""
        stderr = (self.threshold * (1 - self.threshold) / self.num_perm) ** 0.5
        return self.threshold - self.verify_slack * stderr


class MinHasher:
    """Signatures (`num_perm` uint32) and band keys (`bands` uint64) of texts, for one config."""

    def __init__(self, config: CodeMinhashConfig):
        self.config = config
        rng = np.random.default_rng(config.seed)
        self.a = (rng.integers(0, 2**63, size=config.num_perm, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
        self.b = rng.integers(0, 2**63, size=config.num_perm, dtype=np.uint64)
        self.band_mult = (rng.integers(0, 2**63, size=(config.bands, config.rows), dtype=np.uint64) << np.uint64(1)) | np.uint64(1)  # fmt: skip
        self._buffer: np.ndarray | None = None
        self._sketch = (
            OnePermutationSketch(config.num_perm, config.seed) if config.scheme == "one_permutation" else None
        )
        self._compiled = None
        if self._sketch is not None and config.compiled and compiled_sketch.available():
            self._compiled = compiled_sketch.CompiledSketcher(
                self._sketch, config.n_grams, TOKEN_MULTIPLIER, int(_ROLL)
            )

    def shingles(self, text: str) -> np.ndarray:
        """Distinct 32-bit hashes of the text's code-token n-grams (a short text is one shingle)."""
        return np.unique(self._shingle_hashes(text))

    def _shingle_hashes(self, text: str) -> np.ndarray:
        """The n-gram hashes in text order, repeats included."""
        token_hashes = code_token_hashes(text)
        if not token_hashes.size:
            return np.zeros(0, dtype=np.uint64)
        n = min(self.config.n_grams, len(token_hashes))
        length = len(token_hashes) - n + 1
        rolled = token_hashes[:length].copy()
        for k in range(1, n):
            rolled *= _ROLL
            rolled += token_hashes[k : k + length]
        rolled ^= rolled >> np.uint64(31)
        rolled *= _MIX1
        rolled ^= rolled >> np.uint64(29)
        rolled *= _MIX2
        rolled ^= rolled >> np.uint64(32)
        return rolled & np.uint64(0xFFFFFFFF)

    def signature(self, text: str) -> np.ndarray | None:
        """The `num_perm` minimum hashes of the text, or None when it has no code token."""
        if self._compiled is not None:
            return self._compiled.signature(text)
        shingles = self._shingle_hashes(text)
        if shingles.size == 0:
            return None
        if self._sketch is not None:  # bin minima do not care about repeats: no dedup pass needed
            return self._sketch.signature(shingles)
        shingles = np.unique(shingles)
        if self._buffer is None:  # reused: allocating the block per document costs more than the arithmetic
            self._buffer = np.empty((_CHUNK, self.config.num_perm), dtype=np.uint64)
        minimum = np.full(self.config.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
        for start in range(0, shingles.size, _CHUNK):
            chunk = shingles[start : start + _CHUNK]
            block = self._buffer[: chunk.size]
            np.multiply(chunk[:, None], self.a[None, :], out=block)
            np.add(block, self.b[None, :], out=block)
            np.minimum(minimum, block.min(axis=0), out=minimum)
        return (minimum >> np.uint64(32)).astype(np.uint32)

    def raw(self, text: str) -> np.ndarray | None:
        """The text's per-coordinate minima before densification (a new uint64 row), or None when it has no
        code token. Rows merge across texts by element-wise minimum (the sketch of the union of their
        shingles); `densify` of a row is the `signature` of that union (`snowcoder_hf.dedup.repo_sketch`)."""
        if self._compiled is not None:
            raw, shingles = self._compiled.raw(text, np.empty(self.config.num_perm, dtype=np.uint64))
            return raw if shingles else None
        if self._sketch is not None:
            shingles = self._shingle_hashes(text)
            return self._sketch.raw(shingles) if shingles.size else None
        signature = self.signature(text)  # the classic scheme's signature is already a per-hash minimum
        return None if signature is None else signature.astype(np.uint64)

    def densify(self, raw: np.ndarray) -> np.ndarray | None:
        """The uint32 signature of a (merged) `raw` row; None when it holds no shingle."""
        if self._compiled is not None:
            return self._compiled.densify(np.ascontiguousarray(raw, dtype=np.uint64))
        if self._sketch is not None:
            return self._sketch.densify(np.asarray(raw, dtype=np.uint64))
        return None if (raw == np.iinfo(np.uint64).max).all() else raw.astype(np.uint32)

    def band_keys(self, signature: np.ndarray) -> np.ndarray:
        """One uint64 key per band: a random linear combination of the band's rows."""
        bands, rows = self.config.bands, self.config.rows
        values = signature[: bands * rows].reshape(bands, rows).astype(np.uint64)
        return (values * self.band_mult).sum(axis=1, dtype=np.uint64)

    def band_key_matrix(self, signatures: np.ndarray) -> np.ndarray:
        """`band_keys` of every row of a signature matrix at once: (documents, bands) uint64."""
        bands, rows = self.config.bands, self.config.rows
        keys = np.zeros((len(signatures), bands), dtype=np.uint64)
        for row in range(rows):  # one column at a time bounds the temporary to documents x bands
            keys += signatures[:, row : bands * rows : rows].astype(np.uint64) * self.band_mult[:, row]
        return keys


def estimated_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray:
    """Row-wise fraction of equal minimum hashes: the MinHash estimate of Jaccard similarity."""
    return (sig_a == sig_b).mean(axis=-1)
