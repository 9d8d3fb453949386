"""`snowcoder eval`: greedy pass@1 on HumanEval+, MBPP+, EvoEval and BigCodeBench, sandboxed, and bits per
byte on their canonical programs; several `--model`s are compared side by side."""

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
    parser.add_argument("--model", action="append", default=[],
                        help="local checkpoint folder or Hub id (or the served model's name); repeat it to compare "
                        "several side by side (NAME=PATH names one, else its folder name does)")  # fmt: skip
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
    parser.add_argument("--bits-per-byte-tasks", default="auto",
                        help="benchmarks whose canonical programs get bits per byte (`auto`: every paper benchmark in "
                        "--benchmark-dir, HumanEval without one; `none` to skip); needs the weights, not --endpoint")  # fmt: skip
    parser.add_argument("--bits-per-byte-limit", type=int, help="first N programs of each (default: all)")
    parser.add_argument("--reference-dir", help="JSONL(.gz) of general code whose bits per byte is the control")
    parser.add_argument("--reference-limit", type=int, default=200, help="reference texts sampled")
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from snowcoder_hf.eval.evaluate import evaluate_model, evaluate_samples
    from snowcoder_hf.eval.harness import HarnessConfig
    from snowcoder_hf.eval.samples import read_samples

    for flag in ("limit", "bits_per_byte_limit", "reference_limit"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ValueError(f"`--{flag.replace('_', '-')}` must be at least 1, got {value}.")
    if len(args.model) > 1 and args.samples:
        raise ValueError("`--samples` scores one sample file: give at most one `--model` (its name) with it.")
    config = HarnessConfig(workers=args.workers, min_time_limit=args.min_time_limit,
                           gt_time_limit_factor=args.gt_time_limit_factor)  # fmt: skip
    bpb_tasks = None if args.bits_per_byte_tasks.strip().lower() in ("", "none") else args.bits_per_byte_tasks
    options = dict(tasks=args.tasks, benchmark_dir=args.benchmark_dir, gguf_file=args.gguf_file, endpoint=args.endpoint,
                   limit=args.limit, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                   bits_per_byte_tasks=bpb_tasks, bits_per_byte_limit=args.bits_per_byte_limit,
                   reference_dir=args.reference_dir, reference_limit=args.reference_limit, config=config)  # fmt: skip
    start = time.perf_counter()
    console = Console()
    if len(args.model) > 1:
        from snowcoder_hf.eval.compare import evaluate_models, parse_named

        summaries = evaluate_models(parse_named(args.model, "--model"), args.output, **options)
        console.print(_side_by_side(summaries))
        console.print(f"{len(summaries)} models in {time.perf_counter() - start:.1f}s; report in {args.output}")
        return 0
    model = args.model[0] if args.model else None
    if args.samples:
        loaded = read_samples(args.samples)
        if loaded.dropped:
            console.print(f"dropped sample lines: {loaded.dropped}")
        if not loaded.samples:
            raise ValueError("no usable samples to score.")
        name = model or args.samples
        summary = evaluate_samples(loaded.samples, args.benchmark_dir, args.output, name, config)
        count = len(loaded.samples)
    else:
        if not model and not args.endpoint:
            raise ValueError("`--model` is required unless `--samples` or `--endpoint` is given.")
        name = model or args.endpoint
        summary = evaluate_model(model, args.output, **options)
        count = sum(entry.get("tasks", 0) for entry in summary.values())
    console.print(_side_by_side({name: summary}))
    console.print(f"{count} samples in {time.perf_counter() - start:.1f}s; report in {args.output}")
    return 0


def _side_by_side(summaries: dict[str, dict]):
    """A console table: one row per model, `pass@1 | bits per byte` per benchmark."""
    from rich.table import Table

    benchmarks = list(dict.fromkeys(b for summary in summaries.values() for b in summary))
    table = Table(title="pass@1 | bits per byte", title_justify="left")
    table.add_column("model")
    for benchmark in benchmarks:
        table.add_column(benchmark, justify="right")
    for name, summary in summaries.items():
        cells = []
        for benchmark in benchmarks:
            entry = summary.get(benchmark) or {}
            pass1, bpb = entry.get("pass@1"), entry.get("bits_per_byte")
            cells.append(f"{'-' if pass1 is None else f'{pass1:.1f}'} | {'-' if bpb is None else f'{bpb:.3f}'}")
        table.add_row(name, *cells)
    return table
