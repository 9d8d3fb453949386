"""The executor chosen by config: a stage-1-like DataTrove pipeline gives identical output on a real local Ray cluster."""

import gzip
import json
from pathlib import Path

import pytest

from snowcoder_hf.common.executors import build_executor

pytest.importorskip("ray", reason="the Ray path needs `pip install snowcoder_hf[cluster]`")


def _write_input(folder: Path, stdlib_dir: Path) -> int:
    folder.mkdir(parents=True)
    files = sorted(p for p in stdlib_dir.glob("*.py") if p.stat().st_size < 40_000)[:60]
    for shard in range(3):
        with gzip.open(folder / f"{shard:05d}.jsonl.gz", "wt") as f:
            f.write("{not json\n")  # a malformed record: counted and kept aside, never lost
            for path in files[shard::3]:
                text = path.read_text(encoding="utf-8", errors="replace")
                record = {"id": path.name, "text": text, "metadata": {"repo": "cpython", "path": path.name}}
                f.write(json.dumps(record) + "\n")
    return len(files)


def _pipeline(input_dir: Path, out: Path):
    from datatrove.pipeline.filters import LambdaFilter

    from snowcoder_hf.pipeline.document_files import DocumentFileReader, kept_writer, removed_writer

    return [
        DocumentFileReader(str(input_dir), exclusion_writer=removed_writer(out, "reader")),
        LambdaFilter(lambda doc: "def " in doc.text, exclusion_writer=removed_writer(out, "no_function")),
        LambdaFilter(lambda doc: len(doc.text) < 30_000, exclusion_writer=removed_writer(out, "too_large")),
        kept_writer(out),
    ]


def _documents(folder: Path) -> list[tuple[str, str]]:
    rows = []
    for shard in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(shard, "rt") as f:
            rows += [(shard.relative_to(folder).as_posix(), line) for line in f]
    return rows


def _counts(logging_dir: Path) -> list[dict]:
    stats = json.loads((logging_dir / "stats.json").read_text())
    return [{k: v["total"] if isinstance(v, dict) else v for k, v in (b.get("stats") or {}).items()} for b in stats]


@pytest.mark.slow  # a Ray cluster takes ~15 s to start on 2 shared cores
@pytest.mark.timeout(300)
def test_ray_executor_output_is_identical_to_the_local_executor(tmp_path, stdlib_dir):
    import ray

    total = _write_input(tmp_path / "in", stdlib_dir)
    local_out, ray_out = tmp_path / "local", tmp_path / "ray"
    build_executor(_pipeline(tmp_path / "in", local_out), {"type": "local", "tasks": 3, "workers": 1},
                   str(tmp_path / "logs_local")).run()  # fmt: skip
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}})  # fmt: skip
    try:
        assert ray.cluster_resources()["CPU"] == 2  # two workers run tasks side by side
        config = {"type": "ray", "tasks": 3, "workers": 2, "cpus_per_task": 1, "mem_per_cpu_gb": 0.5}
        build_executor(_pipeline(tmp_path / "in", ray_out), config, str(tmp_path / "logs_ray")).run()
    finally:
        ray.shutdown()
    local_docs, ray_docs = _documents(local_out), _documents(ray_out)
    assert local_docs == ray_docs
    kept = [row for row in local_docs if row[0].startswith("kept/")]
    assert 0 < len(kept) < total
    assert sum(1 for row in local_docs if row[0].startswith("removed/reader")) == 3  # the malformed lines
    assert _counts(tmp_path / "logs_local") == _counts(tmp_path / "logs_ray")


def test_unknown_executor_type_is_rejected():
    with pytest.raises(ValueError, match="`executor.type`"):
        build_executor([], {"type": "kubernetes"}, "logs")
