"""Stage 3 data: OSS-Instruct pretraining files (and phi-1 textbooks/exercises) from the top-scored stage-2 docs.

Usage:
    python recipes/stage3_data.py --config recipes/configs/tiny/stage3_data.yaml
    python recipes/stage3_data.py --config recipes/configs/paper/stage3_data.yaml --endpoint http://tgi:8080
Any key can be overridden on the command line, e.g. `--num_samples 10 --concurrency 8`. With
`--endpoint local`, SmolLM2-135M-Instruct is served offline by `transformers serve` for the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from pathlib import Path

import yaml

from snowcoder_hf.common.preflight import raise_value_error, require_folder, run_checked
from snowcoder_hf.synth.config import Stage3Config


def parse_args(argv: list[str] | None = None) -> Stage3Config:
    """Parse strictly, then check the input folder: everything that can fail before compute."""
    config = parse_config(argv)
    require_folder("input", config.input, "stage-2 data",
                   "python recipes/stage2_data.py --config CONFIG --stage1_dir STAGE1 --output_dir STAGE2 "
                   "(its selected/ folder is this step's input)")  # fmt: skip
    return config


def parse_config(argv: list[str] | None = None) -> Stage3Config:
    """The config file with every command-line override applied (values parsed as YAML); unknown keys fail."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.error = raise_value_error  # one line from run_checked, not argparse's usage block
    parser.add_argument("--config", required=True)
    hints = typing.get_type_hints(Stage3Config)
    for f in dataclasses.fields(Stage3Config):
        # every key can be overridden; values are parsed as YAML, so `--decontaminate '[humaneval]'` works
        parser.add_argument(f"--{f.name}", type=yaml.safe_load, default=None, help=f"{hints[f.name]}")
    args = vars(parser.parse_args(argv))
    path = args.pop("config")
    if not Path(path).is_file():
        raise FileNotFoundError(f"`--config` {path} does not exist.")
    return Stage3Config.from_yaml(path, **args)


def main(config: Stage3Config) -> int:
    from snowcoder_hf.cli.synth import LOCAL
    from snowcoder_hf.stages.stage3_data import run_stage3
    from snowcoder_hf.synth.report import print_stage3_summary

    if config.endpoint != LOCAL:
        print_stage3_summary(run_stage3(config))
        return 0
    from pathlib import Path

    from snowcoder_hf.standins.transformers_serve import serve_local_model

    with serve_local_model(Path(config.output) / ".cache") as server:
        config.endpoint, config.model = server.base_url, server.model
        print_stage3_summary(run_stage3(config))
    return 0


if __name__ == "__main__":
    sys.exit(run_checked("stage3_data.py", parse_args, main))
