"""The paper's learning-rate schedules, as pure functions of the step and as `LambdaLR` factories.

Every schedule returns the learning rate itself (`lr_at`), and `lr_lambda` divides by the optimizer's
base LR (the `learning_rate` training argument) to get the multiplier `LambdaLR` wants.

- `warmup_cosine` (stage 1): linear warmup from 0 to `peak_lr` over `warmup_steps`, then a half cosine
  from `peak_lr` down to `min_lr` at `max_steps` (5.3e-4 -> 5.3e-5 in the paper, warmup 600).
- `warmup_linear` (stages 2 and 3): re-warmup from 0 to `peak_lr` over `warmup_steps`, then linear
  decay to `min_lr` (0 in the paper, warmup 1000). With `warmup_steps=0` and `peak_lr=5.3e-5` this is
  Table 5's "linear from the minimum LR to 0" ablation.
- `constant`: optional warmup, then constant at `peak_lr`. With `peak_lr=5.3e-5` this is Table 5's
  "constant at the minimum LR" ablation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

SCHEDULES = ("warmup_cosine", "warmup_linear", "constant")


def _check(name: str, warmup_steps: int, max_steps: int, peak_lr: float, min_lr: float) -> None:
    if name not in SCHEDULES:
        raise ValueError(f"`lr_schedule` must be one of {', '.join(SCHEDULES)}, got {name!r}.")
    if max_steps < 1:
        raise ValueError(f"`max_steps` must be at least 1, got {max_steps}.")
    if not 0 <= warmup_steps <= max_steps:
        raise ValueError(f"`warmup_steps` must be between 0 and `max_steps` ({max_steps}), got {warmup_steps}.")
    if peak_lr <= 0 or min_lr < 0 or min_lr > peak_lr:
        raise ValueError(f"`min_learning_rate` must be in [0, learning_rate]; got {min_lr} and peak {peak_lr}.")


def _warmup(step: int, warmup_steps: int, peak_lr: float) -> float:
    return peak_lr * step / warmup_steps


def warmup_cosine(step: int, *, warmup_steps: int, max_steps: int, peak_lr: float, min_lr: float) -> float:
    """Stage 1: linear warmup to `peak_lr`, then cosine from `peak_lr` to `min_lr` at `max_steps`."""
    if step < warmup_steps:
        return _warmup(step, warmup_steps, peak_lr)
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))
    return min_lr + 0.5 * (peak_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def warmup_linear(step: int, *, warmup_steps: int, max_steps: int, peak_lr: float, min_lr: float = 0.0) -> float:
    """Stages 2 and 3: re-warmup from 0 to `peak_lr`, then linear decay to `min_lr` at `max_steps`."""
    if step < warmup_steps:
        return _warmup(step, warmup_steps, peak_lr)
    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))
    return peak_lr + (min_lr - peak_lr) * progress


def constant(step: int, *, warmup_steps: int, max_steps: int, peak_lr: float, min_lr: float = 0.0) -> float:
    """Optional linear warmup, then `peak_lr` until the end (`min_lr` is unused)."""
    if step < warmup_steps:
        return _warmup(step, warmup_steps, peak_lr)
    return peak_lr


_FUNCTIONS: dict[str, Callable[..., float]] = {
    "warmup_cosine": warmup_cosine,
    "warmup_linear": warmup_linear,
    "constant": constant,
}


def lr_at(name: str, step: int, *, warmup_steps: int, max_steps: int, peak_lr: float, min_lr: float) -> float:
    """The learning rate of schedule `name` at optimizer step `step` (0-based: the LR of the first update)."""
    _check(name, warmup_steps, max_steps, peak_lr, min_lr)
    return _FUNCTIONS[name](step, warmup_steps=warmup_steps, max_steps=max_steps, peak_lr=peak_lr, min_lr=min_lr)


def lr_lambda(
    name: str, *, warmup_steps: int, max_steps: int, peak_lr: float, min_lr: float, base_lr: float | None = None
) -> Callable[[int], float]:
    """A `LambdaLR` multiplier: `lr_at(step) / base_lr` (`base_lr` defaults to `peak_lr`)."""
    _check(name, warmup_steps, max_steps, peak_lr, min_lr)
    function = _FUNCTIONS[name]
    base = base_lr or peak_lr

    def multiplier(step: int) -> float:
        return function(step, warmup_steps=warmup_steps, max_steps=max_steps, peak_lr=peak_lr, min_lr=min_lr) / base

    return multiplier


def create_scheduler(optimizer, name: str, *, warmup_steps: int, max_steps: int, min_lr: float):
    """A `torch.optim.lr_scheduler.LambdaLR` over `optimizer`, peaking at the optimizer's base LR."""
    from torch.optim.lr_scheduler import LambdaLR

    peak = optimizer.param_groups[0].get("initial_lr", optimizer.param_groups[0]["lr"])
    return LambdaLR(optimizer, lr_lambda(name, warmup_steps=warmup_steps, max_steps=max_steps, peak_lr=peak,
                                         min_lr=min_lr))  # fmt: skip
