"""`snowcoder eval`: greedy pass@1 on HumanEval+, MBPP+, EvoEval and BigCodeBench, sandboxed."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="Evaluate a checkpoint, a served model or pre-generated samples (pass@1, Table-2 report).",
        description="Generate greedy samples (transformers, or an OpenAI-compatible --endpoint), or read them "
        "from --samples, run each in the sandbox against the benchmark's official checking rules, and "
        "write details.jsonl, summary.json, report.md (beside the paper's Table 2) and pass_at_1.png.",
    )
    parser.add_argument("--model", help="local checkpoint folder or Hub id (or the served model's name)")
    parser.add_argument("--gguf-file", help="GGUF file name inside --model")
    parser.add_argument("--endpoint", help="OpenAI-compatible base URL, e.g. http://localhost:8080/v1")
    parser.add_argument("--samples", help="JSONL of task_id, benchmark, completion|solution: score only")
    parser.add_argument("--tasks", default="humaneval_plus,mbpp_plus,evoeval,bigcodebench")
    parser.add_argument("--benchmark-dir", help="folder of the benchmarks' release files")
    parser.add_argument("--limit", type=int, help="first N tasks of each benchmark")
    parser.add_argument("--output", required=True, help="report folder")
    parser.add_argument("--workers", type=int, help="parallel sandboxes (default: every core)")
    parser.add_argument("--min-time-limit", type=float, default=1.0, help="EvalPlus per-input floor (s)")
    parser.add_argument("--gt-time-limit-factor", type=float, default=4.0, help="x reference runtime")
    parser.add_argument("--max-new-tokens", type=int, default=768)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from snowcoder_hf.eval.evaluate import evaluate_samples, generate_samples
    from snowcoder_hf.eval.harness import HarnessConfig
    from snowcoder_hf.eval.samples import read_samples

    if args.limit is not None and args.limit < 1:
        raise ValueError(f"`--limit` must be at least 1, got {args.limit}.")
    config = HarnessConfig(workers=args.workers, min_time_limit=args.min_time_limit,
                           gt_time_limit_factor=args.gt_time_limit_factor)  # fmt: skip
    start = time.perf_counter()
    console = Console()
    if args.samples:
        loaded = read_samples(args.samples)
        if loaded.dropped:
            console.print(f"dropped sample lines: {loaded.dropped}")
        samples, name = loaded.samples, args.model or args.samples
    else:
        samples = generate_samples(args.model, args.tasks, args.benchmark_dir, gguf_file=args.gguf_file,
                                   endpoint=args.endpoint, limit=args.limit, batch_size=args.batch_size,
                                   max_new_tokens=args.max_new_tokens)  # fmt: skip
        name = args.model or args.endpoint
    if not samples:
        raise ValueError("no usable samples to score.")
    summary = evaluate_samples(samples, args.benchmark_dir, args.output, name, config)
    from rich.table import Table

    table = Table(title=f"pass@1 of {name}", title_justify="left")
    for column in ("benchmark", "pass@1", "tasks", "env missing", "statuses"):
        table.add_column(column)
    for bench, entry in summary.items():
        value = "-" if entry["pass@1"] is None else f"{entry['pass@1']:.1f}"
        statuses = ", ".join(f"{k}={v}" for k, v in sorted(entry["statuses"].items()))
        table.add_row(bench, value, str(entry["tasks"]), str(entry["environment_missing"]), statuses)
    console.print(table)
    console.print(f"{len(samples)} samples in {time.perf_counter() - start:.1f}s; report in {args.output}")
    return 0
