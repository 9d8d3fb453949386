"""Which copy of a duplicate group to keep: a permissive licence first, then the most stars or forks, then
a stable tie-break on the document id.

The rule is a sort key, so exact and near dedup share it and every task computes the same answer.
"""

from __future__ import annotations

from typing import Any

from snowcoder_hf.licensing import is_permissive  # SPDX-aware: `MIT OR GPL-3.0` is, `MIT AND GPL-3.0` is not

# Metadata keys that carry popularity, in The Stack (`max_stars_count`) and GitHub-export spellings.
POPULARITY_KEYS = ("stars", "max_stars_count", "stargazers_count", "forks", "max_forks_count", "forks_count")


def popularity(metadata: dict[str, Any]) -> int:
    """The largest stars/forks count found in `metadata`, 0 when none is present or parseable."""
    best = 0
    for key in POPULARITY_KEYS:
        value = metadata.get(key)
        try:
            best = max(best, int(value)) if value is not None else best
        except (TypeError, ValueError):
            continue  # a non-numeric count carries no popularity signal; the other keys still count
    return best


def keep_key(doc_id: str, metadata: dict[str, Any]) -> tuple[int, int, str]:
    """Sort key of a document in a duplicate group: the smallest key is the copy that is kept."""
    return (0 if is_permissive(metadata.get("license")) else 1, -popularity(metadata), doc_id)
