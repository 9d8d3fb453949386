"""The annotator as a DataTrove block: chunk-averaged quality scores, annotate-only or filtering."""

from __future__ import annotations

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from snowcoder_hf.annotator.chunks import check_strategy


class ChunkAveragedQualityFilter(BaseFilter):
    """Score each document with a quality head and keep those at or above `threshold`.

    The score of a document is the mean of the head's scores on its top, middle and bottom chunks
    (one chunk when the document fits the window; `chunks="first"|"all"` for ablations). Writes
    `quality_score` and `chunk_scores` to metadata; `threshold=None` only annotates. Drops with reason
    `low_quality`, and always drops a document with no token to score with reason `empty_text`.

    `annotator` is a folder written by `snowcoder annotator train`. Several tasks on one multi-GPU node
    each load their model on GPU `rank % device_count`; without a GPU the block runs on CPU.
    """

    name = "🧊 Chunk-averaged quality"
    _requires_dependencies = [("torch", "torch"), ("sentence_transformers", "sentence-transformers")]

    def __init__(
        self,
        annotator: str,
        threshold: float | None = None,
        chunks: str | None = None,
        batch_size: int = 64,
        device: str | None = None,
        dtype: str = "auto",
        batch_tokens: int | None = None,
        exclusion_writer: DiskWriter | None = None,
    ):
        super().__init__(batch_size=batch_size, exclusion_writer=exclusion_writer)
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be at least 1, got {batch_size}.")
        if chunks is not None:
            check_strategy(chunks)
        self.annotator_path, self.threshold, self.chunks = str(annotator), threshold, chunks
        self.device, self.dtype, self.batch_tokens = device, dtype, batch_tokens
        self._annotator = None  # loaded on first use, so the block pickles cheaply for Slurm/Ray workers
        self._rank = 0

    @property
    def annotator(self):
        if self._annotator is None:
            from snowcoder_hf.annotator.encoder import pick_device
            from snowcoder_hf.annotator.model import Annotator

            self._annotator = Annotator.load(self.annotator_path, device=pick_device(self.device, self._rank),
                                             dtype=self.dtype, batch_tokens=self.batch_tokens)  # fmt: skip
        return self._annotator

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        scores = self.annotator.score([doc.text for doc in batch], self.chunks)
        results: list[bool | tuple[bool, str]] = []
        for doc, scored in zip(batch, scores, strict=True):
            doc.metadata["quality_score"] = scored.score
            doc.metadata["chunk_scores"] = scored.chunk_scores
            self.stat_update("chunks", value=len(scored.chunk_scores))
            if scored.score is None:
                results.append((False, "empty_text"))
            elif self.threshold is not None and scored.score < self.threshold:
                results.append((False, "low_quality"))
            else:
                results.append(True)
        return results

    def run(self, data, rank: int = 0, world_size: int = 1):
        self._rank = rank
        yield from super().run(data, rank, world_size)
