"""The Slurm path without Slurm: DataTrove writes the sbatch scripts, a fake `sbatch` records them, and
running each script as its array task would (fake `srun`/`scontrol` that run in place) reproduces the local run."""

import gzip
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from snowcoder_hf.common.executors import build_executor
from snowcoder_hf.common.reporting import load_pipeline_stats

FAKE_SBATCH = """#!/bin/bash
# Record the submission instead of queueing it: the script, then the arguments.
n=$(ls "$SBATCH_LOG" | wc -l)
cp "${@: -1}" "$SBATCH_LOG/job_$((n + 1000)).sh"
echo "$@" > "$SBATCH_LOG/job_$((n + 1000)).args"
echo "Submitted batch job $((n + 1000))"
"""
FAKE_SRUN = """#!/bin/bash
# Run the command in place: drop srun's own flags (-l, -n N, --key=value).
while [[ "$1" == -* ]]; do
  if [[ "$1" == "-n" ]]; then shift; fi
  shift
done
exec "$@"
"""
FAKE_SCONTROL = """#!/bin/bash
# `scontrol show hostnames NODELIST`: one node, this machine.
echo localhost
"""


def _install_fakes(bin_dir: Path) -> None:
    bin_dir.mkdir()
    for name, body in (("sbatch", FAKE_SBATCH), ("srun", FAKE_SRUN), ("scontrol", FAKE_SCONTROL)):
        path = bin_dir / name
        path.write_text(body)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _write_input(folder: Path, stdlib_dir: Path) -> None:
    folder.mkdir()
    files = sorted(p for p in stdlib_dir.glob("*.py") if p.stat().st_size < 40_000)[:30]
    for shard in range(2):
        with gzip.open(folder / f"{shard:05d}.jsonl.gz", "wt") as f:
            for path in files[shard::2]:
                f.write(json.dumps({"id": path.name, "text": path.read_text(errors="replace")}) + "\n")


def _pipeline(input_dir: Path, out: Path):
    from datatrove.pipeline.filters import RegexFilter

    from snowcoder_hf.pipeline.document_files import DocumentFileReader, kept_writer

    # Blocks from installed packages only: the Slurm job unpickles the pipeline in a fresh process.
    return [DocumentFileReader(str(input_dir)), RegexFilter(r"(?m)^class "), kept_writer(out)]


def _kept(out: Path) -> list[str]:
    lines = []
    for shard in sorted((out / "kept").glob("*.jsonl.gz")):
        with gzip.open(shard, "rt") as f:
            lines += f.readlines()
    return lines


def test_slurm_executor_writes_sbatch_scripts_that_reproduce_the_local_run(tmp_path, stdlib_dir, monkeypatch):
    _install_fakes(tmp_path / "bin")
    (tmp_path / "submitted").mkdir()
    venv_bin = Path(sys.executable).parent
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{venv_bin}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SBATCH_LOG", str(tmp_path / "submitted"))
    _write_input(tmp_path / "in", stdlib_dir)
    build_executor(_pipeline(tmp_path / "in", tmp_path / "local"), {"type": "local", "tasks": 2},
                   str(tmp_path / "logs_local")).run()  # fmt: skip

    config = {"type": "slurm", "tasks": 2, "time": "1:00:00", "partition": "cpu", "cpus_per_task": 2,
              "mem_per_cpu_gb": 1, "job_name": "stage1_filter", "env_command": f"source {venv_bin}/activate",
              "slurm_logs_folder": str(tmp_path / "slurm_logs")}  # fmt: skip
    logs = tmp_path / "logs_slurm"
    build_executor(_pipeline(tmp_path / "in", tmp_path / "slurm"), config, str(logs)).run()

    script = (logs / "launch_script.slurm").read_text()
    submitted = sorted((tmp_path / "submitted").glob("job_*.sh"))
    assert len(submitted) == 2  # the array job, then the stats merge that waits for it
    assert submitted[0].read_text() == script
    for directive in ("--array=0-1", "--cpus-per-task=2", "--partition=cpu", "--time=1:00:00",
                      "--job-name=stage1_filter", "--mem-per-cpu=1G"):  # fmt: skip
        assert f"#SBATCH {directive}" in script
    assert re.search(rf"srun .*launch_pickled_pipeline {re.escape(str(logs))}/executor.pik", script)
    merge = submitted[1].read_text()
    assert "#SBATCH --dependency=afterok:1000" in merge
    assert f"merge_stats {logs}/stats" in merge

    # Run the generated script as Slurm would, once per array index, then the merge job.
    for task in range(2):
        env = {**os.environ, "SLURM_ARRAY_TASK_ID": str(task), "SLURM_NODELIST": "localhost"}
        result = subprocess.run(["bash", str(logs / "launch_script.slurm")], env=env, capture_output=True, text=True,
                                timeout=120)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
    subprocess.run(["bash", str(submitted[1])], check=True, capture_output=True, timeout=60)
    assert _kept(tmp_path / "slurm") == _kept(tmp_path / "local")
    assert len(_kept(tmp_path / "local")) > 0
    local_blocks, slurm_blocks = load_pipeline_stats(tmp_path / "logs_local"), load_pipeline_stats(logs)
    assert [(b.name, b.forwarded, b.dropped) for b in slurm_blocks] == [
        (b.name, b.forwarded, b.dropped) for b in local_blocks]  # fmt: skip
    assert slurm_blocks[1].dropped > 0
