"""Throughput and MFU in the training logs, and a card (and optional Hub push) for every checkpoint."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from transformers import TrainerCallback

from snowcoder_hf.training.flops import mfu

logger = logging.getLogger(__name__)


class ThroughputMeter(TrainerCallback):
    """Tokens/s and MFU between two log calls, from optimizer steps and the tokens each step consumes.

    As a callback it starts its clock when training (or a resumed run) begins.
    """

    def __init__(self, tokens_per_step: int, num_devices: int, flops_per_token: float, peak_tflops: float | None,
                 clock: Callable[[], float] = time.perf_counter):  # fmt: skip
        self.tokens_per_step, self.num_devices = tokens_per_step, max(1, num_devices)
        self.flops_per_token, self.peak_tflops, self.clock = flops_per_token, peak_tflops, clock
        self._last_step: int | None = None
        self._last_time = 0.0

    def start(self, step: int) -> None:
        self._last_step, self._last_time = step, self.clock()

    def on_train_begin(self, args, state, control, **kwargs):
        self.start(state.global_step)

    def measure(self, step: int) -> dict[str, float]:
        """Metrics since the last call (or `start`); empty when no step has passed."""
        now = self.clock()
        if self._last_step is None or step <= self._last_step or now <= self._last_time:
            self._last_step, self._last_time = step, now
            return {}
        tokens_per_second = (step - self._last_step) * self.tokens_per_step / (now - self._last_time)
        per_device = tokens_per_second / self.num_devices
        metrics = {"tokens_per_second": round(tokens_per_second, 1),
                   "tokens_per_second_per_device": round(per_device, 1),
                   "tokens_seen": step * self.tokens_per_step}  # fmt: skip
        utilization = mfu(per_device, self.flops_per_token, self.peak_tflops)
        if utilization is not None:
            metrics["mfu"] = round(utilization, 4)
        self._last_step, self._last_time = step, now
        return metrics


class CheckpointCardCallback(TrainerCallback):
    """After each save, write the checkpoint's card and, when configured, push it to a `step-N` branch."""

    def __init__(
        self, card_context: Callable[[int, float | None], dict], push: Callable[[Path, dict, str], str] | None
    ):
        self.card_context, self.push = card_context, push

    def on_save(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        from snowcoder_hf.hub.cards import write_card

        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if not folder.is_dir():
            logger.warning("checkpoint folder %s not found after save; no card written", folder)
            return
        losses = [entry["loss"] for entry in state.log_history if "loss" in entry]
        context = self.card_context(state.global_step, losses[-1] if losses else None)
        write_card(folder, "model", context)
        if self.push is not None:
            revision = self.push(folder, context, f"step-{state.global_step}")
            logger.info("pushed checkpoint-%d to branch step-%d (%s)", state.global_step, state.global_step, revision)
