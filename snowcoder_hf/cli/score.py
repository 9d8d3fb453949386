"""`snowcoder score`: chunk-averaged quality scores for every document, as a resumable DataTrove run."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def _handler(args: argparse.Namespace) -> int:
    from snowcoder_hf.common.reporting import load_pipeline_stats, print_summary
    from snowcoder_hf.pipeline.document_files import find_document_files
    from snowcoder_hf.stages.scoring import run_score

    files = find_document_files(args.input)
    start = time.perf_counter()
    executor = {"type": "local", "tasks": args.tasks, "workers": args.workers}
    logging_dir = run_score(args.input, args.output, args.annotator, chunks=args.chunks, threshold=args.threshold,
                            batch_size=args.batch_size, device=args.device, dtype=args.dtype,
                            executor_config=executor)  # fmt: skip
    print_summary("snowcoder score", load_pipeline_stats(logging_dir), time.perf_counter() - start,
                  sum(f.stat().st_size for f in files))  # fmt: skip
    print(f"scored documents: {Path(args.output) / 'kept'}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "score",
        help="Score documents with a trained annotator (chunk-averaged), optionally filtering at a threshold.",
        description="Write `quality_score` and `chunk_scores` to each document's metadata: the mean of the "
        "annotator head's scores on the top, middle and bottom chunks. Resumable: rerun after a kill.",
    )
    parser.add_argument("--input", required=True, help="JSONL/JSONL.GZ/Parquet file or folder of documents.")
    parser.add_argument("--output", required=True, help="Output folder: kept/, removed/, stats/.")
    parser.add_argument("--annotator", required=True, help="Annotator folder written by `snowcoder annotator train`.")
    parser.add_argument("--chunks", choices=("top_middle_bottom", "first", "all"), default=None,
                        help="Which chunks to average (default: the annotator's, top_middle_bottom).")  # fmt: skip
    parser.add_argument("--threshold", type=float, default=None, help="Drop documents scoring below this.")
    parser.add_argument("--batch-size", type=int, default=64, help="Documents per scoring batch.")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: GPU rank %% count, else CPU).")
    parser.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default="auto",
                        help="Encoder precision. auto: bf16 on GPU, fp32 on CPU; bfloat16 on a CPU with native "
                        "bf16 (AVX512-BF16, AMX) is about 2x faster, embeddings at cosine >= 0.9999.")  # fmt: skip
    parser.add_argument("--tasks", type=int, default=1, help="DataTrove tasks (one output shard each).")
    parser.add_argument("--workers", type=int, default=1, help="Tasks run at once.")
    parser.set_defaults(func=_handler)
