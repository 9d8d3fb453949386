"""Score samples against benchmarks: map each sample to its item, check it, and summarise pass@k.

Environment-missing tasks (BigCodeBench libraries not installed) are left out of pass@1 and counted
apart, so a missing library never reads as a model failure.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable

from snowcoder_hf.eval.harness import HarnessConfig, TaskResult, check_programs
from snowcoder_hf.eval.passk import mean_pass_at_k
from snowcoder_hf.eval.samples import solution_program

GROUPS = {"evoeval": ("evoeval_difficult", "evoeval_creative", "evoeval_subtle", "evoeval_combine",
                      "evoeval_tool_use")}  # fmt: skip


def score_samples(
    samples: list[dict],
    benchmark_dir: str | None,
    config: HarnessConfig | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[TaskResult], list[str], dict[str, int]]:
    """Check every sample; returns results, the programs checked, and counts of unmatched samples."""
    from snowcoder_hf.evalsets.registry import load_benchmark

    by_benchmark: dict[str, dict[str, object]] = {}
    items, programs, unmatched = [], [], Counter()
    for sample in samples:
        name = sample["benchmark"]
        if name not in by_benchmark:
            by_benchmark[name] = {item.task_id: item for item in load_benchmark(name, benchmark_dir)}
        item = by_benchmark[name].get(str(sample["task_id"]))
        if item is None:
            unmatched["unknown_task_id"] += 1
            continue
        items.append(item)
        programs.append(solution_program(item, sample))
    results = check_programs(items, programs, config, progress=progress)
    return results, programs, dict(unmatched)


def summarize(results: list[TaskResult], k: int = 1) -> dict[str, dict]:
    """Per benchmark (and per group, e.g. the five EvoEval categories as "evoeval"): pass@k in percent,
    tasks scored, environment-missing tasks, and statuses."""
    per_task: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    statuses: dict[str, Counter] = defaultdict(Counter)
    missing: Counter = Counter()
    for result in results:
        statuses[result.benchmark][result.status] += 1
        if result.status == "environment_missing":
            missing[result.benchmark] += 1
            continue
        per_task[result.benchmark][result.task_id].append(result.passed)
    summary = {}
    for name in sorted(statuses):
        counts = [(len(v), sum(v)) for v in per_task[name].values()]
        summary[name] = _entry(counts, k, missing[name], statuses[name])
    for group, members in GROUPS.items():
        present = [m for m in members if m in statuses]
        if len(present) > 1:
            counts = [(len(v), sum(v)) for m in present for v in per_task[m].values()]
            merged = sum((statuses[m] for m in present), Counter())
            summary[group] = _entry(counts, k, sum(missing[m] for m in present), merged)
    return summary


def _entry(counts, k, missing, statuses) -> dict:
    usable = [(n, c) for n, c in counts if n >= k]
    value = 100 * mean_pass_at_k(usable, k) if usable else None
    return {f"pass@{k}": value, "tasks": len(usable), "environment_missing": missing, "statuses": dict(statuses)}
