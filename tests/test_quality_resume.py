"""`snowcoder score` resumes after a kill: finished tasks are skipped, the killed one is redone."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from datatrove.pipeline.base import PipelineStep

from snowcoder_hf.annotator.head import LinearHead
from snowcoder_hf.annotator.model import Annotator, AnnotatorConfig


class Crash(PipelineStep):
    """Kills the task that sees document `doc_id`, the first time only (as a preemption would)."""

    name = "crash"
    armed = True
    seen: list[str] = []

    def __init__(self, doc_id: str):
        super().__init__()
        self.doc_id = doc_id

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data:
            Crash.seen.append(doc.id)
            if Crash.armed and doc.id == self.doc_id:
                Crash.armed = False
                raise RuntimeError("killed")
            yield doc


@pytest.fixture
def annotator_dir(tmp_path, minilm_dir):
    from snowcoder_hf.annotator.random_encoder import build_random_encoder

    encoder = build_random_encoder(tmp_path / "encoder", "bert-tiny-random", tokenizer_dir=minilm_dir,
                                   max_seq_length=32)  # fmt: skip
    head = LinearHead("classification", np.random.default_rng(1).normal(size=32), 0.0)
    return Annotator(AnnotatorConfig(encoder=str(encoder)), head).save(tmp_path / "annotator")


def _write_inputs(folder, files: int, per_file: int):
    folder.mkdir()
    for f in range(files):
        with gzip.open(folder / f"{f:02d}.jsonl.gz", "wt") as out:
            for i in range(per_file):
                out.write(json.dumps({"id": f"{f}-{i}", "text": f"def f{i}(x):\n    return x * {i + f}\n"}) + "\n")


def _read_kept(output):
    ids = []
    for path in sorted((output / "kept").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            ids += [json.loads(line)["id"] for line in f]
    return ids


def test_a_killed_scoring_run_resumes_without_redoing_finished_tasks(tmp_path, annotator_dir):
    from snowcoder_hf.stages.scoring import run_score

    inputs, output = tmp_path / "in", tmp_path / "out"
    _write_inputs(inputs, files=2, per_file=5)
    executor = {"type": "local", "tasks": 2, "workers": 1}
    Crash.armed, Crash.seen = True, []
    with pytest.raises(Exception, match="killed|failed"):
        run_score(str(inputs), str(output), str(annotator_dir), executor_config=executor, extra_steps=[Crash("1-2")])
    partial = _read_kept(output)
    assert {f"0-{i}" for i in range(5)} <= set(partial)  # task 0 finished
    assert len(partial) < 10  # task 1 died halfway
    Crash.seen = []
    run_score(str(inputs), str(output), str(annotator_dir), executor_config=executor, extra_steps=[Crash("1-2")])
    assert Crash.seen == [f"1-{i}" for i in range(5)]  # only the killed task ran again
    # Each document exactly once: the redone task rewrote its own shard instead of appending to it.
    assert sorted(_read_kept(output)) == sorted(f"{f}-{i}" for f in range(2) for i in range(5))
    with gzip.open(output / "kept" / "00001.jsonl.gz", "rt") as f:
        record = json.loads(f.readline())
    assert 0 < record["metadata"]["quality_score"] < 1
