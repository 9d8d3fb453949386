"""Every recipe fails before compute on a bad key or path: one line naming the key, the path and the step to run
first, from rank 0 only, exit code 2, and nothing computed or written."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snowcoder_hf.common.preflight import run_checked
from snowcoder_hf.training.launch import run_recipe

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "recipes" / "configs" / "tiny"


def _never(*args, **kwargs):
    raise AssertionError("compute started despite a bad config")


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def _stage1_data(folder: Path, tokenizer: bool = True) -> Path:
    (folder / "tokens").mkdir(parents=True)
    (folder / "summary.json").write_text("{}")
    if tokenizer:
        (folder / "tokenizer").mkdir()
    return folder


def _checkpoint(folder: Path, stage: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"")
    (folder / "train_summary.json").write_text(json.dumps({"stage": stage}))
    return folder


def _stage2_data(folder: Path) -> Path:
    (folder / "selected").mkdir(parents=True)
    (folder / "selection.json").write_text(json.dumps({"repeat": 4}))
    return folder


def _train(stage: int, tmp_path, *overrides: str) -> int:
    argv = ["--config", str(TINY / f"stage{stage}.yaml"), "--output_dir", str(tmp_path / "run"), *overrides]
    return run_recipe(stage, _never, argv)


def test_missing_dataset_names_the_key_the_path_and_the_step_to_run(tmp_path, capsys):
    assert _train(1, tmp_path, "--dataset_path", str(tmp_path / "nope")) == 2
    line = _one_line(capsys)
    assert line.startswith("stage1.py: error: `dataset_path`")
    assert str(tmp_path / "nope") in line
    assert "recipes/stage1_data.py" in line
    assert not (tmp_path / "run").exists()


def test_stage1_without_a_tokenizer_in_its_dataset_folder(tmp_path, capsys):
    data = _stage1_data(tmp_path / "stage1", tokenizer=False)
    assert _train(1, tmp_path, "--dataset_path", str(data)) == 2
    line = _one_line(capsys)
    assert "`tokenizer_name_or_path`" in line
    assert str(data / "tokenizer") in line


def test_a_named_tokenizer_that_does_not_exist(tmp_path, capsys):
    data = _stage1_data(tmp_path / "stage1")
    assert _train(1, tmp_path, "--dataset_path", str(data), "--tokenizer_name_or_path", str(tmp_path / "tok")) == 2
    assert "`tokenizer_name_or_path`" in _one_line(capsys)


def test_a_misspelled_key_in_the_yaml_suggests_the_right_one(tmp_path, capsys):
    config = tmp_path / "stage1.yaml"
    config.write_text((TINY / "stage1.yaml").read_text() + "learning_rat: 1.0e-3\n")
    assert run_recipe(1, _never, ["--config", str(config)]) == 2
    line = _one_line(capsys)
    assert "`learning_rat`" in line
    assert "did you mean `learning_rate`" in line


def test_a_misspelled_flag_on_the_command_line(tmp_path, capsys):
    assert _train(1, tmp_path, "--max_stpes", "3") == 2
    assert "did you mean `max_steps`" in _one_line(capsys)


def test_a_missing_base_checkpoint(tmp_path, capsys):
    data = _stage2_data(tmp_path / "stage2")
    assert _train(2, tmp_path, "--dataset_path", str(data), "--model_name_or_path", str(tmp_path / "alpha")) == 2
    line = _one_line(capsys)
    assert "`model_name_or_path`" in line
    assert "train alpha (stage 1) first" in line


def test_stage2_on_stage1_data_is_refused(tmp_path, capsys):
    alpha = _checkpoint(tmp_path / "alpha", stage=1)
    stage1 = _stage1_data(tmp_path / "stage1")
    assert _train(2, tmp_path, "--dataset_path", str(stage1), "--model_name_or_path", str(alpha)) == 2
    line = _one_line(capsys)
    assert "holds stage-1 data, but stage 2 trains on stage-2 data" in line


def test_stage3_from_alpha_instead_of_beta_is_refused_unless_asked_for(tmp_path, capsys):
    alpha = _checkpoint(tmp_path / "alpha", stage=1)
    stage3 = tmp_path / "stage3"
    stage3.mkdir()
    (stage3 / "mixture.yaml").write_text("sources: []\n")
    assert _train(3, tmp_path, "--dataset_path", str(stage3), "--model_name_or_path", str(alpha)) == 2
    assert "is the stage-1 checkpoint, but stage 3 continues beta" in _one_line(capsys)
    ran = []
    argv = ["--config", str(TINY / "stage3.yaml"), "--output_dir", str(tmp_path / "run"), "--dataset_path",
            str(stage3), "--model_name_or_path", str(alpha), "--check_lineage", "false"]  # fmt: skip
    assert run_recipe(3, lambda *a, **k: ran.append(1), argv) == 0
    assert ran == [1]


def test_only_rank_zero_prints(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert _train(1, tmp_path, "--dataset_path", str(tmp_path / "nope")) == 2
    assert capsys.readouterr().err == ""


def _recipe(name: str):
    spec = importlib.util.spec_from_file_location(f"fail_early_{name}", REPO / "recipes" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "argv", "expected"),
    [
        ("stage1_data", ["--config", "recipes/configs/tiny/stage1_data.yaml", "--dedup.treshold", "0.8"],
         "`dedup.treshold`"),
        ("stage2_data", ["--config", "recipes/configs/tiny/stage2_data.yaml", "--stage1_dir", "{tmp}/nope"],
         "`stage1_dir` {tmp}/nope does not exist"),
        ("stage2_data", ["--config", "recipes/configs/tiny/stage2_data.yaml", "--budget_token", "5"],
         "did you mean `budget_tokens`"),
        ("stage3_data", ["--config", "recipes/configs/tiny/stage3_data.yaml", "--input", "{tmp}/nope"],
         "`input` {tmp}/nope does not exist"),
        ("evaluate", ["--config", "recipes/configs/tiny/evaluate.yaml", "--checkpoints", "alpha={tmp}/nope"],
         "`checkpoints` alpha={tmp}/nope is not a saved model"),
    ],
    ids=["stage1_data-key", "stage2_data-path", "stage2_data-key", "stage3_data-path", "evaluate-path"],
)  # fmt: skip
def test_data_and_eval_recipes_fail_in_one_line(name, argv, expected, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    module = _recipe(name)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    parse = (lambda: module.checked_args(argv)) if name == "stage1_data" else (lambda: module.parse_args(argv))
    assert run_checked(f"{name}.py", parse, _never) == 2
    line = _one_line(capsys)
    assert line.startswith(f"{name}.py: error: ")
    assert expected.replace("{tmp}", str(tmp_path)) in line


def test_under_accelerate_launch_the_line_is_printed_once_and_nothing_trains(tmp_path):
    accelerate = Path(sys.executable).parent / "accelerate"
    command = [str(accelerate), "launch", "--config_file", str(REPO / "recipes/accelerate/cpu.yaml"),
               str(REPO / "recipes/stage1.py"), "--config", str(TINY / "stage1.yaml"),
               "--dataset_path", str(tmp_path / "nope"), "--output_dir", str(tmp_path / "alpha")]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert output.count("stage1.py: error: `dataset_path`") == 1, output[-3000:]
    assert "HFValidationError" not in output
    assert "snowcoder_hf/training" not in output
    assert not (tmp_path / "alpha").exists()
