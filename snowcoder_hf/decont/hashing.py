"""Vectorized n-gram hashing over token ids: one numpy pass per n-gram position instead of a Python loop
per n-gram, which is what makes the filter faster than hashing joined n-gram strings."""

from __future__ import annotations

import numpy as np

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def token_codes(vocab_size: int) -> np.ndarray:
    """A well-mixed 64-bit code per token id (splitmix64); id 0 (out of vocabulary) gets code 0."""
    x = np.arange(vocab_size, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    x[0] = 0
    return x


_BACK_CODES = token_codes(4096)[1:] ^ np.uint64(0xD6E8FEB86659FD93)  # mixed apart from token codes


def ids_of(tokens: list[str], vocab: dict[str, int]) -> np.ndarray:
    """Token ids under `vocab`; tokens outside it get 0, and no n-gram containing one can match."""
    get = vocab.get
    return np.fromiter((get(t, 0) for t in tokens), dtype=np.int64, count=len(tokens))


def window_hashes(
    ids: np.ndarray, codes: np.ndarray, n: int, back: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Hash of every `n`-token window and whether it is free of out-of-vocabulary tokens.

    With `back` (>= 0 on placeholders: distance to the same name's previous occurrence), a placeholder
    hashes as "first seen in this window" or as "the name seen `back` tokens earlier in this window"."""
    m = len(ids) - n + 1
    if m <= 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=bool)
    c = codes[ids]
    oov = np.concatenate(([0], np.cumsum(ids == 0)))
    if back is None:
        return _prefix_hashes(c, n), (oov[n:] - oov[:m]) == 0
    if len(back) != len(ids):
        raise ValueError(f"`back` must have one entry per id, got {len(back)} for {len(ids)}.")
    # A placeholder hashes as "new in this window" unless its name occurred `back` tokens earlier, inside it.
    base = np.where(back >= 0, _BACK_CODES[0], c)
    reference = _BACK_CODES[np.clip(back, 0, n)]
    distance = np.where(back > 0, back, n + 1)
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(n):
            segment = np.where(distance[i : i + m] <= i, reference[i : i + m], base[i : i + m])
            h *= _MULTIPLIER
            h += segment
    return h, (oov[n:] - oov[:m]) == 0


_INVERSE = np.uint64(pow(int(_MULTIPLIER), -1, 1 << 64))
_powers_cache: list[np.ndarray] = [np.ones(1, np.uint64), np.ones(1, np.uint64)]


def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """`P**t` and `P**-t` (mod 2**64) for t < length, grown on demand."""
    if len(_powers_cache[0]) < length:
        size = max(length, 2 * len(_powers_cache[0]))
        with np.errstate(over="ignore"):
            forward = np.cumprod(np.concatenate(([np.uint64(1)], np.full(size - 1, _MULTIPLIER))), dtype=np.uint64)
            inverse = np.cumprod(np.concatenate(([np.uint64(1)], np.full(size - 1, _INVERSE))), dtype=np.uint64)
        _powers_cache[:] = [forward, inverse]
    return _powers_cache[0], _powers_cache[1]


def _prefix_hashes(c: np.ndarray, n: int) -> np.ndarray:
    """The same values as Horner's `h = h * P + c` over each window, from one prefix sum: window j is
    `P**(j + n - 1) * (G[j + n] - G[j])` with `G` the prefix sums of `c[t] * P**-t` (P is odd, so invertible)."""
    m = len(c) - n + 1
    forward, inverse = _powers(len(c) + n)
    with np.errstate(over="ignore"):
        g = np.concatenate(([np.uint64(0)], np.cumsum(c * inverse[: len(c)], dtype=np.uint64)))
        return (g[n:] - g[:m]) * forward[n - 1 : n - 1 + m]


def covered_length(starts: list[int] | np.ndarray, n: int) -> int:
    """How many token positions the windows `[s, s + n)` cover together."""
    if len(starts) == 0:
        return 0
    s = np.sort(np.asarray(starts))
    gaps = np.minimum(np.diff(s), n)
    return int(gaps.sum() + n)


def densest_coverage(starts: np.ndarray, n: int, window: int) -> int:
    """The most document tokens the windows `[s, s + n)` cover inside any `window` consecutive tokens: a
    copied source is one dense block, while n-grams it merely shares with ordinary code are scattered."""
    if len(starts) == 0:
        return 0
    s = np.sort(np.asarray(starts))
    # union length of starts i..j = sum of min(gap, n) over consecutive pairs in i..j, plus n
    gains = np.concatenate(([0], np.cumsum(np.minimum(np.diff(s), n))))
    last = np.searchsorted(s, s + max(window - n, 0), side="right") - 1
    return int((gains[last] - gains[np.arange(len(s))]).max() + n)


def merged_intervals(starts: list[int] | np.ndarray, n: int) -> list[tuple[int, int]]:
    """The windows `[s, s + n)` merged into disjoint token intervals."""
    intervals: list[tuple[int, int]] = []
    for s in np.sort(np.asarray(starts)).tolist():
        if intervals and s <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], s + n))
        else:
            intervals.append((s, s + n))
    return intervals


def span_hashes(c: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Horner hashes (as `window_hashes` without back-references) of `c[s : s + L]` for every start `s` and
    length `L`, shape `(len(starts), len(lengths))`; a span running past the end gets 0."""
    if not len(starts) or not len(lengths):
        return np.zeros((len(starts), len(lengths)), dtype=np.uint64)
    forward, inverse = _powers(len(c) + 1)
    with np.errstate(over="ignore"):
        g = np.concatenate(([np.uint64(0)], np.cumsum(c * inverse[: len(c)], dtype=np.uint64)))
        ends = starts[:, None] + lengths[None, :]
        inside = ends <= len(c)
        ends = np.where(inside, ends, starts[:, None])
        out = (g[ends] - g[starts][:, None]) * forward[np.maximum(ends - 1, 0)]
    out[~inside] = 0
    return out
