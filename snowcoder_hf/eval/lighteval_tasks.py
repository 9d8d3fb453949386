"""lighteval custom tasks: HumanEval+, MBPP+, EvoEval (five categories) and BigCodeBench (complete).

Run with lighteval's own CLI (through `snowcoder_hf.eval.lighteval_cli`, which skips the built-in
task modules that cannot import on huggingface_hub 2; plain `lighteval` stops before reading these)::

    SNOWCODER_BENCHMARK_DIR=path/to/benchmarks python -m snowcoder_hf.eval.lighteval_cli accelerate \\
        "model_name=path/to/checkpoint" "humaneval_plus|0" \\
        --custom-tasks snowcoder_hf/eval/lighteval_tasks.py

- **Prompts** are the project's (`snowcoder_hf.eval.prompts.build_prompt`, completion style: the task
  prompt stripped with one newline added, as EvalPlus builds it for base models); **stop sequences**
  are EvalPlus's EOS list plus its direct-completion extras; generation is greedy, up to 768 new
  tokens (EvalPlus's default).
- **Data**: with `SNOWCODER_BENCHMARK_DIR` set, the release files are read from that folder.
  lighteval loads a task's rows with `datasets.load_dataset(hf_repo, hf_subset, revision)` and has
  no `data_files` option, so its seam for local data is a local folder as `hf_repo`: this module
  writes a one-column index (`task_id`) per benchmark under the cache folder, keyed by the release
  file's path, size and modification time, and the prompt function looks every row up in
  `snowcoder_hf.evalsets.registry.load_benchmark`. (The release files themselves cannot go through
  `datasets`: their mixed-type input lists and NaN values do not fit Arrow columns.) Without the
  variable, rows come from the Hub at the registry's pinned revision.
- **Metric** `pass_at_1`: the completion, cut at the stop sequences, is appended to the prompt the
  model saw and checked by the project's sandboxed harness (`snowcoder_hf.eval.harness.check_programs`, every
  program of a batch in parallel). BigCodeBench tasks whose libraries are not installed score NaN
  and are left out of the mean, as `snowcoder eval` leaves them out of pass@1.

Importing this module reads nothing from the network; only lighteval's full task registry does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
from collections import Counter
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np
from lighteval.metrics.metrics_sample import SampleLevelComputation
from lighteval.metrics.utils.metric_utils import SampleLevelMetric
from lighteval.tasks.lighteval_task import LightevalTaskConfig
from lighteval.tasks.requests import Doc, SamplingMethod

from snowcoder_hf.eval.harness import HarnessConfig, check_programs
from snowcoder_hf.eval.jobs import program_for
from snowcoder_hf.eval.prompts import build_prompt, stop_sequences, truncate_at_stop
from snowcoder_hf.evalsets.registry import BenchmarkItem, benchmark_file, benchmark_spec, load_benchmark

logger = logging.getLogger(__name__)

BENCHMARK_DIR_ENV = "SNOWCODER_BENCHMARK_DIR"
TASK_BENCHMARKS = (
    "humaneval_plus",
    "mbpp_plus",
    "evoeval_difficult",
    "evoeval_creative",
    "evoeval_subtle",
    "evoeval_combine",
    "evoeval_tool_use",
    "bigcodebench",
)
GENERATION_SIZE = 768  # EvalPlus's default max_new_tokens
_INDEX_VERSION = "1"

# Items seen by the prompt functions, so the metric scores against exactly what was prompted.
_SEEN: dict[tuple[str, str], BenchmarkItem] = {}


def benchmark_dir() -> str | None:
    """The folder named by `SNOWCODER_BENCHMARK_DIR`, or None (the Hub)."""
    value = os.environ.get(BENCHMARK_DIR_ENV, "").strip()
    return value or None


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "snowcoder_hf" / "lighteval"


def index_folder(name: str, folder: str | Path, cache_root: str | Path | None = None) -> Path:
    """A folder holding `index.jsonl` (one `{"task_id": ...}` per item of `name`), built on first use."""
    source = benchmark_file(name, folder).resolve()
    stat = source.stat()
    key = hashlib.sha256(f"{_INDEX_VERSION}:{source}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    target = Path(cache_root) if cache_root is not None else _cache_root()
    target = target / f"{name}-{key}"
    index = target / "index.jsonl"
    if not index.is_file():
        target.mkdir(parents=True, exist_ok=True)
        partial = target / f".index.{os.getpid()}.tmp"
        with open(partial, "w", encoding="utf-8") as f:
            for item in load_benchmark(name, folder):
                f.write(json.dumps({"task_id": item.task_id}) + "\n")
        os.replace(partial, index)  # atomic: a run killed halfway leaves no truncated index
    return target


@cache
def _items(name: str, folder: str | None) -> dict[str, BenchmarkItem]:
    return {item.task_id: item for item in load_benchmark(name, folder)}


def item_for(name: str, line: dict) -> BenchmarkItem:
    """The benchmark item of a dataset row: an index row (`task_id` only) or a full Hub record."""
    record = {k: v for k, v in line.items() if not k.startswith("__")}
    if set(record) == {"task_id"}:
        items = _items(name, benchmark_dir())
        task_id = str(record["task_id"])
        if task_id not in items:
            raise ValueError(f"`task_id` {task_id!r} is not in {name!r} as read from {benchmark_dir() or 'the Hub'}.")
        return items[task_id]
    return benchmark_spec(name).convert(name, record)


def _prompt_function(name: str):
    def prompt(line: dict, task_name: str = name) -> Doc:
        item = item_for(name, line)
        _SEEN[(name, item.task_id)] = item
        return Doc(
            task_name=task_name,
            query=build_prompt(item, "completion"),
            choices=[""],
            gold_index=0,
            specific={"benchmark": name, "task_id": item.task_id},
        )

    prompt.__name__ = f"{name}_prompt"
    return prompt


def _item_of(doc: Doc) -> BenchmarkItem:
    if not doc.specific or "benchmark" not in doc.specific:
        raise ValueError("`doc.specific` must hold `benchmark` and `task_id`, as this module's prompt functions set.")
    name, task_id = doc.specific["benchmark"], str(doc.specific["task_id"])
    item = _SEEN.get((name, task_id))
    return item if item is not None else item_for(name, {"task_id": task_id})


class SandboxedPassAt1(SampleLevelComputation):
    """pass@1 of greedy completions, checked by the project's sandboxed per-benchmark harness."""

    def __init__(self, config: HarnessConfig | None = None):
        self.config = config

    def compute(self, responses, docs, **kwargs) -> list[float]:
        items = [_item_of(doc) for doc in docs]
        programs = []
        for item, response in zip(items, responses, strict=True):
            texts = response.final_text
            completion = truncate_at_stop(texts[0] if texts else "", stop_sequences(item, "completion"))
            # The program is the prompt the model saw plus its completion, as EvalPlus joins them: many
            # EvoEval prompts end at the closing quotes with no newline, which the prompt adds.
            programs.append(program_for(item, solution=build_prompt(item, "completion") + completion))
        results = check_programs(items, programs, self.config)
        logger.info("sandboxed pass@1 statuses: %s", dict(Counter(r.status for r in results)))
        return [float("nan") if r.status == "environment_missing" else float(r.passed) for r in results]


def _nanmean(values) -> float:
    values = np.asarray(list(values), dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


pass_at_1 = SampleLevelMetric(
    metric_name="pass_at_1",
    higher_is_better=True,
    category=SamplingMethod.GENERATIVE,
    sample_level_fn=SandboxedPassAt1(),
    corpus_level_fn=_nanmean,
    batched_compute=True,
)


def task_config(name: str) -> LightevalTaskConfig:
    """The lighteval task of `name`: local index rows when `SNOWCODER_BENCHMARK_DIR` is set, else the Hub."""
    if name not in TASK_BENCHMARKS:
        raise ValueError(f"`name` must be one of {', '.join(TASK_BENCHMARKS)}, got {name!r}.")
    spec = benchmark_spec(name)
    folder = benchmark_dir()
    if folder is not None:
        repo, subset, revision, split = str(index_folder(name, folder)), "default", None, "train"
    else:
        repo, subset, revision, split = spec.hub_id, spec.hub_config or "default", spec.revision, spec.hub_split
    return LightevalTaskConfig(
        name=name,
        prompt_function=_prompt_function(name),
        hf_repo=repo,
        hf_subset=subset,
        hf_revision=revision,
        hf_avail_splits=[split],
        evaluation_splits=[split],
        few_shots_split=None,
        few_shots_select=None,
        generation_size=GENERATION_SIZE,
        stop_sequence=stop_sequences(_StopKey(name), "completion"),
        metrics=[pass_at_1],
        version=0,
    )


class _StopKey:
    """Stop sequences depend only on the benchmark name."""

    def __init__(self, benchmark: str):
        self.benchmark = benchmark


TASKS_TABLE = [task_config(name) for name in TASK_BENCHMARKS]


@contextmanager
def only_custom_tasks():
    """Within it, lighteval's registry loads only custom tasks, not its built-in modules (in lighteval
    0.13 importing those downloads a tinyBenchmarks pickle from GitHub, fetches nltk data, and
    `mt_bench` calls `HfApi.list_models(model_name=...)`, which huggingface_hub 2 rejects)."""
    from lighteval.tasks.registry import Registry

    saved = Registry.__dict__["_load_from_files"], Registry.__dict__["_load_from_subdirs"]
    Registry._load_from_files = staticmethod(lambda files, module_prefix: {})
    Registry._load_from_subdirs = staticmethod(lambda subdirs: {})
    try:
        yield
    finally:
        Registry._load_from_files, Registry._load_from_subdirs = saved


def run(model: str, tasks: str, output_dir: str, max_samples: int | None = None, batch_size: int = 1,
        max_new_tokens: int | None = None) -> dict:  # fmt: skip
    """Run these tasks through lighteval's accelerate/transformers pipeline; returns its results dict."""
    import torch

    # lighteval's transformers model module calls `torch.set_grad_enabled(False)` at import and at model
    # creation, process-wide; give the caller its grad mode back, or later training in-process gets no grads.
    grad_enabled = torch.is_grad_enabled()
    try:
        return _run(model, tasks, output_dir, max_samples, batch_size, max_new_tokens)
    finally:
        torch.set_grad_enabled(grad_enabled)


def _run(model: str, tasks: str, output_dir: str, max_samples: int | None, batch_size: int,
         max_new_tokens: int | None) -> dict:  # fmt: skip
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.models.transformers.transformers_model import TransformersModelConfig
    from lighteval.pipeline import ParallelismManager, Pipeline, PipelineParameters

    generation = {"max_new_tokens": max_new_tokens} if max_new_tokens else {}
    with only_custom_tasks():
        pipeline = Pipeline(
            tasks=tasks,
            pipeline_parameters=PipelineParameters(
                launcher_type=ParallelismManager.ACCELERATE,
                custom_tasks_directory=sys.modules[__name__],
                max_samples=max_samples,
            ),  # fmt: skip
            evaluation_tracker=EvaluationTracker(output_dir=output_dir, save_details=True),
            model_config=TransformersModelConfig(
                model_name=model, batch_size=batch_size, generation_parameters=generation
            ),  # fmt: skip
        )
    pipeline.evaluate()
    pipeline.show_results()
    pipeline.save_and_push_results()
    return pipeline.get_results()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m snowcoder_hf.eval.lighteval_tasks",
        description="Run the lighteval code tasks offline: only these tasks are registered, not lighteval's own.",
    )
    parser.add_argument("model", help="a local checkpoint folder (transformers)")
    parser.add_argument("tasks", help=f"comma-separated, e.g. 'humaneval_plus|0'; known: {', '.join(TASK_BENCHMARKS)}")
    parser.add_argument("--output-dir", default="lighteval_results")
    parser.add_argument("--max-samples", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=None, help=f"default {GENERATION_SIZE}")
    args = parser.parse_args(argv)
    run(args.model, args.tasks, args.output_dir, args.max_samples, args.batch_size, args.max_new_tokens)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
