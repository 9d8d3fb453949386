"""The three recipes end to end on tiny data: alpha -> beta -> final, cards, resume, and two CPU processes."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_training_helpers import build_stage1, build_stage2, build_stage3

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "recipes" / "configs" / "tiny"


def load_recipe(stage: int):
    spec = importlib.util.spec_from_file_location(f"recipe_stage{stage}", REPO / "recipes" / f"stage{stage}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse(stage: int, *overrides: str):
    from transformers import TrainingArguments
    from trl import TrlParser

    from snowcoder_hf.training.arguments import DataArguments, ModelArguments, StageArguments

    parser = TrlParser((StageArguments, DataArguments, ModelArguments, TrainingArguments))
    return parser.parse_args_and_config(args=["--config", str(TINY / f"stage{stage}.yaml"), *overrides])


@pytest.fixture(scope="module")
def data(tmp_path_factory, tiny_tokenizer_dir, stdlib_dir):
    root = tmp_path_factory.mktemp("recipes")
    return {"root": root, 1: build_stage1(root, tiny_tokenizer_dir, stdlib_dir, count=16),
            2: build_stage2(root, stdlib_dir), 3: build_stage3(root, stdlib_dir)}  # fmt: skip


def common(out: Path, steps: int = 6) -> list[str]:
    return ["--output_dir", str(out), "--max_steps", str(steps), "--seq_len", "64", "--per_device_train_batch_size",
            "2", "--logging_steps", "1", "--save_steps", "3", "--disable_tqdm", "true", "--dataloader_num_workers", "0"]  # fmt: skip


@pytest.fixture(scope="module")
def chain(data):
    """alpha, beta and the final model, each from the previous one's output_dir."""
    root = data["root"]
    summaries = {}
    summaries[1] = load_recipe(1).main(*parse(1, "--tokenizer_name_or_path", str(data[1] / "tokenizer"),
                                              "--dataset_path", str(data[1]), *common(root / "alpha")),
                                       config_file=str(TINY / "stage1.yaml"))  # fmt: skip
    summaries[2] = load_recipe(2).main(*parse(2, "--model_name_or_path", str(root / "alpha"), "--dataset_path",
                                              str(data[2]), *common(root / "beta")))  # fmt: skip
    summaries[3] = load_recipe(3).main(*parse(3, "--model_name_or_path", str(root / "beta"), "--dataset_path",
                                              str(data[3]), *common(root / "final", steps=4)))  # fmt: skip
    return summaries


def test_alpha_beta_and_final_each_train_and_write_a_checkpoint_with_its_card(chain, data):
    from snowcoder_hf.hub.cards import split_front_matter

    root = data["root"]
    for stage, name in ((1, "alpha"), (2, "beta"), (3, "final")):
        out = root / name
        assert (out / "model.safetensors").exists()
        assert (out / "tokenizer.json").exists()
        assert chain[stage]["steps"] == (4 if stage == 3 else 6)
        assert chain[stage]["tokens"] == chain[stage]["steps"] * 2 * 64
        meta, body = split_front_matter((out / "README.md").read_text())
        assert f"stage-{stage}" in meta["tags"]
        assert f"training tokens: {chain[stage]['tokens']:,}" in body
        assert "final training loss" in body
        assert (out / "checkpoint-3" / "README.md").exists()  # periodic checkpoints get cards too
    beta_card = (root / "beta" / "README.md").read_text()
    # lineage names the base checkpoint and the data, relative to the run's output folder, with no machine path
    assert "| base model | `$OUT/alpha` |" in beta_card
    assert f"$OUT/{Path(data[2]).relative_to(root)}" in beta_card
    assert str(root) not in beta_card
    alpha_card = (root / "alpha" / "README.md").read_text()
    assert "model_preset: tiny" in alpha_card  # the YAML config, verbatim
    assert "--max_steps 6" in alpha_card or "'--max_steps', '6'" in alpha_card or "max_steps: 6" in alpha_card


def test_stage2_starts_from_alpha_weights_with_a_fresh_schedule(chain, data):
    state = json.loads((data["root"] / "beta" / "checkpoint-3" / "trainer_state.json").read_text())
    lrs = [e["learning_rate"] for e in state["log_history"] if "learning_rate" in e]
    assert lrs[0] == 0.0  # re-warmup from 0, not alpha's last LR
    assert chain[2]["resumed_from"] is None
    assert chain[2]["final_loss"] < chain[1]["final_loss"] + 1.0  # continued, not restarted from random weights


def test_saved_checkpoints_generate_with_a_kv_cache(chain, data):
    config = json.loads((data["root"] / "final" / "config.json").read_text())
    assert config["use_cache"] is True


def _weights(folder: Path):
    from safetensors.torch import load_file

    return load_file(folder / "model.safetensors")


class StopAfter:
    """Abort training mid-run after a checkpoint was written, as a kill would."""

    def __init__(self, step: int):
        from transformers import TrainerCallback

        class _Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step == step:
                    raise KeyboardInterrupt(f"killed at step {step}")

        self.callback = _Callback()


def test_an_interrupted_run_resumes_to_the_same_weights_as_an_uninterrupted_one(data):
    import torch

    from snowcoder_hf.training.runner import train_stage

    root = data["root"]
    args = ["--tokenizer_name_or_path", str(data[1] / "tokenizer"), "--dataset_path", str(data[1])]
    train_stage(1, *parse(1, *args, *common(root / "straight", steps=8)), config_file=None)
    with pytest.raises(KeyboardInterrupt):
        train_stage(1, *parse(1, *args, *common(root / "killed", steps=8)), extra_callbacks=[StopAfter(5).callback])
    assert (root / "killed" / "checkpoint-3").is_dir()
    assert not (root / "killed" / "model.safetensors").exists()
    summary = train_stage(1, *parse(1, *args, *common(root / "killed", steps=8)))
    assert summary["resumed_from"].endswith("checkpoint-3")
    straight, resumed = _weights(root / "straight"), _weights(root / "killed")
    for name, tensor in straight.items():
        torch.testing.assert_close(resumed[name], tensor, atol=1e-6, rtol=1e-5)


def _losses(folder: Path) -> list[float]:
    state = json.loads(next(folder.glob("checkpoint-4/trainer_state.json")).read_text())
    return [e["loss"] for e in state["log_history"] if "loss" in e]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process_with_twice_the_accumulation(data, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    recipe = str(REPO / "recipes" / "stage1.py")
    base = ["--config", str(TINY / "stage1.yaml"), "--tokenizer_name_or_path", str(data[1] / "tokenizer"),
            "--dataset_path", str(data[1]), "--max_steps", "4", "--save_steps", "4", "--logging_steps", "1",
            "--seq_len", "64", "--per_device_train_batch_size", "2", "--disable_tqdm", "true"]  # fmt: skip
    accelerate = Path(sys.executable).with_name("accelerate")
    two = subprocess.run([str(accelerate), "launch", "--config_file", str(REPO / "recipes/accelerate/cpu.yaml"),
                          recipe, *base, "--output_dir", str(tmp_path / "two"), "--gradient_accumulation_steps", "1"],
                         env=env, capture_output=True, text=True, timeout=400)  # fmt: skip
    assert two.returncode == 0, two.stderr[-3000:]
    one = subprocess.run([sys.executable, recipe, *base, "--output_dir", str(tmp_path / "one"),
                          "--gradient_accumulation_steps", "2"], env=env, capture_output=True, text=True, timeout=400)  # fmt: skip
    assert one.returncode == 0, one.stderr[-3000:]
    summary = json.loads((tmp_path / "two" / "train_summary.json").read_text())
    assert summary["tokens"] == 4 * 2 * 2 * 64  # both processes counted: world size 2
    assert _losses(tmp_path / "two") == pytest.approx(_losses(tmp_path / "one"), rel=1e-4)
