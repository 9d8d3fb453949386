"""Stage-1 data: curate raw code into deduplicated, decontaminated, repo-level documents and token shards.

Usage:
    python recipes/stage1_data.py --config recipes/configs/tiny/stage1_data.yaml
    python recipes/stage1_data.py --config recipes/configs/paper/stage1_data.yaml --executor.tasks 512
Any key can be overridden on the command line with its dotted name, e.g. `--dedup.threshold 0.8`.
This runs the same code as `snowcoder curate --config ...`; the config's `executor:` picks local, Slurm or Ray.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from snowcoder_hf.common.preflight import raise_value_error, run_checked
from snowcoder_hf.stages.stage1_config import load_config
from snowcoder_hf.stages.stage1_data import Stage1Result, run_stage1
from snowcoder_hf.stages.stage1_report import print_stage1_summary


def parse_args(argv: list[str] | None = None) -> tuple[str | None, dict]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    parser.error = raise_value_error  # one line from run_checked, not argparse's usage block
    parser.add_argument("--config", help="A stage1_data YAML; the embedded local-corpus default without one.")
    args, rest = parser.parse_known_args(argv)
    overrides = {}
    if len(rest) % 2:
        raise ValueError(f"overrides come in `--dotted.key value` pairs, got {rest}.")
    for flag, value in zip(rest[::2], rest[1::2], strict=True):
        if not flag.startswith("--"):
            raise ValueError(f"`{flag}` must be a `--dotted.key` override.")
        overrides[flag[2:].replace("-", "_")] = yaml.safe_load(value)  # YAML typing: 0.8, true, null, [a, b]
    return args.config, overrides


def main(config_path: str | None, overrides: dict) -> Stage1Result:
    result = run_stage1(load_config(config_path, overrides))
    print_stage1_summary(result)
    return result


def checked_args(argv: list[str]) -> tuple[str | None, dict]:
    """Parse and load the config once, strictly, so a bad key or file fails before any data is read."""
    config_path, overrides = parse_args(argv)
    if config_path and not Path(config_path).is_file():
        raise FileNotFoundError(f"`--config` {config_path} does not exist.")
    load_config(config_path, overrides)
    return config_path, overrides


if __name__ == "__main__":
    sys.exit(run_checked("stage1_data.py", lambda: checked_args(sys.argv[1:]), lambda args: main(*args)))
