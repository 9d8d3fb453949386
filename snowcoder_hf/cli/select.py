"""`snowcoder select`: the top-scoring documents per language up to a global token budget."""

from __future__ import annotations

import argparse
import time


def _handler(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from snowcoder_hf.pipeline.select import parse_mix
    from snowcoder_hf.stages.selection import run_selection, stage1_mix

    start = time.perf_counter()
    selection = run_selection(args.input, args.output, budget_tokens=args.budget_tokens, tokenizer_path=args.tokenizer,
                              repeat=args.repeat, mix=parse_mix(args.mix),
                              default_mix=stage1_mix(args.stage1) if args.stage1 else None,
                              executor_config={"type": "local", "tasks": args.tasks, "workers": args.tasks})  # fmt: skip
    table = Table(title=f"snowcoder select: {args.budget_tokens:,} tokens x{args.repeat}", title_justify="left")
    for column in ("language", "share", "target", "kept tokens", "docs", "threshold"):
        table.add_column(column, justify="left" if column == "language" else "right")
    for language, target in selection["targets"].items():
        threshold = selection["thresholds"].get(language)
        table.add_row(language, f"{selection['shares'][language]:.3f}", f"{target:,}",
                      f"{selection['tokens_per_language'].get(language, 0):,}",
                      f"{selection['documents_per_language'].get(language, 0):,}",
                      "-" if threshold is None else f"{threshold:.4f}")  # fmt: skip
    console = Console()
    console.print(table)
    console.print(f"budget {selection['budget_tokens']:,} tokens, selected {selection['selected_tokens']:,}")
    for warning in selection["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"selected/ + selection.json + report.md in {args.output} ({time.perf_counter() - start:.1f}s)")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "select",
        help="Keep the top-scoring documents per language up to a token budget (stage-2 data).",
        description="Per language, keep the best-scored documents, landing as close to that language's share of "
        "the budget as whole files allow (a file that would overshoot more than it fills is skipped). Shares "
        "default to the stage-1 mix (`--stage1`) or the input's mix; too-coarse languages are warned about.",
    )
    parser.add_argument("--input", required=True, help="Scored documents (the kept/ folder of `snowcoder score`).")
    parser.add_argument("--output", required=True, help="Output folder: selected/, selection.json, report.md.")
    parser.add_argument("--budget-tokens", type=int, required=True, help="Global token budget before repetition.")
    parser.add_argument("--tokenizer", required=True, help="The training tokenizer folder (token counts are exact).")
    parser.add_argument("--repeat", type=int, default=4, help="Repetition factor recorded for stage-2 training.")
    parser.add_argument("--mix", default=None, help="Override shares, e.g. python=0.5,java=0.2; others split the rest.")
    parser.add_argument("--stage1", default=None, help="Stage-1 output folder whose language mix sets the shares.")
    parser.add_argument("--tasks", type=int, default=1, help="DataTrove tasks for the selection pass.")
    parser.set_defaults(func=_handler)
