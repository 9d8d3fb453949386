"""A trained annotator: a frozen encoder reference, a linear head and how to chunk, in one folder.

    from snowcoder_hf.annotator.model import Annotator
    annotator = Annotator.load("path/to/annotator")          # or a Hub id pulled with `snowcoder hub pull`
    scores = annotator.score(["def f(x):\n    return x\n"])  # [DocumentScore(score=0.83, chunk_scores=[0.83])]

The folder holds `annotator.json` (encoder id and revision, variant, chunking, metrics), `head.json`
and `README.md` (the card). The encoder itself is not copied: it is loaded by id (and revision).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from snowcoder_hf.annotator.chunks import check_strategy, mean_score
from snowcoder_hf.annotator.head import LinearHead

CONFIG_FILE = "annotator.json"


@dataclass
class AnnotatorConfig:
    encoder: str
    encoder_revision: str | None = None
    variant: str = "hqins"
    chunks: str = "top_middle_bottom"
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class DocumentScore:
    score: float | None  # None: the document has no token to score (empty)
    chunk_scores: list[float]


class Annotator:
    """Encoder + head. The encoder loads on first use (`device`/`dtype` as in `ChunkEncoder`)."""

    def __init__(self, config: AnnotatorConfig, head: LinearHead, *, encoder=None, **encoder_kwargs):
        check_strategy(config.chunks)
        self.config, self.head = config, head
        self._encoder, self._encoder_kwargs = encoder, encoder_kwargs

    @classmethod
    def load(cls, path: str | Path, **encoder_kwargs) -> Annotator:
        """Load an annotator folder. `encoder_kwargs` go to `ChunkEncoder` (device, dtype, batch_tokens...)."""
        path = Path(path)
        config_path = path / CONFIG_FILE
        if not config_path.exists():
            raise FileNotFoundError(f"{config_path} is missing: `--annotator` must be a folder written by "
                                    "`snowcoder annotator train`.")  # fmt: skip
        config = AnnotatorConfig(**json.loads(config_path.read_text()))
        return cls(config, LinearHead.load(path), **encoder_kwargs)

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / CONFIG_FILE).write_text(json.dumps(asdict(self.config), indent=2, default=float))
        self.head.save(folder)
        return folder

    @property
    def encoder(self):
        if self._encoder is None:
            from snowcoder_hf.annotator.encoder import ChunkEncoder

            self._encoder = ChunkEncoder(self.config.encoder, revision=self.config.encoder_revision,
                                         **self._encoder_kwargs)  # fmt: skip
        return self._encoder

    def score_embeddings(self, per_document: Sequence[np.ndarray]) -> list[DocumentScore]:
        """Scores from chunk embeddings already computed (e.g. from the embedding cache)."""
        out = []
        for embeddings in per_document:
            chunk_scores = [float(s) for s in self.head(embeddings)] if len(embeddings) else []
            out.append(DocumentScore(mean_score(chunk_scores), chunk_scores))
        return out

    def score(self, texts: Sequence[str], chunks: str | None = None) -> list[DocumentScore]:
        """Score texts: the mean of the head's scores on the chunks `chunks` selects (default: the config's)."""
        strategy = check_strategy(chunks or self.config.chunks)
        return self.score_embeddings(self.encoder.embed_documents(texts, strategy))
