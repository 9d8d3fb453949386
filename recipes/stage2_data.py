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

from snowcoder_hf.stages.stage2_data import Stage2DataConfig, run_stage2_data


def parse_args(argv: list[str] | None = None) -> Stage2DataConfig:
    """Strict parse: YAML from `--config`, then command-line flags override its keys; unknown keys fail."""
    import yaml
    from transformers import HfArgumentParser

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = HfArgumentParser(Stage2DataConfig)
    defaults: dict = {}
    if "--config" in argv:
        at = argv.index("--config")
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
    (config,) = parser.parse_args_into_dataclasses(args=argv)
    return config


def main(config: Stage2DataConfig) -> dict:
    summary = run_stage2_data(config, command="python recipes/stage2_data.py " + " ".join(sys.argv[1:]))
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main(parse_args())
