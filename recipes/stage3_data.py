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

import yaml

from snowcoder_hf.synth.config import Stage3Config


def parse_args(argv: list[str] | None = None) -> Stage3Config:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    hints = typing.get_type_hints(Stage3Config)
    for f in dataclasses.fields(Stage3Config):
        # every key can be overridden; values are parsed as YAML, so `--decontaminate '[humaneval]'` works
        parser.add_argument(f"--{f.name}", type=yaml.safe_load, default=None, help=f"{hints[f.name]}")
    args = vars(parser.parse_args(argv))
    path = args.pop("config")
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
    sys.exit(main(parse_args()))
