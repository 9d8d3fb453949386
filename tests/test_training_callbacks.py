"""Throughput/MFU logging and the checkpoint card context."""

from __future__ import annotations

import pytest

from snowcoder_hf.training.callbacks import ThroughputMeter
from snowcoder_hf.training.card import card_context, config_text, launch_command
from snowcoder_hf.training.flops import flops_per_token
from snowcoder_hf.training.presets import build_config


def test_throughput_meter_reports_tokens_per_second_and_mfu_between_logs():
    times = iter([100.0, 110.0, 115.0])
    per_token = flops_per_token(build_config("arctic-1.3b"), 8192)
    meter = ThroughputMeter(tokens_per_step=512 * 8192, num_devices=64, flops_per_token=per_token, peak_tflops=989.0,
                            clock=lambda: next(times))  # fmt: skip
    meter.start(0)
    first = meter.measure(10)  # 10 steps of 4.19M tokens in 10 s
    assert first["tokens_per_second"] == pytest.approx(10 * 512 * 8192 / 10, rel=1e-6)
    assert first["tokens_per_second_per_device"] == pytest.approx(first["tokens_per_second"] / 64, rel=1e-6)
    assert first["mfu"] == pytest.approx(first["tokens_per_second_per_device"] * per_token / 989e12, abs=1e-4)
    assert first["tokens_seen"] == 10 * 512 * 8192
    assert meter.measure(10) == {}  # no step since the last log: nothing to report


def test_cpu_runs_report_no_mfu_rather_than_a_made_up_one():
    meter = ThroughputMeter(1000, 1, 1e6, None, clock=iter([0.0, 1.0]).__next__)
    meter.start(0)
    assert "mfu" not in meter.measure(2)


def test_card_context_records_lineage_command_config_tokens_and_loss(tmp_path):
    from snowcoder_hf.hub.cards import render_card
    from snowcoder_hf.training.arguments import DataArguments, ModelArguments, StageArguments

    config_file = tmp_path / "stage2.yaml"
    config_file.write_text("lr_schedule: warmup_linear\n")
    stage = StageArguments(lr_schedule="warmup_linear")
    data = DataArguments(dataset_path="org/stage2-data", dataset_revision="abc123")
    model = ModelArguments(model_name_or_path="org/alpha", model_revision="def456")
    context = card_context(stage=2, stage_args=stage, data_args=data, model_args=model,
                           config=config_text(str(config_file), stage, data, model),
                           command=launch_command(["recipes/stage2.py", "--config", "x.yaml", "--hub_token", "hf_" + "a" * 30]),
                           tokens=1234, final_loss=2.5, parameters=99)  # fmt: skip
    assert {"role": "base model", "id": "org/alpha", "revision": "def456"} in context["lineage"]
    assert {"role": "dataset", "id": "org/stage2-data", "revision": "abc123"} in context["lineage"]
    assert context["base_model"] == "org/alpha"
    assert context["datasets"] == ["org/stage2-data"]
    card = render_card("model", context)
    assert "lr_schedule: warmup_linear" in card
    assert "final training loss: 2.5000" in card
    assert "hf_aaaa" not in card  # tokens on the command line are redacted


def test_eval_results_enter_the_card_once_they_exist(tmp_path):
    from snowcoder_hf.training.arguments import DataArguments, ModelArguments, StageArguments

    results = tmp_path / "eval.json"
    stage = StageArguments(eval_results_path=str(results))
    args = {"stage": 3, "stage_args": stage, "data_args": DataArguments(dataset_path="d"),
            "model_args": ModelArguments(model_name_or_path="b"), "config": "", "command": "c", "tokens": 1,
            "final_loss": None, "parameters": 1}  # fmt: skip
    assert card_context(**args)["eval_results"] is None
    results.write_text('[{"task": "humaneval_plus", "metric": "pass@1", "value": 28.0}]')
    assert card_context(**args)["eval_results"] == [{"task": "humaneval_plus", "metric": "pass@1", "value": 28.0}]
    results.write_text('{"not": "a list"}')
    with pytest.raises(ValueError, match="eval_results_path"):
        card_context(**args)
