"""The whole recipe as one resumable run: curate, train alpha, annotate and select, train beta, synthesize,
train the final model, evaluate, publish every artifact, and write a one-page report.

Steps come from a YAML (embedded default: `recipes/configs/tiny/demo.yaml`). Each runs the command a
user would, in a subprocess, its output in `OUT/logs/<step>.log`. A finished step leaves a marker in
`OUT/.steps/<step>.json`; a rerun skips every step whose marker and outputs exist. Before anything
runs, every pending step's entry point is checked, so a missing stage fails at once, by name.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from snowcoder_hf.demo.config import PROJECT_ROOT, DemoConfig, Step, expand, missing_entry_point


class StepMarkers:
    """`OUT/.steps/<name>.json`: written when a step finishes, removed to redo it."""

    def __init__(self, out: Path):
        self.folder = out / ".steps"

    def done(self, step: Step, out: Path) -> bool:
        marker = self.folder / f"{step.name}.json"
        return marker.exists() and all(Path(expand(p, out)).exists() for p in step.outputs)

    def mark(self, name: str, record: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{name}.json").write_text(json.dumps(record, indent=2))

    def read(self, name: str) -> dict[str, Any] | None:
        path = self.folder / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def clear_from(self, names: list[str], start: str) -> None:
        if start not in names:
            raise ValueError(f"`--restart-from` must be one of {names}, got {start!r}.")
        for name in names[names.index(start) :]:
            (self.folder / f"{name}.json").unlink(missing_ok=True)


def run_logged(argv: list[str], log_path: Path, on_line: Callable[[str], None], env: dict[str, str]) -> int:
    """Run `argv` from the project root, teeing its output to `log_path` and each line to `on_line`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8", buffering=1) as log:  # line-buffered: `tail -f` works
        log.write(f"$ {shlex.join(argv)}\n")
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1)  # fmt: skip
        for line in process.stdout:
            log.write(line)
            on_line(line.rstrip()[-100:])
        return process.wait()


def step_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env["PYTHONUNBUFFERED"] = "1"  # so each step's log, and the live progress line, stream as the step runs
    env["HF_HUB_OFFLINE"] = "1"  # steps read local paths only; publishing happens in the demo process
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


class StepFailed(RuntimeError):
    pass


def run_demo(config: DemoConfig, out: Path, *, restart_from: str | None = None, hub_org: str | None = None,
             console=None, runner: Callable = run_logged) -> dict[str, Any]:  # fmt: skip
    """Run every pending step, publish, and write the report; returns `{step: status}` and the report path."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from snowcoder_hf.demo.publish import publish_all
    from snowcoder_hf.demo.report import write_report

    console = console or Console()
    out.mkdir(parents=True, exist_ok=True)
    markers = StepMarkers(out)
    names = [s.name for s in config.steps] + ["publish"]
    if restart_from:
        markers.clear_from(names, restart_from)
    pending = [s for s in config.steps if not markers.done(s, out)]
    problems = [f"step `{s.name}` ({s.title}): {why}" for s in pending if (why := missing_entry_point(s))]
    if problems:
        raise StepFailed("cannot run the demo, a stage is missing:\n  " + "\n  ".join(problems))
    status: dict[str, str] = {}
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        overall = progress.add_task("[bold]snowcoder demo", total=len(config.steps) + 2)
        for index, step in enumerate(config.steps, 1):
            label = f"{index}/{len(config.steps) + 2} {step.title}"
            if step not in pending:
                status[step.name] = "skipped (done)"
                # soft_wrap: one line per step, so logs and `grep` see whole lines at any terminal width
                progress.console.print(f"[dim]✓ {label}: already done, skipped[/]", soft_wrap=True)
                progress.advance(overall)
                continue
            task = progress.add_task(label, total=None)
            argv = [expand(a, out) for a in step.run]
            started = time.perf_counter()
            code = runner(argv, out / "logs" / f"{step.name}.log",
                          lambda line, task=task, label=label: progress.update(task, description=f"{label} [dim]{line}"),
                          step_env())  # fmt: skip
            progress.remove_task(task)
            if code != 0:
                raise StepFailed(f"step `{step.name}` failed with exit code {code}; see {out / 'logs' / step.name}.log")
            missing = [p for p in (expand(o, out) for o in step.outputs) if not Path(p).exists()]
            if missing:
                raise StepFailed(f"step `{step.name}` finished but did not write {missing}")
            seconds = time.perf_counter() - started
            markers.mark(step.name, {"command": shlex.join(argv), "seconds": round(seconds, 1),
                                     "finished": time.strftime("%Y-%m-%dT%H:%M:%S")})  # fmt: skip
            status[step.name] = f"ran in {seconds:,.0f}s"
            progress.console.print(f"[green]✓[/] {label} ({seconds:,.0f}s)", soft_wrap=True)
            progress.advance(overall)
        task = progress.add_task(f"{len(config.steps) + 1}/{len(config.steps) + 2} Publish", total=None)
        published = publish_all(config, out, markers, hub_org=hub_org,
                                on_status=lambda line: progress.update(task, description=f"Publish [dim]{line}"))  # fmt: skip
        progress.remove_task(task)
        status["publish"] = f"{len(published)} artifacts"
        progress.advance(overall)
        report = write_report(config, out, published, markers)
        status["report"] = str(report)
        progress.advance(overall)
    return {"status": status, "report": report, "published": published}
