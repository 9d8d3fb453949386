"""The lighteval custom tasks: offline import, the task table, the project's prompts, the sandboxed metric."""

from __future__ import annotations

import importlib
import math

import pytest

pytest.importorskip("lighteval")

MODULE = "snowcoder_hf.eval.lighteval_tasks"
EXPECTED_TASKS = {
    "humaneval_plus",
    "mbpp_plus",
    "evoeval_difficult",
    "evoeval_creative",
    "evoeval_subtle",
    "evoeval_combine",
    "evoeval_tool_use",
    "bigcodebench",
}


@pytest.fixture
def tasks_module(monkeypatch, tmp_path, shared_benchmarks):
    """The module imported afresh with the offline benchmark copies and a private cache."""
    monkeypatch.setenv("SNOWCODER_BENCHMARK_DIR", str(shared_benchmarks))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    module = importlib.import_module(MODULE)
    module = importlib.reload(module)
    module._items.cache_clear()
    module._SEEN.clear()
    return module


def _responses(texts):
    from lighteval.models.model_output import ModelResponse

    return [ModelResponse(text=[text]) for text in texts]


def test_module_imports_without_network_and_without_a_benchmark_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SNOWCODER_BENCHMARK_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    module = importlib.reload(importlib.import_module(MODULE))  # the socket guard refuses any non-loopback call
    assert {config.name for config in module.TASKS_TABLE} == EXPECTED_TASKS
    assert {config.hf_repo for config in module.TASKS_TABLE} >= {"evalplus/humanevalplus", "bigcode/bigcodebench"}
    assert not (tmp_path / "snowcoder_hf").exists()  # nothing written without a local folder


def test_task_table_holds_exactly_the_eight_tasks_greedy_with_evalplus_stops(tasks_module):
    from snowcoder_hf.eval.prompts import EOS

    configs = {config.name: config for config in tasks_module.TASKS_TABLE}
    assert set(configs) == EXPECTED_TASKS
    for name, config in configs.items():
        assert config.generation_size == 768
        assert config.num_samples is None  # one greedy sample
        assert [metric.metric_name for metric in config.metrics] == ["pass_at_1"]
        assert list(config.stop_sequence[: len(EOS)]) == EOS
        assert ("\nassert" in config.stop_sequence) == (name == "mbpp_plus")
        assert ("\ndef " in config.stop_sequence) == (name != "mbpp_plus")


def test_humaneval_plus_prompts_equal_the_project_prompts_for_every_item(tasks_module, shared_benchmarks):
    from lighteval.tasks.lighteval_task import LightevalTask

    from snowcoder_hf.eval.prompts import build_prompt
    from snowcoder_hf.evalsets.registry import load_benchmark

    config = next(c for c in tasks_module.TASKS_TABLE if c.name == "humaneval_plus")
    docs = LightevalTask(config).get_docs()
    items = {item.task_id: item for item in load_benchmark("humaneval_plus", shared_benchmarks)}
    assert len(docs) == len(items) == 164
    for doc in docs:
        assert doc.query == build_prompt(items[doc.specific["task_id"]], "completion")


def test_index_is_built_once_and_reused(tasks_module, shared_benchmarks, tmp_path):
    first = tasks_module.index_folder("evoeval_subtle", shared_benchmarks, tmp_path / "idx")
    index = first / "index.jsonl"
    stamp = index.stat().st_mtime_ns
    assert tasks_module.index_folder("evoeval_subtle", shared_benchmarks, tmp_path / "idx") == first
    assert index.stat().st_mtime_ns == stamp
    assert len(index.read_text().splitlines()) == 100
    assert not list(first.glob(".index.*"))  # no partial file left behind


def test_metric_scores_canonical_solutions_as_pass_and_wrong_ones_as_fail(tasks_module, shared_benchmarks):
    from lighteval.tasks.lighteval_task import LightevalTask

    from snowcoder_hf.evalsets.registry import load_benchmark

    docs, texts = [], []
    for name in ("humaneval_plus", "evoeval_creative"):
        config = next(c for c in tasks_module.TASKS_TABLE if c.name == name)
        task_docs = sorted(LightevalTask(config).get_docs(), key=lambda d: d.specific["task_id"])[:2]
        items = {item.task_id: item for item in load_benchmark(name, shared_benchmarks)}
        canonical = items[task_docs[0].specific["task_id"]].solution
        texts += [canonical + "\ndef unrelated():\n    pass\n", "    return None\n"]  # cut at "\ndef " / wrong
        docs += task_docs
    scores = tasks_module.pass_at_1.compute_sample(responses=_responses(texts), docs=docs)["pass_at_1"]
    assert scores == [1.0, 0.0, 1.0, 0.0]


def test_metric_leaves_environment_missing_tasks_out_of_the_mean(tasks_module):
    assert tasks_module._nanmean([1.0, float("nan"), 0.0]) == 0.5
    assert math.isnan(tasks_module._nanmean([float("nan")]))


def test_unknown_task_name_and_task_id_raise_clear_errors(tasks_module):
    with pytest.raises(ValueError, match="`name` must be one of"):
        tasks_module.task_config("apps")
    with pytest.raises(ValueError, match="`task_id` 'HumanEval/9999'"):
        tasks_module.item_for("humaneval_plus", {"task_id": "HumanEval/9999"})
    from lighteval.tasks.requests import Doc

    with pytest.raises(ValueError, match="`doc.specific`"):
        tasks_module._item_of(Doc(query="x", choices=[""], gold_index=0))


def test_missing_release_file_names_the_accepted_files(monkeypatch, tmp_path):
    monkeypatch.setenv("SNOWCODER_BENCHMARK_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="HumanEvalPlus.jsonl.gz"):
        importlib.reload(importlib.import_module(MODULE))
    monkeypatch.delenv("SNOWCODER_BENCHMARK_DIR")
    importlib.reload(importlib.import_module(MODULE))


def test_lighteval_pipeline_runs_end_to_end_offline_on_a_tiny_model(tasks_module, tiny_llama_dir, tmp_path):
    import torch

    assert torch.is_grad_enabled()
    results = tasks_module.run(str(tiny_llama_dir), "humaneval_plus|0", str(tmp_path / "out"), max_samples=2,
                               batch_size=2, max_new_tokens=16)  # fmt: skip
    assert results["results"]["humaneval_plus:0"]["pass_at_1"] == 0.0  # a random 2-layer model solves nothing
    assert list((tmp_path / "out").rglob("results_*.json"))
    assert torch.is_grad_enabled(), "lighteval turns gradients off process-wide; run() must restore them"
    from lighteval.tasks.registry import Registry

    assert Registry._load_from_files.__qualname__ == "Registry._load_from_files"  # built-ins loaded again after
