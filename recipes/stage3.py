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
    return train_stage(3, stage_args, data_args, model_args, training_args, config_file=config_file)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = TrlParser((StageArguments, DataArguments, ModelArguments, TrainingArguments))
    apply_cpu_distributed_defaults(parser)  # CPU processes under `accelerate launch` join one gloo job
    main(*parser.parse_args_and_config(), config_file=config_file_from_argv(sys.argv))
