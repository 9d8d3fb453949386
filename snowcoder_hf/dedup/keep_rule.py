"""Which copy of a duplicate group to keep: a permissive licence first, then the most stars or forks, then
a stable tie-break on the document id.

The rule is a sort key, so exact and near dedup share it and every task computes the same answer.
"""

from __future__ import annotations

from typing import Any

# SPDX ids (lower case) and the spellings The Stack / starcoderdata use for permissive licences.
PERMISSIVE_LICENSES = frozenset(
    {
        "mit", "mit-0", "apache-2.0", "apache 2.0", "apache", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear",
        "0bsd", "bsd", "isc", "unlicense", "cc0-1.0", "cc0", "zlib", "psf-2.0", "python-2.0", "bsl-1.0",
        "artistic-2.0", "wtfpl", "x11", "upl-1.0", "ncsa", "postgresql", "ms-pl",
    }
)  # fmt: skip
# Metadata keys that carry popularity, in The Stack (`max_stars_count`) and GitHub-export spellings.
POPULARITY_KEYS = ("stars", "max_stars_count", "stargazers_count", "forks", "max_forks_count", "forks_count")


def is_permissive(license_value: Any) -> bool:
    """True when any licence in `license_value` (a string, `A OR B`, or a list) is permissive."""
    if license_value is None:
        return False
    if isinstance(license_value, str):
        parts = [p.strip() for p in license_value.replace(" OR ", ",").replace(" or ", ",").split(",")]
    else:
        parts = [str(p).strip() for p in license_value]
    return any(p.lower() in PERMISSIVE_LICENSES for p in parts if p)


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
