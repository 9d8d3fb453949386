"""`PretrainingTrainer`: the Transformers Trainer with the paper's schedules, data order and throughput logs.

- The LR schedule is one of `schedules.SCHEDULES`, built as a `LambdaLR` (transformers has no
  warmup-cosine-to-a-floor schedule and no way to name a floor for the linear one).
- The sampler is sequential: `PackedSequences` already fixed a seeded, shuffled order (one fresh
  permutation per repetition), and resuming continues it.
- Every log line carries tokens/s, tokens/s per device, tokens seen and MFU.
- An FSDP launch on CPU ranks shards as it would on GPUs (`fsdp`), so the FSDP path is testable on CPU.
"""

from __future__ import annotations

import torch
from transformers import Trainer

from snowcoder_hf.training.callbacks import ThroughputMeter
from snowcoder_hf.training.fsdp import shard_cpu_ranks_with_fsdp
from snowcoder_hf.training.schedules import create_scheduler


class PretrainingTrainer(Trainer):
    def __init__(self, *args, lr_schedule: str, min_learning_rate: float, throughput: ThroughputMeter, **kwargs):
        super().__init__(*args, **kwargs)
        self.lr_schedule, self.min_learning_rate, self.throughput = lr_schedule, min_learning_rate, throughput

    def create_accelerator_and_postprocess(self):
        shard_cpu_ranks_with_fsdp(self.args.mixed_precision)  # an FSDP launch on CPU ranks still shards
        super().create_accelerator_and_postprocess()

    def create_scheduler(self, num_training_steps: int, optimizer: torch.optim.Optimizer | None = None):
        if self.lr_scheduler is None:
            self.lr_scheduler = create_scheduler(
                optimizer if optimizer is not None else self.optimizer,
                self.lr_schedule,
                warmup_steps=self.args.get_warmup_steps(num_training_steps),
                max_steps=num_training_steps,
                min_lr=self.min_learning_rate,
            )
            self._created_lr_scheduler = True
        return self.lr_scheduler

    def _get_train_sampler(self, train_dataset=None):
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        return torch.utils.data.SequentialSampler(dataset)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:  # a training log line, not the end-of-training summary
            logs.update(self.throughput.measure(self.state.global_step))
        super().log(logs, start_time)
