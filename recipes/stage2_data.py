"""Stage-2 data: train and compare annotators, score the stage-1 files, keep the top per language.

Usage:
    python recipes/stage2_data.py --config recipes/configs/tiny/stage2_data.yaml
    python recipes/stage2_data.py --config recipes/configs/paper/stage2_data.yaml --device cuda --tasks 64
Any key can be overridden on the command line, e.g. `--stage1_dir out/stage1 --benchmark_dir DIR
--benchmarks humaneval,mbpp_plus`. Writes OUT/selected/, OUT/selection.json, OUT/report.md (+ PNGs),
OUT/validation/ (ROC-AUC table and plot) and OUT/annotators/<variant>/ (each with its card).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from snowcoder_hf.common.preflight import (
    explain_unknown_keys,
    known_keys,
    raise_value_error,
    require_folder,
    run_checked,
)
from snowcoder_hf.stages.stage2_data import Stage2DataConfig, run_stage2_data


def parse_args(argv: list[str] | None = None) -> Stage2DataConfig:
    """Parse strictly, then check the input folders: everything that can fail before compute."""
    config = parse_config(argv)
    check_inputs(config)
    return config


def parse_config(argv: list[str] | None = None) -> Stage2DataConfig:
    """Strict parse: YAML from `--config`, then command-line flags override its keys; unknown keys fail."""
    import yaml
    from transformers import HfArgumentParser

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = HfArgumentParser(Stage2DataConfig, allow_abbrev=False)  # `--budget_token` is a typo, not a prefix
    parser.error = raise_value_error  # one line from run_checked, not argparse's usage block
    defaults: dict = {}
    if "--config" in argv:
        at = argv.index("--config")
        if at + 1 >= len(argv) or not Path(argv[at + 1]).is_file():
            raise FileNotFoundError(f"`--config` {argv[at + 1] if at + 1 < len(argv) else ''} does not exist.")
        with open(argv[at + 1]) as f:
            defaults = yaml.safe_load(f) or {}
        del argv[at : at + 2]
        known = {field.dest for field in parser._actions}
        unknown = sorted(set(defaults) - known)
        if unknown:
            raise ValueError(f"unknown config keys {unknown}; accepted: {sorted(known - {'help'})}.")
        parser.set_defaults(**defaults)
        for action in parser._actions:  # keys the YAML sets are no longer required on the command line
            if action.dest in defaults:
                action.required = False
    try:
        (config,) = parser.parse_args_into_dataclasses(args=argv)
    except ValueError as err:
        raise ValueError(explain_unknown_keys(str(err), known_keys([Stage2DataConfig]))) from err
    return config


def check_inputs(config: Stage2DataConfig) -> None:
    """The stage-1 folder and its tokenizer exist, before any encoder or data is loaded."""
    stage1 = require_folder("stage1_dir", config.stage1_dir, "stage-1 data",
                            f"python recipes/stage1_data.py --config CONFIG --output_dir {config.stage1_dir}")  # fmt: skip
    if not (stage1 / "files").is_dir():
        raise FileNotFoundError(f"`stage1_dir` {config.stage1_dir} has no files/: it is not a finished stage-1 "
                                "data output (rerun recipes/stage1_data.py to complete it).")  # fmt: skip
    tokenizer = Path(config.tokenizer) if config.tokenizer else stage1 / "tokenizer"
    if not tokenizer.is_dir():
        raise FileNotFoundError(f"`tokenizer` {tokenizer} does not exist: the stage-1 data step writes it with "
                                "`tokenizer.train: true`, or set `tokenizer`.")  # fmt: skip


def main(config: Stage2DataConfig) -> dict:
    summary = run_stage2_data(config, command="python recipes/stage2_data.py " + " ".join(sys.argv[1:]))
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    sys.exit(run_checked("stage2_data.py", parse_args, main))
