"""Fail-before-compute checks: each bad input gets a clear error before a model is built."""

from __future__ import annotations

import pytest
from test_recipes_run import parse
from test_training_helpers import build_stage1, build_stage2

from snowcoder_hf.training.runner import train_stage


@pytest.fixture(scope="module")
def data(tmp_path_factory, tiny_tokenizer_dir, stdlib_dir):
    root = tmp_path_factory.mktemp("checks")
    return {
        "root": root,
        1: build_stage1(root, tiny_tokenizer_dir, stdlib_dir, count=4),
        2: build_stage2(root, stdlib_dir),
    }


@pytest.fixture
def no_model_built(monkeypatch):
    """Fail the test if any model is instantiated: the checks must come first."""
    from transformers import AutoModelForCausalLM

    def refuse(*args, **kwargs):
        raise AssertionError("a model was built before the checks failed")

    monkeypatch.setattr(AutoModelForCausalLM, "from_config", refuse)
    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", refuse)


def stage1_args(data, tmp_path, *extra):
    return parse(1, "--tokenizer_name_or_path", str(data[1] / "tokenizer"), "--dataset_path", str(data[1]),
                 "--output_dir", str(tmp_path / "out"), "--seq_len", "64", "--disable_tqdm", "true", *extra)  # fmt: skip


def test_too_few_tokens_says_by_how_much(data, tmp_path, no_model_built):
    with pytest.raises(ValueError, match=r"too few tokens.*short by [\d,]+ tokens \(\d+\.\d%\)") as err:
        train_stage(1, *stage1_args(data, tmp_path, "--max_steps", "100000"))
    assert "at most" in str(err.value)  # and how many steps the data does allow


def test_a_token_budget_beyond_the_data_is_refused(data, tmp_path, no_model_built):
    with pytest.raises(ValueError, match="too few tokens"):
        train_stage(1, *stage1_args(data, tmp_path, "--token_budget", "500000000000"))


def test_a_tokenizer_larger_than_the_model_vocabulary_is_refused(data, tmp_path, no_model_built):
    with pytest.raises(ValueError, match="vocabulary mismatch.*vocab_size"):
        train_stage(1, *stage1_args(data, tmp_path, "--model_vocab_size", "256"))


def test_token_shards_from_a_bigger_vocabulary_are_refused():
    from snowcoder_hf.training.checks import check_vocabulary

    with pytest.raises(ValueError, match="token shards hold id 700"):
        check_vocabulary(500, 512, max_data_token_id=700)


@pytest.mark.parametrize("stage", [2, 3])
def test_a_missing_base_checkpoint_is_refused(data, tmp_path, stage, no_model_built):
    args = parse(stage, "--model_name_or_path", str(tmp_path / "no-alpha"), "--dataset_path", str(data[2]),
                 "--output_dir", str(tmp_path / "out"))  # fmt: skip
    with pytest.raises(FileNotFoundError, match="base checkpoint.*does not exist"):
        train_stage(stage, *args)
    (tmp_path / "empty-alpha").mkdir()
    args[2].model_name_or_path = str(tmp_path / "empty-alpha")
    with pytest.raises(FileNotFoundError, match="not a saved model"):
        train_stage(stage, *args)


def test_a_hub_base_checkpoint_that_cannot_be_fetched_is_refused(data, tmp_path, no_model_built):
    args = parse(2, "--model_name_or_path", "nobody/no-such-alpha", "--dataset_path", str(data[2]),
                 "--output_dir", str(tmp_path / "out"))  # fmt: skip
    with pytest.raises(FileNotFoundError, match="could not be fetched"):
        train_stage(2, *args)


def test_unknown_keys_fail_in_yaml_and_on_the_command_line(tmp_path):
    from transformers import TrainingArguments
    from trl import TrlParser

    from snowcoder_hf.training.arguments import DataArguments, ModelArguments, StageArguments

    parser = TrlParser((StageArguments, DataArguments, ModelArguments, TrainingArguments))
    config = tmp_path / "stale.yaml"
    config.write_text("model_preset: tiny\nwarmup_ratio: 0.1\n")  # removed in transformers 5
    with pytest.raises(ValueError, match="warmup_ratio"):
        parser.parse_args_and_config(args=["--config", str(config)])
    with pytest.raises(ValueError, match="lr_shedule"):
        parser.parse_args_and_config(args=["--output_dir", str(tmp_path), "--lr_shedule", "constant"])


def test_trainer_push_to_hub_is_refused_in_favour_of_the_hub_module(data, tmp_path, no_model_built):
    with pytest.raises(ValueError, match="push_repo_id"):
        train_stage(1, *stage1_args(data, tmp_path, "--push_to_hub", "true"))
    with pytest.raises(ValueError, match="push_checkpoints"):
        train_stage(1, *stage1_args(data, tmp_path, "--push_checkpoints", "true"))


def test_stage1_refuses_a_base_checkpoint_and_stage2_refuses_a_preset(data, tmp_path, no_model_built):
    with pytest.raises(ValueError, match="from scratch"):
        train_stage(1, *stage1_args(data, tmp_path, "--model_name_or_path", "somewhere"))
    args = parse(2, "--model_preset", "tiny", "--dataset_path", str(data[2]), "--output_dir", str(tmp_path))
    with pytest.raises(ValueError, match="drop `model_preset`"):
        train_stage(2, *args)


def test_a_warmup_longer_than_the_run_is_caught_before_the_model_is_built():
    from snowcoder_hf.training.checks import check_warmup

    check_warmup(0.1, 10)  # a ratio
    check_warmup(10, 10)
    with pytest.raises(ValueError, match="`warmup_steps` 600 is longer than the run's 4 steps"):
        check_warmup(600, 4)
