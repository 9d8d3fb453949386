"""The dedup stages on their own (`snowcoder dedup`) and as part of stage 1: exact, then near dedup.

Stage names and folders:
    exact_signatures  (N tasks)  input -> exact hashes + work/input/ (a copy the filter re-reads by rank)
    exact_clusters    (1 task)
    exact_filter      (N tasks)  -> near signatures + work/unique/
    near_buckets      (min(N, bands) tasks)
    near_clusters     (1 task)
    near_filter       (N tasks)  -> the caller's final steps (a writer)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from snowcoder_hf.stages.runner import Stage


def dedup_stages(
    source_steps: list,
    final_steps: list,
    work_dir: str | Path,
    output_dir: str | Path,
    tasks: int,
    threshold: float = 0.7,
    exact_only: bool = False,
    minhash_options: dict | None = None,
    removed_writer_factory: Callable | None = None,
) -> list[Stage]:
    """Stages that read with `source_steps`, deduplicate, and hand survivors to `final_steps`.

    `removed_writer_factory(block_name)` gives each filter its exclusion writer (None: dropped documents
    are counted but not kept).
    """
    from snowcoder_hf.dedup.minhash import CodeMinhashConfig
    from snowcoder_hf.pipeline.dedup_common import RankShardReader, rank_shard_writer
    from snowcoder_hf.pipeline.exact_dedup import ExactDedupCluster, ExactDedupFilter, ExactDedupSignature
    from snowcoder_hf.pipeline.near_dedup import (
        CodeMinhashBuckets,
        CodeMinhashCluster,
        CodeMinhashFilter,
        CodeMinhashSignature,
    )

    work = Path(work_dir)
    removed = removed_writer_factory or (lambda block: None)
    stages = [
        Stage(
            "exact_signatures",
            [*source_steps, ExactDedupSignature(str(work / "exact")), rank_shard_writer(str(work / "input"))],
            tasks,
        ),  # fmt: skip
        Stage("exact_clusters", [ExactDedupCluster(str(work / "exact"))], 1),
    ]
    exact_filter = ExactDedupFilter(str(work / "exact"), exclusion_writer=removed("exact_dedup"))
    if exact_only:
        stages.append(Stage("exact_filter", [RankShardReader(str(work / "input")), exact_filter, *final_steps], tasks))
        return stages
    config = CodeMinhashConfig(threshold=threshold, **(minhash_options or {}))
    stages += [
        Stage(
            "exact_filter",
            [
                RankShardReader(str(work / "input")),
                exact_filter,
                CodeMinhashSignature(str(work / "minhash"), config=config),
                rank_shard_writer(str(work / "unique")),
            ],
            tasks,
        ),  # fmt: skip
        Stage("near_buckets", [CodeMinhashBuckets(str(work / "minhash"), config=config)], min(tasks, config.bands)),
        Stage("near_clusters", [CodeMinhashCluster(str(work / "minhash"), config=config)], 1),
        Stage(
            "near_filter",
            [
                RankShardReader(str(work / "unique")),
                CodeMinhashFilter(str(work / "minhash"), exclusion_writer=removed("near_dedup")),
                *final_steps,
            ],
            tasks,
        ),  # fmt: skip
    ]
    return stages
