"""Spread each task's documents over `num_shards` output files, so the next stage's tasks share every task's work.

A stage that writes `${rank}.jsonl.gz` hands its own imbalance to the next stage, whose readers deal whole files
out to tasks. Repo-level documents are built per repository, and one repository can be half of a corpus (the
Linux kernel's C in a Debian corpus): its task's file is then half of all tokens. `SpreadShardAssigner` sets
`metadata[key]` from a hash of the document id; a writer to `${rank}_${<key>}.jsonl.gz` then makes N x N files
that DataTrove deals out so that task `r` of N reads part `r` of every task's output.
"""

from __future__ import annotations

import hashlib

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep


class SpreadShardAssigner(PipelineStep):
    """Set `metadata[key]` to one of `num_shards` zero-padded shard names, by a hash of the document id."""

    name = "🔀 Spread shards"
    type = "🔢 - TOKENIZER"

    def __init__(self, num_shards: int, key: str = "part_shard"):
        super().__init__()
        if num_shards < 1:
            raise ValueError(f"`num_shards` must be at least 1, got {num_shards}.")
        if not key.isidentifier():
            raise ValueError(f"`key` must be an identifier (it names a writer's `${{key}}`), got {key!r}.")
        self.num_shards, self.key = num_shards, key

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            digest = hashlib.sha1(str(doc.id).encode("utf-8", "surrogatepass")).digest()
            doc.metadata[self.key] = f"{int.from_bytes(digest[:8], 'big') % self.num_shards:05d}"
            yield doc
