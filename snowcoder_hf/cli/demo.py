"""`snowcoder demo`: the whole recipe at tiny scale, resumable, published, with a one-page report."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="Run the whole recipe at tiny scale offline: three stages, eval, publishing, a report.",
        description=(
            "Curate local code, train alpha, train an annotator and select the stage-2 data, train beta, "
            "synthesize stage-3 files with SmolLM2, train the final model, evaluate all three, publish every "
            "artifact to a local Hub stand-in (or the real Hub with --hub-org) and write OUT/report.md. "
            "A rerun skips finished steps."
        ),
    )
    parser.add_argument("--config", help="Demo YAML (default: recipes/configs/tiny/demo.yaml).")
    parser.add_argument("--output", help="Output folder (default: the config's output_dir, outputs/tiny).")
    parser.add_argument("--restart-from", metavar="STEP", help="Redo STEP and every step after it.")
    parser.add_argument(
        "--hub-org", help="Publish to this org on the real Hub (needs a token) instead of the stand-in."
    )
    parser.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from snowcoder_hf.demo.config import load_config
    from snowcoder_hf.demo.run import StepFailed, run_demo

    console = Console()
    config = load_config(args.config)
    out = Path(args.output or config.output_dir).resolve()
    try:
        result = run_demo(config, out, restart_from=args.restart_from, hub_org=args.hub_org, console=console)
    except StepFailed as err:
        console.print(f"[red]snowcoder demo: {err}[/]")
        console.print("Fix it and rerun `snowcoder demo`: finished steps are skipped.")
        return 1
    table = Table(title="snowcoder demo", title_justify="left")
    table.add_column("step")
    table.add_column("status")
    for step, status in result["status"].items():
        table.add_row(step, status)
    console.print(table)
    for artifact in result["published"]:
        console.print(f"  {artifact['kind']:<10} {artifact['repo_id']}@{artifact['revision'][:12]}  {artifact['url']}")
    console.print(f"Report: {result['report']}")
    return 0
