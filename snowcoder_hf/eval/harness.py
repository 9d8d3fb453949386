"""Per-benchmark checking of generated code, each program in its own sandbox, in parallel.

- **HumanEval+ / MBPP+** (EvalPlus): the solution's entry point runs on the base and the plus inputs;
  its outputs are compared on the host with EvalPlus's oracle (`oracle.outputs_match`: `atol`, the
  float rule, MBPP+'s special oracles). Expected outputs and reference times come from running the
  canonical solution; each input's time limit is `max(min_time_limit, gt_time_limit_factor * ref)`
  (EvalPlus defaults 1 s and 4x), each split's budget `min(60, sum(limits)) + 1` s. A task passes
  when base and plus both pass.
- **EvoEval**: the same, with the release's `inputs` as the only split; expected outputs come from
  running the canonical solution on them, as the EvoEval harness does.
- **BigCodeBench**: the unittest class runs against the solution; a task whose `libs` are not all
  importable here is `environment_missing`, reported apart from failures.
- **HumanEval**: the release's `check(candidate)`.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from snowcoder_hf.eval import oracle
from snowcoder_hf.eval.expected import expected_outputs
from snowcoder_hf.sandbox import SandboxResult, run_many

_HERE = Path(__file__).parent
DIFF_DATASETS = {"humaneval_plus": "humaneval", "mbpp_plus": "mbpp"}  # name -> EvalPlus dataset name
STATUSES = ("pass", "fail", "error", "timeout", "oom", "load_error", "no_result", "tampered", "environment_missing")


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


@dataclass
class TaskResult:
    benchmark: str
    task_id: str
    status: str  # one of STATUSES
    detail: str = ""
    splits: dict[str, str] = field(default_factory=dict)  # EvalPlus: {"base": "pass", "plus": "fail"}
    wall_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


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


def _dataset(item) -> str:
    return DIFF_DATASETS.get(item.benchmark, item.benchmark)  # EvoEval: "evoeval_<category>"


def _diff_job(item, program: str, expected: dict | None, config: HarnessConfig) -> dict:
    dataset = _dataset(item)
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


def _unittest_job(item, program: str, config: HarnessConfig) -> dict:
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


def _sandbox_failure(result: SandboxResult) -> tuple[str, str]:
    if result.status in ("timeout", "oom"):
        return result.status, f"sandbox {result.status} after {result.wall_s:.1f}s"
    tail = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.returncode}"]
    return "no_result", f"no result reported ({result.status}): {tail[0][:300]}"


def _verify_split(item, split: str, record: dict, expected: dict) -> tuple[str, str]:
    """Re-check on the host every output the sandbox returned; only the host's verdict counts."""
    dataset = _dataset(item)
    part = record.get(split)
    if part is None:
        return "not_run", ""
    if dataset.startswith("evoeval_"):
        inputs = oracle.evo_parse_inputs(item.raw["inputs"])
    else:
        inputs = item.raw[f"{split}_input"]
    if dataset == "mbpp":
        inputs = oracle.mbpp_deserialize_inputs(item.task_id, inputs)
    want = [oracle.decode(e) for e in expected[split]["outputs"]]
    atol = float(item.raw.get("atol") or 0)
    for i, encoded in enumerate(part["outputs"]):
        got = oracle.decode(encoded)
        passed, atol = oracle.outputs_match(dataset, item.entry_point, inputs[i], got, want[i], atol, item.task_id)
        if not passed:
            return "fail", f"{split} input #{i}: wrong output"
    if part.get("error"):
        return part.get("error_kind", "error"), f"{split} input #{len(part['outputs'])}: {part['error']}"
    if len(part["outputs"]) != len(want):
        return "fail", f"{split}: {len(part['outputs'])} of {len(want)} inputs checked"
    return "pass", ""


def _score_diff(item, result: SandboxResult, record: dict | None, expected: dict) -> TaskResult:
    task = TaskResult(item.benchmark, item.task_id, "fail", wall_s=result.wall_s)
    if record is None:
        task.status, task.detail = _sandbox_failure(result)
        return task
    if record.get("load_error"):
        task.status, task.detail = "load_error", record["load_error"]
        return task
    verdicts = {split: _verify_split(item, split, record, expected) for split in expected}
    task.splits = {split: status for split, (status, _) in verdicts.items()}
    failed = [(status, detail) for status, detail in verdicts.values() if status != "pass"]
    if not failed:
        task.status = "pass"
    else:
        status, detail = next((s, d) for s, d in failed if s != "not_run")
        task.status, task.detail = ("error" if status == "not_run" else status), detail
    return task


def _score_unittest(item, result: SandboxResult, record: dict | None) -> TaskResult:
    task = TaskResult(item.benchmark, item.task_id, "fail", wall_s=result.wall_s)
    if record is None:
        task.status, task.detail = _sandbox_failure(result)
    elif record.get("tampered"):
        task.status, task.detail = "tampered", "the solution replaced part of the unittest machinery"
    elif record.get("load_error"):
        task.status, task.detail = "load_error", record["load_error"]
    elif record.get("failures"):
        task.status, task.detail = "fail", "\n".join(record["failures"])[:2000]
    elif record.get("tests_run", 1) == 0:
        task.status, task.detail = "fail", "no test ran"
    else:
        task.status = "pass"
    return task


def check_programs(
    items: Sequence,
    programs: Sequence[str],
    config: HarnessConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[TaskResult]:
    """Check `programs[i]` (a full solution program) against `items[i]`; results in the same order."""
    if len(items) != len(programs):
        raise ValueError(f"`programs` must have one entry per item: {len(programs)} for {len(items)} items.")
    config = config or HarnessConfig()
    diff_items = [item for item in items if family(item.benchmark) == "diff"]
    expected = expected_outputs(diff_items, config) if diff_items else {}
    results: list[TaskResult | None] = [None] * len(items)
    jobs, slots, nonces = [], [], []
    for i, (item, program) in enumerate(zip(items, programs, strict=True)):
        if family(item.benchmark) == "unittest" and (missing := missing_libs(item)):
            results[i] = TaskResult(item.benchmark, item.task_id, "environment_missing",
                                    detail=f"not installed: {', '.join(missing)}")  # fmt: skip
            if progress:
                progress(1)
            continue
        if family(item.benchmark) == "diff":
            job = _diff_job(item, program, expected[(item.benchmark, item.task_id)], config)
        else:
            job = _unittest_job(item, program, config)
        nonce = secrets.token_hex(16)
        jobs.append({**job, "stdin": nonce + "\n"})
        slots.append(i)
        nonces.append(nonce)
    outcomes = run_many(jobs, workers=config.workers, progress=progress)
    for i, nonce, outcome in zip(slots, nonces, outcomes, strict=True):
        item = items[i]
        record = read_record(outcome, nonce)
        if family(item.benchmark) == "diff":
            results[i] = _score_diff(item, outcome, record, expected[(item.benchmark, item.task_id)])
        else:
            results[i] = _score_unittest(item, outcome, record)
    return results  # type: ignore[return-value]


def python_info() -> str:
    return f"{sys.implementation.name} {sys.version.split()[0]}"
