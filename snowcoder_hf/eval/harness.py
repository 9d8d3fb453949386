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

import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from snowcoder_hf.eval import oracle
from snowcoder_hf.eval.expected import expected_outputs
from snowcoder_hf.eval.jobs import (
    HarnessConfig,
    dataset_name,
    diff_job,
    family,
    missing_libs,
    read_record,
    unittest_job,
)
from snowcoder_hf.eval.sandbox.runner import SandboxResult, run_many

STATUSES = ("pass", "fail", "error", "timeout", "oom", "load_error", "no_result", "tampered", "environment_missing")


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


def _sandbox_failure(result: SandboxResult) -> tuple[str, str]:
    if result.status in ("timeout", "oom"):
        return result.status, f"sandbox {result.status} after {result.wall_s:.1f}s"
    tail = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.returncode}"]
    return "no_result", f"no result reported ({result.status}): {tail[0][:300]}"


def _verify_split(item, split: str, record: dict, expected: dict) -> tuple[str, str]:
    """Re-check on the host every output the sandbox returned; only the host's verdict counts."""
    dataset = dataset_name(item)
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
            job = diff_job(item, program, expected[(item.benchmark, item.task_id)], config)
        else:
            job = unittest_job(item, program, config)
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
