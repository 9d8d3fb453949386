"""Embed each text once, keep the chunk embeddings on disk, and train any number of heads from them.

One folder per encoder (and revision and chunk strategy). Each call that computes new embeddings adds
shards of `shard_size` texts, each written atomically, so a killed run keeps what it finished.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def encoder_key(encoder: str, revision: str | None, dtype: str = "float32") -> str:
    """What names a cache folder: the encoder, its revision and, below fp32, its precision (a bf16 embedding
    is not the fp32 one, so the two never share a folder; fp32 keeps the plain name)."""
    return f"{encoder}@{revision}" + ("" if dtype == "float32" else f"@{dtype}")


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    def __init__(self, folder: str | Path, encoder, encoder_key: str, strategy: str = "top_middle_bottom"):
        """`encoder` has `embed_documents(texts, strategy)` (a `ChunkEncoder`); `encoder_key` names the
        encoder and revision, so two encoders never share a folder."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{encoder_key}__{strategy}")
        self.folder = Path(folder) / safe
        self.folder.mkdir(parents=True, exist_ok=True)
        self.encoder, self.strategy = encoder, strategy
        self._memory: dict[str, np.ndarray] = {}
        for shard in sorted(self.folder.glob("shard-*.npz")):
            self._load(shard)

    def _load(self, shard: Path) -> None:
        with np.load(shard) as data:
            offsets = np.concatenate([[0], np.cumsum(data["counts"])])
            for i, key in enumerate(data["keys"]):
                self._memory[str(key)] = data["embeddings"][offsets[i] : offsets[i + 1]]

    def __len__(self) -> int:
        return len(self._memory)

    def embed(self, texts: Sequence[str], shard_size: int = 256, progress: bool = True) -> list[np.ndarray]:
        """Chunk embeddings `(n_chunks, dim)` of each text, computing only the ones not cached yet."""
        from tqdm import tqdm

        keys = [_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._memory))
        by_key = dict(zip(keys, texts, strict=True))
        for start in tqdm(range(0, len(missing), shard_size), desc="embedding", unit="shard", disable=not progress):
            batch = missing[start : start + shard_size]
            embeddings = self.encoder.embed_documents([by_key[k] for k in batch], self.strategy)
            dim = max((e.shape[1] for e in embeddings if e.size), default=0)
            stacked = np.concatenate([e.reshape(-1, dim) for e in embeddings]) if dim else np.zeros((0, 0), np.float32)
            index = len(list(self.folder.glob("shard-*.npz")))
            path = self.folder / f"shard-{index:06d}.npz"
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(batch), counts=np.array([len(e) for e in embeddings]), embeddings=stacked)
            os.replace(tmp, path)
            for key, emb in zip(batch, embeddings, strict=True):
                self._memory[key] = emb
        return [self._memory[k] for k in keys]
