"""Stage 1: general pretraining of alpha from scratch on the repo-level stage-1 dataset.

Linear warmup over 600 steps to 5.3e-4, then cosine decay to 5.3e-5 over the steps the token budget
gives (500B / (512 x 8192) = 119,210 in the paper config).

Usage:
    accelerate launch --config_file recipes/accelerate/fsdp_8gpu.yaml recipes/stage1.py \
        --config recipes/configs/paper/stage1.yaml
    accelerate launch --config_file recipes/accelerate/cpu.yaml recipes/stage1.py \
        --config recipes/configs/tiny/stage1.yaml
Any key can be overridden on the command line, e.g. `--max_steps 10 --dataset_path out/stage1`.
An unknown key, a missing path or another stage's output is one error line (rank 0), exit code 2, before compute.
"""

from __future__ import annotations

import sys

from transformers import TrainingArguments

from snowcoder_hf.training.arguments import DataArguments, ModelArguments, StageArguments
from snowcoder_hf.training.launch import run_recipe
from snowcoder_hf.training.runner import train_stage


def main(stage_args: StageArguments, data_args: DataArguments, model_args: ModelArguments,
         training_args: TrainingArguments, config_file: str | None = None) -> dict:  # fmt: skip
    return train_stage(1, stage_args, data_args, model_args, training_args, config_file=config_file)


if __name__ == "__main__":
    sys.exit(run_recipe(1, main))
