"""lighteval's own CLI function, called in-process with the CLI's arguments, runs the project's tasks offline."""

from __future__ import annotations

import importlib
import json
import logging

import pytest

pytest.importorskip("lighteval")


@pytest.fixture
def restored_logging():
    """lighteval's CLI module configures logging at import (and disables the loggers that exist): undo it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    loggers = {name: (lg.disabled, lg.level) for name, lg in logging.Logger.manager.loggerDict.items()
               if isinstance(lg, logging.Logger)}  # fmt: skip
    yield
    root.handlers[:], root.level = handlers, level
    for name, (disabled, lvl) in loggers.items():
        lg = logging.getLogger(name)
        lg.disabled, lg.level = disabled, lvl


@pytest.mark.slow  # lighteval imports its ~95 built-in task modules first (about 20 s here)
def test_lighteval_cli_runs_the_custom_tasks_end_to_end_offline(monkeypatch, tmp_path, shared_benchmarks,
                                                               tiny_llama_dir, restored_logging):  # fmt: skip
    import torch

    from snowcoder_hf.eval import lighteval_cli

    monkeypatch.setenv("SNOWCODER_BENCHMARK_DIR", str(shared_benchmarks))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    tasks_file = importlib.import_module("snowcoder_hf.eval.lighteval_tasks").__file__
    (results, _details), skipped = lighteval_cli.run_cli([
        "accelerate", f"model_name={tiny_llama_dir},batch_size=2,generation_parameters={{max_new_tokens:16}}",
        "humaneval_plus|0", "--custom-tasks", tasks_file, "--max-samples", "2", "--output-dir", str(tmp_path / "out"),
    ])  # fmt: skip
    assert results["results"]["humaneval_plus:0"]["pass_at_1"] == 0.0  # a random 2-layer model solves nothing
    saved = list((tmp_path / "out").rglob("results_*.json"))
    assert saved
    assert json.loads(saved[0].read_text())["results"]["humaneval_plus|0"]["pass_at_1"] == 0.0
    # the three built-in modules that cannot import on this stack were skipped, and nothing else
    assert {name.removesuffix(".main").rsplit(".", 1)[-1] for name in skipped} == {
        "tiny_benchmarks",
        "mt_bench",
        "mix_eval",
    }
    assert torch.is_grad_enabled()
    from lighteval.tasks.registry import Registry

    assert Registry._load_from_files.__qualname__ == "Registry._load_from_files"  # lighteval's own loader again


def test_a_built_in_task_module_that_fails_to_import_is_skipped_and_the_others_load(tmp_path, monkeypatch):
    """lighteval's registry imports every built-in task module with no guard; one failing import (here a
    stand-in for mt_bench's `HfApi.list_models(model_name=...)`) aborts it, except within the fix."""
    from pathlib import Path

    from lighteval.tasks.registry import Registry

    from snowcoder_hf.eval.lighteval_cli import tolerant_task_registry

    package = tmp_path / "stand_in_tasks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(
        "from snowcoder_hf.eval.lighteval_tasks import task_config\nTASKS_TABLE = [task_config('mbpp_plus')]\n"
    )
    (package / "broken.py").write_text(
        "from huggingface_hub import HfApi\nHfApi().list_models(model_name='judge')\nTASKS_TABLE = []\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("SNOWCODER_BENCHMARK_DIR", raising=False)
    files = [Path("good.py"), Path("broken.py")]
    with pytest.raises(TypeError, match="model_name"):
        Registry._load_from_files(files, "stand_in_tasks")  # lighteval's own loader
    with tolerant_task_registry() as skipped:
        configs = Registry._load_from_files(files, "stand_in_tasks")
    assert list(configs) == ["mbpp_plus"]
    assert skipped == ["stand_in_tasks.broken"]
    assert Registry._load_from_files.__qualname__ == "Registry._load_from_files"
