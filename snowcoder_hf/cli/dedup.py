"""`snowcoder dedup`: exact and near (MinHash LSH) deduplication of a document file or folder."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dedup",
        help="Deduplicate documents: exact (normalized content), then near (code-token MinHash LSH).",
        description="Read IN (JSONL, JSONL.GZ or Parquet file or folder with `id`, `text`, optional `metadata`), drop "
        "exact and near duplicates keeping one copy per group by the keep-rule (permissive licence, then stars/forks, "
        "then id), and write OUT/kept/ and OUT/removed/ (with `metadata.filter_reason` and `metadata.duplicate_of`).",
    )
    parser.add_argument("--input", required=True, help="JSONL / JSONL.GZ / Parquet file or folder of documents.")
    parser.add_argument("--output", required=True, help="Output folder: kept/, removed/, stats/, work/.")
    parser.add_argument("--threshold", type=float, default=0.7, help="Jaccard threshold of near dedup (default 0.7).")
    parser.add_argument("--exact-only", action="store_true", help="Only exact dedup on normalized content.")
    parser.add_argument("--num-perm", type=int, default=256, help="MinHash permutations (default 256).")
    parser.add_argument("--ngram", type=int, default=5, help="Code-token n-gram size (default 5).")
    parser.add_argument("--tasks", type=int, default=1, help="DataTrove tasks (default 1).")
    parser.add_argument("--workers", type=int, default=1, help="Tasks run at once on this machine (default 1).")
    parser.add_argument("--cluster-rule", choices=("split", "keep_far", "components"), default="split",
                        help="Which cluster members are removed (default split: only those verified against the "
                        "kept document they name).")  # fmt: skip
    parser.add_argument("--layout", choices=("one_pass", "stages"), default="one_pass",
                        help="one_pass (default): one read to hash and sign, one to filter; stages: the multi-stage "
                        "layout used on clusters.")  # fmt: skip
    parser.add_argument("--level", choices=("file", "repo"), default="file",
                        help="file (default): files compared one by one; repo: whole repositories (metadata `repo` or "
                        "`repo_name`), a duplicate repository losing all its files.")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from snowcoder_hf.common.reporting import load_pipeline_stats, print_summary
    from snowcoder_hf.pipeline.document_files import (
        DocumentFileReader,
        find_document_files,
        kept_writer,
        removed_writer,
    )
    from snowcoder_hf.stages.dedup import dedup_stages
    from snowcoder_hf.stages.runner import run_stages

    if not 0.0 < args.threshold < 1.0:
        raise ValueError(f"`--threshold` must be in (0, 1), got {args.threshold}.")
    if args.tasks < 1:
        raise ValueError(f"`--tasks` must be at least 1, got {args.tasks}.")
    files = find_document_files(args.input)
    output = Path(args.output)
    reader = DocumentFileReader(args.input, exclusion_writer=removed_writer(output, "reader"))
    stages = dedup_stages(
        [reader], [kept_writer(output)], output / "work", output, tasks=args.tasks, threshold=args.threshold,
        exact_only=args.exact_only,
        minhash_options={"num_perm": args.num_perm, "n_grams": args.ngram, "cluster_rule": args.cluster_rule},
        removed_writer_factory=lambda block: removed_writer(output, block), layout=args.layout,
        reread_steps=[DocumentFileReader(args.input)] if args.layout == "one_pass" or args.level == "repo" else None,
        level=args.level,
    )  # fmt: skip
    start = time.perf_counter()
    run_stages(stages, {"type": "local", "workers": args.workers}, output / "stats")
    elapsed = time.perf_counter() - start
    blocks = []
    for index, stage in enumerate(stages):
        for block in load_pipeline_stats(output / "stats" / stage.name):
            reader = "Document" in block.name
            if (block.dropped or reader) and not (reader and index > 0):  # the re-read counts nothing new
                blocks.append(block)
    print_summary(f"snowcoder dedup: {args.input}", blocks, elapsed, sum(f.stat().st_size for f in files))
    return 0
