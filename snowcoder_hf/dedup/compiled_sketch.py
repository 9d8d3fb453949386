"""One compiled loop from a text's characters to its one-permutation MinHash signature (numba).

It computes exactly what `token_hashing.token_hashes` -> `MinHasher._shingle_hashes` ->
`OnePermutationSketch.signature` compute with whole-array numpy operations, but in one pass with no
temporary arrays per step: the per-document numpy calls, not the arithmetic, were most of the signature
time. `available()` says whether numba is installed; without it `MinHasher` keeps the numpy path, and the
tests check that both give the same signature bit for bit.
"""

from __future__ import annotations

import numpy as np

from snowcoder_hf.dedup.token_hashing import code_points

try:  # numba is optional: the numpy path computes the same signatures, slower
    import numba
except ImportError:  # pragma: no cover - exercised where numba is not installed
    numba = None

_U64 = np.uint64


def available() -> bool:
    return numba is not None


def _sketch(codes, mask, n_grams, mult, add, probes, p_token, roll, out_raw):
    """Bin minima of the text's shingle hashes into `out_raw` (2^64-1 where a bin got nothing).

    Returns the number of shingles (0: no code token). Constants are uint64 so that numba keeps every
    product in wrapping 64-bit integer arithmetic.
    """
    num_bins = out_raw.shape[0]
    for b in range(num_bins):
        out_raw[b] = _U64(0xFFFFFFFFFFFFFFFF)
    n = codes.shape[0]
    tokens = np.empty(n // 2 + 1, dtype=np.uint64)
    count = 0
    h = _U64(0)
    power = _U64(1)
    inside = False
    for i in range(n):
        if mask[i]:
            if not inside:
                h = _U64(0)
                power = _U64(1)
                inside = True
            h += _U64(codes[i]) * power
            power *= p_token
        elif inside:
            tokens[count] = _mix_token(h)
            count += 1
            inside = False
    if inside:
        tokens[count] = _mix_token(h)
        count += 1
    if count == 0:
        return 0
    width = n_grams if count >= n_grams else count
    shingles = count - width + 1
    k_bins = _U64(num_bins)
    for start in range(shingles):
        rolled = tokens[start]
        for k in range(1, width):
            rolled = rolled * roll + tokens[start + k]
        rolled = _mix_shingle(rolled) & _U64(0xFFFFFFFF)
        value = _mix_shingle(rolled * mult + add)
        b = ((value >> _U64(32)) * k_bins) >> _U64(32)
        if value < out_raw[b]:
            out_raw[b] = value
    return shingles


def _mix_token(value):
    value ^= value >> _U64(30)
    value *= _U64(0xBF58476D1CE4E5B9)
    value ^= value >> _U64(27)
    value *= _U64(0x94D049BB133111EB)
    return value ^ (value >> _U64(31))


def _mix_shingle(value):
    value ^= value >> _U64(31)
    value *= _U64(0xBF58476D1CE4E5B9)
    value ^= value >> _U64(29)
    value *= _U64(0x94D049BB133111EB)
    return value ^ (value >> _U64(32))


def _densify(raw, probes, out):
    """Fill empty bins from the seeded probe sequence (circular fallback), then fold to uint32 into `out`.

    Returns False when every bin is empty (no shingle)."""
    num_bins = raw.shape[0]
    empty = _U64(0xFFFFFFFFFFFFFFFF)
    nonempty = 0
    for b in range(num_bins):
        if raw[b] != empty:
            nonempty += 1
    if nonempty == 0:
        return False
    for b in range(num_bins):
        value = raw[b]
        if value == empty:
            source = -1
            for j in range(probes.shape[1]):
                if raw[probes[b, j]] != empty:
                    source = probes[b, j]
                    break
            if source < 0:
                for step in range(1, num_bins):
                    if raw[(b + step) % num_bins] != empty:
                        source = (b + step) % num_bins
                        break
            value = raw[source]
        out[b] = np.uint32((value >> _U64(32)) ^ (value & _U64(0xFFFFFFFF)))
    return True


if numba is not None:
    _mix_token = numba.njit(cache=True, nogil=True, inline="always")(_mix_token)
    _mix_shingle = numba.njit(cache=True, nogil=True, inline="always")(_mix_shingle)
    _sketch = numba.njit(cache=True, nogil=True)(_sketch)
    _densify = numba.njit(cache=True, nogil=True)(_densify)


class CompiledSketcher:
    """Signatures of texts for one `OnePermutationSketch` and n-gram size, in one compiled pass."""

    def __init__(self, sketch, n_grams: int, p_token: int, roll: int):
        if numba is None:
            raise ImportError("the compiled sketch needs numba: pip install numba")
        self.n_grams = n_grams
        self.mult, self.add = _U64(sketch.mult), _U64(sketch.add)
        self.probes = np.ascontiguousarray(sketch.probes, dtype=np.int64)
        self.p_token, self.roll = _U64(p_token), _U64(roll)
        self._raw = np.empty(sketch.num_bins, dtype=np.uint64)
        self.num_bins = sketch.num_bins

    def raw(self, text: str, out: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """(bin minima before densification, number of shingles) of `text`; mergeable by elementwise min."""
        out = self._raw if out is None else out
        if text.isascii():
            codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
            mask = _ASCII_WORD[codes]
        else:
            codes, mask = code_points(text)
        shingles = _sketch(codes, mask, self.n_grams, self.mult, self.add, self.probes, self.p_token, self.roll, out)
        return out, shingles

    def densify(self, raw: np.ndarray, out: np.ndarray | None = None) -> np.ndarray | None:
        """The uint32 signature of bin minima `raw`, or None when no bin got a shingle."""
        out = np.empty(self.num_bins, dtype=np.uint32) if out is None else out
        return out if _densify(raw, self.probes, out) else None

    def signature(self, text: str, out: np.ndarray | None = None) -> np.ndarray | None:
        raw, shingles = self.raw(text)
        if shingles == 0:
            return None
        return self.densify(raw, out)


_ASCII_WORD = np.zeros(256, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _ASCII_WORD[ord(_c)] = True
