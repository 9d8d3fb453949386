"""Sandbox jobs of the checking run: the program under test, its driver and inputs, and its limits."""

from __future__ import annotations

import ast
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from snowcoder_hf.eval import oracle
from snowcoder_hf.eval.sandbox.runner import SandboxResult

_HERE = Path(__file__).parent
DIFF_DATASETS = {"humaneval_plus": "humaneval", "mbpp_plus": "mbpp"}  # name -> EvalPlus dataset name


@dataclass
class HarnessConfig:
    """Limits of the checking run. The defaults are EvalPlus's and BigCodeBench's."""

    min_time_limit: float = 1.0  # EvalPlus DEFAULT_MIN_TIME_LIMIT
    gt_time_limit_factor: float = 4.0  # EvalPlus DEFAULT_GT_TIME_LIMIT_FACTOR
    max_split_s: float = 60.0  # EvalPlus EVALPLUS_TIMEOUT_PER_TASK
    startup_s: float = 5.0  # interpreter start and imports, not charged to the solution
    memory_mb: int = 4096  # EvalPlus EVALPLUS_MAX_MEMORY_BYTES
    unittest_timeout_s: float = 240.0  # BigCodeBench's per-task timeout
    unittest_memory_mb: int = 30 * 1024  # BigCodeBench's max_as_limit
    workers: int | None = None  # every core
    cache_dir: str | None = None  # expected outputs of the canonical solutions

    def __post_init__(self):
        for name in ("min_time_limit", "gt_time_limit_factor", "max_split_s", "startup_s", "unittest_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"`{name}` must be a positive number of seconds, got {getattr(self, name)!r}.")


def family(benchmark: str) -> str:
    if benchmark in DIFF_DATASETS or benchmark.startswith("evoeval_"):
        return "diff"
    if benchmark in ("bigcodebench", "bigcodebench_instruct"):
        return "unittest"
    if benchmark == "humaneval":
        return "check"
    raise ValueError(
        f"`benchmark` {benchmark!r} has no execution harness; supported: humaneval, humaneval_plus, mbpp_plus, "
        "evoeval_<category>, bigcodebench."
    )


def program_for(item, completion: str | None = None, solution: str | None = None) -> str:
    """The full solution program: `solution` as given, or the prompt followed by `completion`
    (for BigCodeBench, the `complete_prompt`), or the canonical solution when both are None."""
    if solution is not None:
        return solution
    prompt = item.raw.get("complete_prompt", item.prompt) if item.benchmark.startswith("bigcodebench") else item.prompt
    if completion is not None:
        # The text the model continued (`prompts.build_prompt`): many EvoEval prompts end at the closing
        # `"""` with no newline, and a raw `prompt + completion` would glue the first line onto it.
        return prompt.strip() + "\n" + completion
    if item.benchmark.startswith("evoeval_"):
        return prompt + "\n" + item.solution  # EvoEval's ground truth joins them with a newline
    return prompt + item.solution


def missing_libs(item) -> list[str]:
    """BigCodeBench `libs` that cannot be imported here (checked once per name)."""
    libs = item.raw.get("libs") or []
    if isinstance(libs, str):
        libs = ast.literal_eval(libs) if libs.strip().startswith("[") else [libs]
    return [lib for lib in libs if not _importable(lib)]


_IMPORTABLE: dict[str, bool] = {}


def _importable(name: str) -> bool:
    if name not in _IMPORTABLE:
        try:
            _IMPORTABLE[name] = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            _IMPORTABLE[name] = False
    return _IMPORTABLE[name]


def dataset_name(item) -> str:
    return DIFF_DATASETS.get(item.benchmark, item.benchmark)  # EvoEval: "evoeval_<category>"


def diff_job(item, program: str, expected: dict | None, config: HarnessConfig) -> dict:
    dataset = dataset_name(item)
    split_names = ("base", "plus") if item.benchmark in DIFF_DATASETS else ("base",)
    job = {"dataset": dataset, "task_id": item.task_id, "entry_point": item.entry_point,
           "atol": float(item.raw.get("atol") or 0), "splits": list(split_names), "fast_check": True,
           "output_not_none": dataset == "mbpp" and item.entry_point in oracle.MBPP_OUTPUT_NOT_NONE_TASKS}  # fmt: skip
    timeout = config.startup_s
    for split in split_names:
        inputs = item.raw["inputs"] if dataset.startswith("evoeval_") else item.raw[f"{split}_input"]
        job[split] = {"inputs": inputs}
        if expected is not None:
            limits = [max(config.min_time_limit, config.gt_time_limit_factor * t) for t in expected[split]["times"]]
            job[split].update(expected=expected[split]["outputs"], time_limits=limits)
            timeout += min(config.max_split_s, sum(limits)) + 1
        else:
            timeout += 10 * config.max_split_s  # the canonical run: generous, it is trusted to finish
    if expected is None:
        job["output_not_none"] = job["output_not_none"]
        job["fast_check"] = False
    source = (_HERE / "oracle.py").read_text() + "\n" + (_HERE / "_diff_driver.py").read_text()
    return {"source": source, "files": {"job.json": json.dumps(job), "solution.py": program},
            "timeout_s": timeout, "memory_mb": config.memory_mb, "max_file_mb": 512, "max_output_mb": 512}  # fmt: skip


def unittest_job(item, program: str, config: HarnessConfig) -> dict:
    mode = "unittest" if family(item.benchmark) == "unittest" else "check"
    job = {"mode": mode, "entry_point": item.entry_point}
    full = program + "\n" + (item.test or "") + "\n"
    timeout = config.unittest_timeout_s if mode == "unittest" else config.startup_s + config.max_split_s
    memory = config.unittest_memory_mb if mode == "unittest" else config.memory_mb
    return {"source": (_HERE / "_unittest_driver.py").read_text(), "timeout_s": timeout, "memory_mb": memory,
            "files": {"job.json": json.dumps(job), "under_test.py": full}}  # fmt: skip


def read_record(result: SandboxResult, nonce: str) -> dict | None:
    """The driver's record: the last stdout line carrying this run's nonce, or None."""
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(nonce + " "):
            try:
                return json.loads(line[len(nonce) + 1 :])
            except json.JSONDecodeError:
                return None
    return None
