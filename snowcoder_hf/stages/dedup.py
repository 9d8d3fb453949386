"""The dedup stages on their own (`snowcoder dedup`) and as part of stage 1: exact, then near dedup.

`layout="one_pass"` (a single machine): one read that hashes and signs, one cluster task, one filtering
read that writes kept and removed (`snowcoder_hf.pipeline.one_pass_dedup`):
    dedup_signatures  (N tasks)  input -> hashes + signatures (+ work/input/ unless `reread_steps`)
    dedup_clusters    (1 task)
    dedup_filter      (N tasks)  `reread_steps` (or work/input/) -> the caller's final steps (a writer)

`level="repo"` (whole repositories compared, `snowcoder_hf.pipeline.repo_dedup`), on any executor:
    repo_signatures   (N tasks)  input -> file hashes + merged repository sketches (+ work/input/)
    repo_clusters     (1 task)
    repo_filter       (N tasks)  -> the caller's final steps (a writer)

`layout="stages"` (clusters), stage names and folders:
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

LEVELS = ("file", "repo")  # what is compared: single files, or whole repositories (the ablation)


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
    layout: str = "stages",
    reread_steps: list | None = None,
    level: str = "file",
) -> list[Stage]:
    """Stages that read with `source_steps`, deduplicate, and hand survivors to `final_steps`.

    `removed_writer_factory(block_name)` gives each filter its exclusion writer (None: dropped documents
    are counted but not kept). With `layout="one_pass"`, `reread_steps` (the same reader again, without its
    exclusion writer) lets the filtering pass re-read the input instead of a copy written by the first pass.
    `level="repo"` compares whole repositories instead of files (always three stages, whatever `layout`).
    """
    if layout not in ("stages", "one_pass"):
        raise ValueError(f"`layout` must be 'stages' or 'one_pass', got {layout!r}.")
    if level not in LEVELS:
        raise ValueError(f"`level` must be one of {', '.join(LEVELS)}, got {level!r}.")
    if level == "repo":
        return _repo_stages(source_steps, final_steps, Path(work_dir), tasks, threshold, exact_only,
                            minhash_options, removed_writer_factory, reread_steps)  # fmt: skip
    if layout == "one_pass":
        return _one_pass_stages(source_steps, final_steps, Path(work_dir), tasks, threshold, exact_only,
                                minhash_options, removed_writer_factory, reread_steps)  # fmt: skip
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


def _one_pass_stages(source_steps, final_steps, work: Path, tasks, threshold, exact_only, minhash_options,
                     removed_writer_factory, reread_steps) -> list[Stage]:  # fmt: skip
    from snowcoder_hf.dedup.minhash import CodeMinhashConfig
    from snowcoder_hf.pipeline.dedup_common import RankShardReader, rank_shard_writer
    from snowcoder_hf.pipeline.one_pass_dedup import OnePassDedupCluster, OnePassDedupFilter, OnePassDedupSignature

    removed = removed_writer_factory or (lambda block: None)
    config = CodeMinhashConfig(threshold=threshold, **(minhash_options or {}))
    folder = str(work / "dedup")
    sign = [*source_steps, OnePassDedupSignature(folder, config=config, near=not exact_only)]
    if reread_steps is None:
        sign.append(rank_shard_writer(str(work / "input")))
    near_writer = None if exact_only else removed("near_dedup")
    return [
        Stage("dedup_signatures", sign, tasks),
        Stage("dedup_clusters", [OnePassDedupCluster(folder, config=config, near=not exact_only)], 1),
        Stage(
            "dedup_filter",
            [
                *(reread_steps or [RankShardReader(str(work / "input"))]),
                OnePassDedupFilter(folder, exact_writer=removed("exact_dedup"), near_writer=near_writer),
                *final_steps,
            ],
            tasks,
        ),  # fmt: skip
    ]


def _repo_stages(source_steps, final_steps, work: Path, tasks, threshold, exact_only, minhash_options,
                 removed_writer_factory, reread_steps) -> list[Stage]:  # fmt: skip
    from snowcoder_hf.dedup.minhash import CodeMinhashConfig
    from snowcoder_hf.pipeline.dedup_common import RankShardReader, rank_shard_writer
    from snowcoder_hf.pipeline.repo_dedup import RepoDedupCluster, RepoDedupFilter, RepoDedupSignature

    removed = removed_writer_factory or (lambda block: None)
    config = CodeMinhashConfig(threshold=threshold, **(minhash_options or {}))
    folder = str(work / "repo_dedup")
    sign = [*source_steps, RepoDedupSignature(folder, config=config, near=not exact_only)]
    if reread_steps is None:
        sign.append(rank_shard_writer(str(work / "input")))
    near_writer = None if exact_only else removed("near_dedup_repo")
    return [
        Stage("repo_signatures", sign, tasks),
        Stage("repo_clusters", [RepoDedupCluster(folder, config=config, near=not exact_only)], 1),
        Stage(
            "repo_filter",
            [
                *(reread_steps or [RankShardReader(str(work / "input"))]),
                RepoDedupFilter(folder, exact_writer=removed("exact_dedup_repo"), near_writer=near_writer),
                *final_steps,
            ],
            tasks,
        ),  # fmt: skip
    ]
