"""Hashes of a text's code tokens, computed with whole-array numpy operations instead of a regex and a
hash call per token.

A code token is a maximal run of word characters, exactly `code_text.code_tokens` (`\\w+`: letters and
digits of any script, and `_`). The text becomes an array of code points; a lookup table (ASCII) plus
`str.isalnum` on the few distinct non-ASCII characters marks the word characters; each run's hash is a
polynomial `sum(c_j * P^j) mod 2^64` read off one prefix sum and normalized with powers of `P^-1`
(P is odd, so it is invertible modulo 2^64); a splitmix64 finalizer then mixes it.
`reference_token_hash` is the same function on one token, for tests and for readers of this code.
"""

from __future__ import annotations

import numpy as np

_P = 0x100000001B3  # odd 64-bit multiplier (the FNV prime)
_P_INV = pow(_P, -1, 1 << 64)
_MASK64 = (1 << 64) - 1
_MIX1, _MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB

_ASCII_WORD = np.zeros(128, dtype=bool)
for _c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _ASCII_WORD[ord(_c)] = True


class _Powers:
    """P^j and P^-j modulo 2^64 for j < n, grown by doubling and shared by all calls in a process."""

    def __init__(self):
        self.forward = np.ones(1, dtype=np.uint64)
        self.inverse = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        size = len(self.forward)
        if n <= size:
            return
        new = max(n, 2 * size)
        self.forward = self._extend(self.forward, new, _P)
        self.inverse = self._extend(self.inverse, new, _P_INV)

    @staticmethod
    def _extend(powers: np.ndarray, new: int, base: int) -> np.ndarray:
        out = np.empty(new, dtype=np.uint64)
        out[: len(powers)] = powers
        filled = len(powers)
        while filled < new:  # doubling: out[filled + i] = out[i] * base^filled
            step = min(filled, new - filled)
            factor = np.uint64(pow(base, filled, 1 << 64))
            np.multiply(out[:step], factor, out=out[filled : filled + step])
            filled += step
        return out


_POWERS = _Powers()


def _mix(values: np.ndarray) -> np.ndarray:
    values ^= values >> np.uint64(30)
    values *= np.uint64(_MIX1)
    values ^= values >> np.uint64(27)
    values *= np.uint64(_MIX2)
    values ^= values >> np.uint64(31)
    return values


def code_points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(code points as uint64, word-character mask) of `text`."""
    if text.isascii():
        codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        return codes.astype(np.uint64), _ASCII_WORD[codes]
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mask = np.zeros(len(codes), dtype=bool)
    ascii_part = codes < 128
    mask[ascii_part] = _ASCII_WORD[codes[ascii_part]]
    others = np.unique(codes[~ascii_part])
    word = np.array([chr(c).isalnum() for c in others.tolist()], dtype=bool)
    if word.any():
        mask[~ascii_part] = np.isin(codes[~ascii_part], others[word])
    return codes.astype(np.uint64), mask


def token_hashes(text: str) -> np.ndarray:
    """One mixed 64-bit hash per code token of `text`, in order (empty when it has none)."""
    codes, mask = code_points(text)
    if not mask.any():
        return np.zeros(0, dtype=np.uint64)
    edges = np.diff(mask.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    _POWERS.ensure(len(codes) + 1)
    prefix = np.empty(len(codes) + 1, dtype=np.uint64)
    prefix[0] = 0
    np.cumsum(codes * _POWERS.forward[: len(codes)], dtype=np.uint64, out=prefix[1:])
    hashes = (prefix[ends] - prefix[starts]) * _POWERS.inverse[starts]
    return _mix(hashes)


def reference_token_hash(token: str) -> int:
    """`token_hashes` of a single token, in plain Python."""
    value = sum(ord(ch) * pow(_P, j, 1 << 64) for j, ch in enumerate(token)) & _MASK64
    value ^= value >> 30
    value = (value * _MIX1) & _MASK64
    value ^= value >> 27
    value = (value * _MIX2) & _MASK64
    return value ^ (value >> 31)
