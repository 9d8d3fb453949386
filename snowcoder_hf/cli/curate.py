"""`snowcoder curate`: the whole stage-1 data chain, from a config or on the embedded local corpus."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "curate",
        help="Stage-1 data: read, language id, heuristics, exact + near dedup, decontamination, repo-level "
        "documents, tokenizer and token shards.",
        description="Run the stage-1 curation chain. With no --config it curates this machine's Python standard "
        "library, installed site-packages and any node_modules (capped to finish in minutes) and writes report.md "
        "with bar charts into the output folder. The config's `executor:` section picks local, Slurm or Ray.",
    )
    parser.add_argument("--config", help="A stage1_data YAML, e.g. recipes/configs/tiny/stage1_data.yaml.")
    parser.add_argument("--output", help="Override `output_dir`.")
    parser.add_argument("--max-files", type=int, help="Override `source.max_files` (local sources).")
    parser.add_argument("--tasks", type=int, help="Override `executor.tasks`.")
    parser.add_argument("--no-decontamination", action="store_true", help="Set `decontamination.enabled: false`.")
    parser.set_defaults(func=run)


def overrides_from_args(args: argparse.Namespace) -> dict:
    overrides = {}
    if args.output:
        overrides["output_dir"] = args.output
    if args.max_files is not None:
        overrides["source.max_files"] = args.max_files
    if args.tasks is not None:
        overrides["executor.tasks"] = args.tasks
    if args.no_decontamination:
        overrides["decontamination.enabled"] = False
    return overrides


def run(args: argparse.Namespace) -> int:
    from snowcoder_hf.stages.stage1_config import load_config
    from snowcoder_hf.stages.stage1_data import run_stage1
    from snowcoder_hf.stages.stage1_report import print_stage1_summary

    result = run_stage1(load_config(args.config, overrides_from_args(args)))
    print_stage1_summary(result)
    return 0
