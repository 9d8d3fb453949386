"""The fingerprint of a generation run: a hash of every setting that shapes what the model writes.

After Magicoder: the model and its revision, the prompt texts, the sampling parameters, the seed
selection and the planned requests themselves all go in. Equal fingerprints reuse finished work;
any change gives a new fingerprint and a new work folder, so runs never mix silently.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def fingerprint(settings: dict[str, Any], plan_digest: str) -> str:
    """16 hex characters of sha256 over the settings and the digest of the planned requests."""
    payload = canonical_json({"settings": settings, "plan": plan_digest})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def plan_digest(requests) -> str:
    """A digest of the planned requests (ids, prompts and sampling seeds), in order."""
    digest = hashlib.sha256()
    for doc in requests:
        digest.update(canonical_json([doc.id, doc.text, doc.metadata.get("sampling_seed")]).encode("utf-8"))
    return digest.hexdigest()


def sampling_seed(run_seed: int, request_id: str) -> int:
    """A distinct, reproducible per-request seed (TGI ignores `n`: k samples need k seeds)."""
    digest = hashlib.sha256(f"{run_seed}:{request_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
