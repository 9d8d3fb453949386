"""A repository's exact hash and MinHash sketch, built from its files' one at a time: no text is held.

- **Which repository.** `repository_of` reads `metadata.repo` (the readers' key), else `repo_name` or The
  Stack's `max_stars_repo_name`; a file with none is a repository of its own (`file:<id>`), so that files of
  unknown origin are never merged into one giant repository.
- **Exact.** Two repositories are exact copies when their files' normalized contents are the same multiset,
  paths aside (a renamed folder is the same code). `repo_content_hash` is xxh3 over the files' content
  hashes in sorted order: the hash of the files concatenated in a stable order, computed from 8 bytes per
  file instead of the text.
- **Near.** A repository's shingle set is the union of its files' (a shingle never spans two files). The
  minimum of a union is the minimum of the parts' minima, coordinate by coordinate, so `merge_raw` of the
  files' `MinHasher.raw` rows, then one `MinHasher.densify`, is bit-identical to sketching the union. For
  one-permutation hashing the merge must come before densification: a densified signature fills an empty
  bin with a neighbour's value, which another file's own minimum in that bin may undercut, so the minimum
  of densified signatures is not the union's signature (the tests show both).
"""

from __future__ import annotations

import numpy as np

REPO_KEYS = ("repo", "repo_name", "max_stars_repo_name")
EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # a coordinate no shingle reached (the sketches' own marker)


def repository_of(metadata: dict, doc_id: str) -> tuple[str, bool]:
    """(the repository a file belongs to, whether its metadata named one)."""
    for key in REPO_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value, True
    return f"file:{doc_id}", False


def empty_raw(width: int) -> np.ndarray:
    """The raw row of a repository with no shingle yet: the identity of `merge_raw`."""
    return np.full(width, EMPTY, dtype=np.uint64)


def merge_raw(into: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Merge one file's raw row into a repository's, in place: the raw row of the union of their shingles."""
    return np.minimum(into, raw, out=into)


def repo_content_hash(file_hashes: np.ndarray) -> int:
    """xxh3 of a repository's file content hashes in sorted order (order of the files does not count)."""
    import xxhash

    return xxhash.xxh3_64_intdigest(np.sort(np.asarray(file_hashes, dtype=np.uint64)).tobytes())
