"""Run a chain of DataTrove pipelines ("stages") on the executor a config names, and time each one.

Locally the stages run one after the other, so each gets its own wall time. On Slurm or Ray they are
chained with `depends=` and submitted together. Each stage logs to `stats_dir/<name>/`, where DataTrove's
completion markers make a re-run skip every task that already finished: a killed run resumes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snowcoder_hf.common.executors import build_executor


@dataclass
class Stage:
    name: str
    pipeline: list
    tasks: int = 1


@dataclass
class StageTiming:
    name: str
    seconds: float
    tasks: int


@dataclass
class StagesResult:
    timings: list[StageTiming] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.timings)


def _stage_config(executor_config: dict[str, Any] | None, tasks: int) -> dict[str, Any]:
    config = dict(executor_config or {"type": "local"})
    config["tasks"] = tasks
    if config.get("type", "local") == "local":
        workers = int(config.get("workers", -1))
        config["workers"] = tasks if workers < 1 else min(workers, tasks)
    return config


def run_stages(stages: list[Stage], executor_config: dict[str, Any] | None, stats_dir: str | Path) -> StagesResult:
    """Run `stages` in order; returns their wall times (submission time on Slurm/Ray)."""
    result = StagesResult()
    kind = (executor_config or {}).get("type", "local")
    previous = None
    for stage in stages:
        if stage.tasks < 1:
            raise ValueError(f"`tasks` of stage {stage.name} must be at least 1, got {stage.tasks}.")
        config = _stage_config(executor_config, stage.tasks)
        if kind == "local":
            start = time.perf_counter()
            build_executor(stage.pipeline, config, str(Path(stats_dir) / stage.name)).run()
            result.timings.append(StageTiming(stage.name, time.perf_counter() - start, stage.tasks))
        else:
            previous = build_executor(stage.pipeline, config, str(Path(stats_dir) / stage.name), depends=previous)
    if previous is not None:
        start = time.perf_counter()
        previous.run()
        result.timings.append(StageTiming("submit", time.perf_counter() - start, 0))
    return result
