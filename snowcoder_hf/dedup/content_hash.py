"""The exact-dedup content hash: xxh3-64 of a text's `normalize_code` form, with a compiled normalizer.

`normalize_code` (leading BOMs dropped, CRLF and CR to LF, trailing spaces and tabs cut, blank lines
collapsed, leading and trailing newlines stripped) is three regex passes and two replaces in Python, the
slowest step of a dedup read. `normalized_bytes` produces the same UTF-8 bytes in one compiled pass over
the encoded text: every character it touches is ASCII, and UTF-8 never puts an ASCII byte inside a
multi-byte character, so working on bytes is exact. Without numba, the regex path is used.
"""

from __future__ import annotations

import numpy as np

from snowcoder_hf.common.code_text import normalize_code

try:  # numba is optional: the regex path gives the same hash
    import numba
except ImportError:  # pragma: no cover - exercised where numba is not installed
    numba = None

_NEWLINE, _RETURN = 10, 13


def _normalize_loop(data, out):
    """Write the normalized form of UTF-8 `data` into `out` (as long as `data`); returns its length."""
    n = data.shape[0]
    i = 0
    while i + 2 < n and data[i] == 0xEF and data[i + 1] == 0xBB and data[i + 2] == 0xBF:
        i += 3  # lstrip("\ufeff")
    size = 0
    pending_start = -1  # a run of trailing-space candidates, written only if the line goes on
    while i < n:
        byte = data[i]
        if byte in (_RETURN, _NEWLINE):
            if byte == _RETURN and i + 1 < n and data[i + 1] == _NEWLINE:
                i += 1
            pending_start = -1  # spaces before a line end are trailing: dropped
            if size > 0 and out[size - 1] != _NEWLINE:  # no leading newline, no blank line
                out[size] = _NEWLINE
                size += 1
        elif byte == 32 or byte == 9 or byte == 12 or byte == 11:  # [ \t\f\v]
            if pending_start < 0:
                pending_start = i
        else:
            if pending_start >= 0:
                for j in range(pending_start, i):
                    out[size] = data[j]
                    size += 1
                pending_start = -1
            out[size] = byte
            size += 1
        i += 1
    if size > 0 and out[size - 1] == _NEWLINE:
        size -= 1  # strip("\n") at the end
    return size


if numba is not None:
    _normalize_loop = numba.njit(cache=True, nogil=True)(_normalize_loop)


def normalized_bytes(text: str) -> bytes:
    """`normalize_code(text).encode("utf-8", "surrogatepass")`, in one pass when numba is installed."""
    if numba is None:
        return normalize_code(text).encode("utf-8", "surrogatepass")
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    out = np.empty(len(data), dtype=np.uint8)
    return out[: _normalize_loop(data, out)].tobytes()


def content_hash(text: str) -> int:
    """xxh3 of the normalized text: line endings, trailing spaces, blank lines and a BOM do not count."""
    import xxhash

    if numba is None:
        return xxhash.xxh3_64_intdigest(normalize_code(text).encode("utf-8", "surrogatepass"))
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    out = np.empty(len(data), dtype=np.uint8)
    return xxhash.xxh3_64_intdigest(out[: _normalize_loop(data, out)])
