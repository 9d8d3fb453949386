"""Stage 1: general pretraining of alpha from scratch on the repo-level stage-1 dataset.

Linear warmup over 600 steps to 5.3e-4, then cosine decay to 5.3e-5 over the steps the token budget
gives (500B / (512 x 8192) = 119,210 in the paper config).

Usage:
    accelerate launch --config_file recipes/accelerate/fsdp_8gpu.yaml recipes/stage1.py \
        --config recipes/configs/paper/stage1.yaml
    accelerate launch --config_file recipes/accelerate/cpu.yaml recipes/stage1.py \
        --config recipes/configs/tiny/stage1.yaml
Any key can be overridden on the command line, e.g. `--max_steps 10 --dataset_path out/stage1`.
An unknown key, in the YAML or on the command line, is an error.
"""

from __future__ import annotations

import logging
import sys

from transformers import TrainingArguments
from trl import TrlParser

from snowcoder_hf.training.arguments import (
    DataArguments,
    ModelArguments,
    StageArguments,
    apply_cpu_distributed_defaults,
    config_file_from_argv,
)
from snowcoder_hf.training.runner import train_stage


def main(stage_args: StageArguments, data_args: DataArguments, model_args: ModelArguments,
         training_args: TrainingArguments, config_file: str | None = None) -> dict:  # fmt: skip
    return train_stage(1, stage_args, data_args, model_args, training_args, config_file=config_file)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = TrlParser((StageArguments, DataArguments, ModelArguments, TrainingArguments))
    apply_cpu_distributed_defaults(parser)  # CPU processes under `accelerate launch` join one gloo job
    main(*parser.parse_args_and_config(), config_file=config_file_from_argv(sys.argv))
