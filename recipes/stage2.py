"""Stage 2: continued pretraining of alpha into beta on the top-scored stage-2 files, repeated 4 times.

Starts from alpha's weights with a fresh optimizer and schedule (not a resumed trainer state): re-warmup
from 0 to 5.3e-4 over 1000 steps, then linear decay to 0. The repetition factor comes from the
stage-2 `selection.json` (each repetition is a fresh shuffle).

Usage:
    accelerate launch --config_file recipes/accelerate/fsdp_8gpu.yaml recipes/stage2.py \
        --config recipes/configs/paper/stage2.yaml
    accelerate launch --config_file recipes/accelerate/cpu.yaml recipes/stage2.py \
        --config recipes/configs/tiny/stage2.yaml
Any key can be overridden on the command line, e.g. `--max_steps 10 --dataset_path out/stage2 --model_name_or_path out/alpha`.
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
    return train_stage(2, stage_args, data_args, model_args, training_args, config_file=config_file)


if __name__ == "__main__":
    sys.exit(run_recipe(2, main))
