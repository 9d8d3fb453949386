"""Stage 3: continued pretraining of beta into the final model on the synthetic mixture.

Starts from beta's weights with a fresh optimizer. The paper gives no phase-3 schedule; the default is
stage 2's re-warmup then linear decay (set `lr_schedule`, `warmup_steps`, `learning_rate` to change it).
The data is the stage-3 `mixture.yaml`: each source weighted as it says.

Usage:
    accelerate launch --config_file recipes/accelerate/fsdp_8gpu.yaml recipes/stage3.py \
        --config recipes/configs/paper/stage3.yaml
    accelerate launch --config_file recipes/accelerate/cpu.yaml recipes/stage3.py \
        --config recipes/configs/tiny/stage3.yaml
Any key can be overridden on the command line, e.g. `--max_steps 10 --dataset_path out/stage3 --model_name_or_path out/beta`.
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
    return train_stage(3, stage_args, data_args, model_args, training_args, config_file=config_file)


if __name__ == "__main__":
    sys.exit(run_recipe(3, main))
