"""Every shipped YAML parses strictly, and the paper configs hold the paper's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from snowcoder_hf.training.checks import steps_for_budget
from snowcoder_hf.training.schedules import lr_at

REPO = Path(__file__).resolve().parents[1]
# The training configs (the data stages' configs share these folders and parse with their own scripts).
CONFIGS = sorted([*(REPO / "recipes" / "configs" / scale / f"stage{n}.yaml" for scale in ("tiny", "paper")
                    for n in (1, 2, 3)), *(REPO / "recipes" / "configs" / "ablations").glob("stage*.yaml")])  # fmt: skip


def parse_file(path: Path):
    import torch
    from transformers import TrainingArguments
    from trl import TrlParser

    from snowcoder_hf.training.arguments import DataArguments, ModelArguments, StageArguments

    parser = TrlParser((StageArguments, DataArguments, ModelArguments, TrainingArguments))
    # The paper configs ask for bf16, which TrainingArguments refuses on a machine with no GPU unless told CPU.
    cpu = [] if torch.cuda.is_available() else ["--use_cpu", "true"]
    return parser.parse_args_and_config(args=["--config", str(path), *cpu])


def test_every_stage_and_ablation_config_is_shipped():
    names = {str(p.relative_to(REPO / "recipes" / "configs")) for p in CONFIGS if p.exists()}
    for scale in ("tiny", "paper"):
        assert {f"{scale}/stage{n}.yaml" for n in (1, 2, 3)} <= names
    assert {f"ablations/stage2_repeat{k}.yaml" for k in range(1, 6)} <= names
    assert {"ablations/stage2_lr_linear.yaml", "ablations/stage2_lr_constant.yaml",
            "ablations/stage1_repo_only.yaml", "ablations/stage1_repo_dedup.yaml"} <= names  # fmt: skip


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(REPO / "recipes" / "configs")))
def test_shipped_config_parses_strictly(path):
    stage, data, model, training = parse_file(path)
    assert stage.lr_schedule in ("warmup_cosine", "warmup_linear", "constant")
    assert data.dataset_path
    assert not training.push_to_hub


def test_paper_stage1_is_the_papers_run():
    stage, data, model, training = parse_file(REPO / "recipes/configs/paper/stage1.yaml")
    assert model.model_preset == "arctic-1.3b"
    assert data.seq_len == 8192
    assert training.per_device_train_batch_size * training.gradient_accumulation_steps * 8 == 512
    steps = steps_for_budget(stage.token_budget, 512 * 8192)
    assert steps == 119_210
    assert lr_at(stage.lr_schedule, int(training.warmup_steps), warmup_steps=int(training.warmup_steps),
                 max_steps=steps, peak_lr=training.learning_rate, min_lr=stage.min_learning_rate) == 5.3e-4  # fmt: skip
    assert stage.min_learning_rate == 5.3e-5
    assert int(training.warmup_steps) == 600


def test_paper_stage2_rewarms_over_1000_steps_and_decays_to_zero():
    stage, data, model, training = parse_file(REPO / "recipes/configs/paper/stage2.yaml")
    assert model.model_name_or_path
    assert not model.model_preset
    assert (stage.lr_schedule, stage.min_learning_rate, int(training.warmup_steps)) == ("warmup_linear", 0.0, 1000)
    assert training.learning_rate == 5.3e-4
    assert stage.token_budget == 50_000_000_000


def test_table5_and_table6_ablations_change_only_what_they_study():
    base = yaml.safe_load((REPO / "recipes/configs/paper/stage2.yaml").read_text())
    linear = yaml.safe_load((REPO / "recipes/configs/ablations/stage2_lr_linear.yaml").read_text())
    constant = yaml.safe_load((REPO / "recipes/configs/ablations/stage2_lr_constant.yaml").read_text())
    assert (linear["learning_rate"], linear["warmup_steps"], linear["lr_schedule"]) == (5.3e-5, 0, "warmup_linear")
    assert (constant["learning_rate"], constant["lr_schedule"]) == (5.3e-5, "constant")
    for k in range(1, 6):
        repeat = yaml.safe_load((REPO / f"recipes/configs/ablations/stage2_repeat{k}.yaml").read_text())
        assert repeat["repeat"] == k
        assert repeat["token_budget"] == base["token_budget"]  # 50B in all, 50/k B unique
        assert {key for key in repeat if repeat[key] != base.get(key)} <= {"repeat", "dataset_path", "output_dir",
                                                                           "push_repo_id"}  # fmt: skip


@pytest.mark.parametrize("scale", ["paper", "tiny"])
def test_repo_dedup_ablation_changes_only_the_dedup_level(scale):
    from snowcoder_hf.stages.stage1_config import load_config

    path = REPO / ("recipes/configs/ablations/data/stage1_repo_dedup.yaml" if scale == "paper"
                   else "recipes/configs/tiny/stage1_data_repo_dedup.yaml")  # fmt: skip
    base = yaml.safe_load((REPO / f"recipes/configs/{scale}/stage1_data.yaml").read_text())
    ablation = yaml.safe_load(path.read_text())
    assert ablation["dedup"] == {**base["dedup"], "level": "repo"}
    assert {key for key in ablation if ablation[key] != base.get(key)} == {"dedup", "output_dir"}
    assert ablation["output_dir"] == f"outputs/{scale}/stage1_repo_dedup"
    assert load_config(path).dedup.level == "repo"
    assert load_config(REPO / f"recipes/configs/{scale}/stage1_data.yaml").dedup.level == "file"


def test_repo_dedup_training_ablation_trains_on_the_repo_deduplicated_data():
    base = yaml.safe_load((REPO / "recipes/configs/paper/stage1.yaml").read_text())
    ablation = yaml.safe_load((REPO / "recipes/configs/ablations/stage1_repo_dedup.yaml").read_text())
    data = yaml.safe_load((REPO / "recipes/configs/ablations/data/stage1_repo_dedup.yaml").read_text())
    assert ablation["dataset_path"] == data["output_dir"]
    assert {key for key in ablation if ablation[key] != base.get(key)} == {"dataset_path", "output_dir"}


@pytest.mark.parametrize("name", ["cpu", "single_gpu", "fsdp_8gpu", "fsdp_multinode"])
def test_accelerate_configs_are_valid_accelerate_yaml(name):
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(REPO / "recipes" / "accelerate" / f"{name}.yaml"))
    expected = {"cpu": 2, "single_gpu": 1, "fsdp_8gpu": 8, "fsdp_multinode": 32}[name]
    assert config.num_processes == expected
    if name.startswith("fsdp"):
        assert config.fsdp_config["fsdp_transformer_layer_cls_to_wrap"] == "LlamaDecoderLayer"
