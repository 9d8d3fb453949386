"""Evaluate the stage checkpoints (alpha, beta, final) together and print Table 2 with our rows.

Usage:
    python recipes/evaluate.py --config recipes/configs/paper/evaluate.yaml --benchmark_dir BENCH
    python recipes/evaluate.py --config recipes/configs/tiny/evaluate.yaml --benchmark_dir BENCH \
        --checkpoints alpha=outputs/tiny/alpha beta=outputs/tiny/beta final=outputs/tiny/final
Any key can be overridden on the command line; an unknown key, in the YAML or on the command line, is an error.
Writes OUTPUT_DIR/<name>/ (details, summary, report, chart) per checkpoint and OUTPUT_DIR/report.md
with the alpha -> beta -> final comparison and OUTPUT_DIR/pass_at_1.png.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from snowcoder_hf.eval.paper_table import COLUMNS, HEADERS


@dataclass
class EvaluateArguments:
    checkpoints: list[str] = field(default_factory=list, metadata={"help": "NAME=PATH_OR_HUB_ID, in stage order"})
    tasks: str = field(default="humaneval_plus,mbpp_plus,evoeval,bigcodebench")
    benchmark_dir: str | None = field(default=None, metadata={"help": "folder of the benchmarks' release files"})
    output_dir: str = field(default="outputs/evaluate")
    limit: int | None = field(default=None, metadata={"help": "first N tasks of each benchmark"})
    max_new_tokens: int = field(default=768)
    batch_size: int = field(default=8)
    workers: int | None = field(default=None)


def _parse_checkpoints(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"`checkpoints` entries must look like NAME=PATH, got {value!r}.")
        pairs.append((name, path))
    if not pairs:
        raise ValueError("`checkpoints` is empty: give NAME=PATH entries, e.g. alpha=outputs/tiny/alpha.")
    return pairs


def comparison_markdown(rows: list[dict]) -> str:
    """The stage-to-stage change per benchmark (points of pass@1)."""
    lines = ["| from -> to | " + " | ".join(HEADERS[c] for c in COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for before, after in zip(rows, rows[1:], strict=False):
        cells = []
        for column in COLUMNS:
            a, b = before["scores"].get(column), after["scores"].get(column)
            cells.append("-" if a is None or b is None else f"{b - a:+.1f}")
        lines.append(f"| {before['model']} -> {after['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(args: EvaluateArguments) -> dict:
    from snowcoder_hf.eval.evaluate import evaluate_samples, generate_samples
    from snowcoder_hf.eval.harness import HarnessConfig
    from snowcoder_hf.eval.report import plot_rows, row_from_summary, table_markdown

    checkpoints = _parse_checkpoints(args.checkpoints)
    output = Path(args.output_dir)
    rows, summaries = [], {}
    for name, path in checkpoints:
        samples = generate_samples(path, args.tasks, args.benchmark_dir, limit=args.limit,
                                   batch_size=args.batch_size, max_new_tokens=args.max_new_tokens)  # fmt: skip
        summaries[name] = evaluate_samples(samples, args.benchmark_dir, output / name, name,
                                           HarnessConfig(workers=args.workers))  # fmt: skip
        rows.append(row_from_summary(name, summaries[name]))
    text = "# Stage checkpoints beside the paper's Table 2\n\n" + table_markdown(rows)
    text += "\n## Stage to stage\n\n" + comparison_markdown(rows)
    output.mkdir(parents=True, exist_ok=True)
    (output / "report.md").write_text(text)
    (output / "summary.json").write_text(json.dumps(summaries, indent=2))
    plot_rows(rows, output / "pass_at_1.png", "alpha -> beta -> final, pass@1 (greedy)")
    print(text)
    return summaries


def parse_config(argv: list[str] | None = None) -> EvaluateArguments:
    """Strict parse of the YAML and the command line (default: sys.argv)."""
    from trl import TrlParser

    from snowcoder_hf.common.preflight import explain_unknown_keys, known_keys, raise_value_error

    parser = TrlParser((EvaluateArguments,), allow_abbrev=False)
    parser.error = raise_value_error
    try:
        (arguments,) = parser.parse_args_and_config(args=argv)
    except ValueError as err:
        raise ValueError(explain_unknown_keys(str(err), known_keys([EvaluateArguments]))) from err
    return arguments


def parse_args(argv: list[str] | None = None) -> EvaluateArguments:
    """Strict parse, then every local checkpoint must be a saved model: fail before generating anything."""
    from snowcoder_hf.common.preflight import is_checkpoint

    arguments = parse_config(argv)
    for name, path in _parse_checkpoints(arguments.checkpoints):
        local = Path(path).expanduser()
        if (local.exists() or path.count("/") != 1 or local.parent.is_dir()) and not is_checkpoint(local):
            raise FileNotFoundError(f"`checkpoints` {name}={path} is not a saved model (config.json and weights): "
                                    f"train {name} first, or point at its output_dir.")  # fmt: skip
    return arguments


if __name__ == "__main__":
    import sys

    from snowcoder_hf.common.preflight import run_checked

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(run_checked("evaluate.py", parse_args, main))
