"""Evaluate the stage checkpoints (alpha, beta, final) together: pass@1 beside the paper's Table 2, and bits
per byte on each benchmark's canonical programs, the signal a tiny model can move.

Usage:
    python recipes/evaluate.py --config recipes/configs/paper/evaluate.yaml --benchmark_dir BENCH
    python recipes/evaluate.py --config recipes/configs/tiny/evaluate.yaml --benchmark_dir BENCH \
        --checkpoints alpha=outputs/tiny/alpha beta=outputs/tiny/beta final=outputs/tiny/final \
        --reference_dir outputs/tiny/stage2/removed
Any key can be overridden on the command line; an unknown key, in the YAML or on the command line, is an error.
Writes OUTPUT_DIR/<name>/ (details, summary, report, chart) per checkpoint, OUTPUT_DIR/summary.json
(`{name: {benchmark: {"pass@1", "bits_per_byte", ...}}}`), OUTPUT_DIR/report.md with the
alpha -> beta -> final comparison, OUTPUT_DIR/pass_at_1.png and OUTPUT_DIR/bits_per_byte.png.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from snowcoder_hf.eval.compare import comparison_markdown  # noqa: F401  (kept importable from the recipe)


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
    bits_per_byte_tasks: str = field(default="auto", metadata={"help": "benchmarks whose canonical programs get bits "
                                     "per byte; `auto`: every paper benchmark in benchmark_dir (HumanEval without "
                                     "one); `none` to skip"})  # fmt: skip
    bits_per_byte_limit: int | None = field(default=None, metadata={"help": "first N programs of each (default all)"})
    reference_dir: str | None = field(default=None, metadata={"help": "JSONL(.gz) of general code (e.g. stage-1 "
                                      "files): its bits per byte is the control for the benchmarks'"})  # fmt: skip
    reference_limit: int = field(default=200, metadata={"help": "reference texts sampled (stable, by content hash)"})


def _parse_checkpoints(values: list[str]) -> list[tuple[str, str]]:
    from snowcoder_hf.eval.compare import parse_named

    for value in values:
        if "=" not in value:
            raise ValueError(f"`checkpoints` entries must look like NAME=PATH, got {value!r}.")
    return parse_named(values)


def main(args: EvaluateArguments) -> dict:
    from snowcoder_hf.eval.compare import evaluate_models
    from snowcoder_hf.eval.harness import HarnessConfig

    checkpoints = _parse_checkpoints(args.checkpoints)
    bpb_tasks = None if args.bits_per_byte_tasks.strip().lower() in ("", "none") else args.bits_per_byte_tasks
    summaries = evaluate_models(checkpoints, args.output_dir, tasks=args.tasks, benchmark_dir=args.benchmark_dir,
                                limit=args.limit, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                                bits_per_byte_tasks=bpb_tasks, bits_per_byte_limit=args.bits_per_byte_limit,
                                reference_dir=args.reference_dir, reference_limit=args.reference_limit,
                                config=HarnessConfig(workers=args.workers))  # fmt: skip
    print((Path(args.output_dir) / "report.md").read_text())
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
