"""The paper's learning-rate schedules, checked at their key steps against the closed-form formulas."""

from __future__ import annotations

import math

import pytest

from snowcoder_hf.training.checks import steps_for_budget
from snowcoder_hf.training.schedules import create_scheduler, lr_at

PEAK, FLOOR = 5.3e-4, 5.3e-5
STAGE1_STEPS = steps_for_budget(500_000_000_000, 512 * 8192)
STAGE2_STEPS = steps_for_budget(50_000_000_000, 512 * 8192)


def test_paper_token_budgets_give_the_paper_step_counts():
    assert STAGE1_STEPS == 119_210  # 500B / (512 x 8192), rounded up
    assert STAGE2_STEPS == 11_921


def stage1(step):
    return lr_at("warmup_cosine", step, warmup_steps=600, max_steps=STAGE1_STEPS, peak_lr=PEAK, min_lr=FLOOR)


def test_stage1_warms_up_linearly_to_the_peak_over_600_steps():
    assert stage1(0) == 0.0
    assert stage1(300) == pytest.approx(PEAK / 2)
    assert stage1(600) == pytest.approx(PEAK)


def test_stage1_cosine_reaches_the_midpoint_and_ends_at_the_floor():
    middle = 600 + (STAGE1_STEPS - 600) // 2
    expected = FLOOR + 0.5 * (PEAK - FLOOR) * (1 + math.cos(math.pi * (middle - 600) / (STAGE1_STEPS - 600)))
    assert stage1(middle) == pytest.approx(expected)
    assert stage1(middle) == pytest.approx((PEAK + FLOOR) / 2, rel=1e-4)
    assert stage1(STAGE1_STEPS) == pytest.approx(FLOOR)


def test_stage1_never_goes_below_the_floor_after_warmup():
    values = [stage1(s) for s in range(600, STAGE1_STEPS + 1, 997)]
    assert min(values) >= FLOOR - 1e-12
    assert values == sorted(values, reverse=True)


def stage2(step):
    return lr_at("warmup_linear", step, warmup_steps=1000, max_steps=STAGE2_STEPS, peak_lr=PEAK, min_lr=0.0)


def test_stage2_rewarms_from_zero_then_decays_linearly_to_zero():
    assert stage2(0) == 0.0
    assert stage2(500) == pytest.approx(PEAK / 2)
    assert stage2(1000) == pytest.approx(PEAK)
    middle = 1000 + (STAGE2_STEPS - 1000) / 2
    assert stage2(middle) == pytest.approx(PEAK / 2)
    assert stage2(STAGE2_STEPS) == pytest.approx(0.0, abs=1e-15)
    assert min(stage2(s) for s in range(1000, STAGE2_STEPS + 1, 101)) >= 0.0


def test_table5_ablations_linear_from_the_floor_and_constant_at_the_floor():
    linear = [lr_at("warmup_linear", s, warmup_steps=0, max_steps=100, peak_lr=FLOOR, min_lr=0.0) for s in (0, 50, 100)]
    assert linear == pytest.approx([FLOOR, FLOOR / 2, 0.0])
    constant = [lr_at("constant", s, warmup_steps=0, max_steps=100, peak_lr=FLOOR, min_lr=0.0) for s in (0, 50, 100)]
    assert constant == pytest.approx([FLOOR] * 3)


def test_lambda_scheduler_drives_a_real_optimizer_along_the_formula():
    import torch

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=PEAK)
    scheduler = create_scheduler(optimizer, "warmup_cosine", warmup_steps=10, max_steps=50, min_lr=FLOOR)
    seen = []
    for _ in range(51):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    expected = [lr_at("warmup_cosine", s, warmup_steps=10, max_steps=50, peak_lr=PEAK, min_lr=FLOOR) for s in range(51)]
    assert seen == pytest.approx(expected)


@pytest.mark.parametrize(
    ("name", "warmup", "steps", "floor", "message"),
    [("cosine", 0, 10, 0.0, "lr_schedule"), ("warmup_linear", 20, 10, 0.0, "warmup_steps"),
     ("warmup_cosine", 0, 0, 0.0, "max_steps"), ("warmup_cosine", 0, 10, 1.0, "min_learning_rate")],
)  # fmt: skip
def test_bad_schedule_arguments_name_the_parameter(name, warmup, steps, floor, message):
    with pytest.raises(ValueError, match=message):
        lr_at(name, 0, warmup_steps=warmup, max_steps=steps, peak_lr=PEAK, min_lr=floor)
