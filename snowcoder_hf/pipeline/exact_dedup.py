"""Exact deduplication on normalized content, in three DataTrove stages that scale across tasks:

1. `ExactDedupSignature` (N tasks): a 64-bit hash of each document's `normalize_code` text, plus the
   keep-rule keys (licence, stars/forks, id), written per task.
2. `ExactDedupCluster` (1 task): groups equal hashes, keeps one member per group by the keep-rule.
3. `ExactDedupFilter` (the same N tasks over the same input): drops the others with reason
   `exact_duplicate`, recording `duplicate_of` (and `exact_group` on every group member).
"""

from __future__ import annotations

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from snowcoder_hf.dedup.content_hash import content_hash
from snowcoder_hf.pipeline.dedup_common import (
    DedupDecisionFilter,
    decide_groups,
    key_fields,
    read_keys,
    write_keys,
    write_removals,
)

HASHES_DIR = "hashes"


class ExactDedupSignature(PipelineStep):
    """Stage 1 of exact dedup: hash every document of this task and record its keep-rule keys.

    Documents pass through, so a writer placed after this step saves exactly what stage 3 must re-read."""

    type = "🫂 - DEDUP"
    name = "🟰 Exact dedup: hashes"
    _requires_dependencies = ["xxhash"]

    def __init__(self, output_folder: DataFolderLike):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        hashes, ids, permissive, popular = [], [], [], []
        for doc in data:
            with self.track_time():
                hashes.append(content_hash(doc.text))
                doc_id, perm, pop = key_fields(doc)
                ids.append(doc_id)
                permissive.append(perm)
                popular.append(pop)
            self.stat_update("documents")
            yield doc  # pass-through: a writer after this step saves the input the filter stage re-reads
        with self.output_folder.open(f"{HASHES_DIR}/{rank:05d}.npy", "wb") as f:
            np.save(f, np.asarray(hashes, dtype=np.uint64))
        write_keys(self.output_folder, rank, ids, permissive, popular)


class ExactDedupCluster(PipelineStep):
    """Stage 2 of exact dedup (one task): find groups of equal hashes and apply the keep-rule."""

    type = "🫂 - DEDUP"
    name = "🟰 Exact dedup: groups"

    def __init__(self, input_folder: DataFolderLike, output_folder: DataFolderLike | None = None):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.output_folder = get_datafolder(output_folder) if output_folder else self.input_folder

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"`tasks` of the exact dedup cluster stage must be 1, got {world_size}.")
        with self.track_time():
            keys = read_keys(self.input_folder)
            arrays, ranks = [], []
            for r in range(len(keys)):
                with self.input_folder.open(f"{HASHES_DIR}/{r:05d}.npy", "rb") as f:
                    arrays.append(np.load(f))
                ranks.append(np.full(len(arrays[-1]), r, dtype=np.int64))
            hashes = np.concatenate(arrays) if arrays else np.zeros(0, np.uint64)
            owner = np.concatenate(ranks) if ranks else np.zeros(0, np.int64)
            position = np.concatenate([np.arange(len(a)) for a in arrays]) if arrays else np.zeros(0, np.int64)
            order = np.argsort(hashes, kind="stable")
            sorted_hashes = hashes[order]
            starts = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]])
            sizes = np.diff(np.r_[starts, len(sorted_hashes)])
            groups = [
                [(int(owner[i]), int(position[i])) for i in order[start : start + size]]
                for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True)
            ]
            write_removals(self.output_folder, decide_groups(groups, keys))
        self.stat_update("documents", value=len(hashes))
        self.stat_update("duplicate_groups", value=len(groups))
        return
        yield


class ExactDedupFilter(DedupDecisionFilter):
    """Stage 3 of exact dedup: drop the non-kept members of each group (reason `exact_duplicate`)."""

    name = "🟰 Exact dedup: filter"
    reason = "exact_duplicate"
    cluster_key = "exact_group"
