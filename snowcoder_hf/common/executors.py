"""Choose a DataTrove executor by config, so the pipeline code is the same on a laptop, Slurm or Ray.

A config's `executor:` section looks like
    executor: {type: local, tasks: 4, workers: 2}
    executor: {type: slurm, tasks: 512, time: "4:00:00", partition: cpu, cpus_per_task: 2}
    executor: {type: ray, tasks: 64, workers: 16}
Every key except `type` is passed to the DataTrove executor's constructor, which rejects unknown ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EXECUTOR_TYPES = ("local", "slurm", "ray")


def build_executor(pipeline: Sequence[Any], executor_config: dict[str, Any] | None, logging_dir: str, **overrides):
    """Return a DataTrove executor of `executor_config["type"]` running `pipeline`.

    `overrides` (for example `depends=` to chain stages) win over the config's keys.
    """
    config = dict(executor_config or {})
    kind = config.pop("type", "local")
    config.update(overrides)
    config.setdefault("logging_dir", logging_dir)
    if kind == "local":
        from datatrove.executor import LocalPipelineExecutor

        # DataTrove defaults to forkserver, which re-imports the world in every worker; fork is
        # cheaper for the short pipelines here and keeps blocks built in-process (tests) usable.
        config.setdefault("start_method", "fork")
        return LocalPipelineExecutor(pipeline=list(pipeline), **config)
    if kind == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        return SlurmPipelineExecutor(pipeline=list(pipeline), **config)
    if kind == "ray":
        from datatrove.executor import RayPipelineExecutor

        return RayPipelineExecutor(pipeline=list(pipeline), **config)
    raise ValueError(f"`executor.type` must be one of {', '.join(EXECUTOR_TYPES)}, got {kind!r}.")
