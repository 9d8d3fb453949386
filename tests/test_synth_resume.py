"""A generation run killed mid-way (SIGKILL) resumes to the same final set without re-asking finished requests."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_synth_failures import read_set, write_seeds

from snowcoder_hf.stages.stage3_data import run_stage3
from snowcoder_hf.standins.inference_server import FailurePlan, FakeChatServer
from snowcoder_hf.synth.config import Stage3Config

PLAN = FailurePlan(error_500_every=9, truncate_modulo=8)
SETTINGS = dict(model="fake-model", num_samples=24, concurrency=2, backoff_s=0.01, decontaminate=[],
                records_per_chunk=4, show_progress=False, max_tokens=200)  # fmt: skip
CHILD = """
import json, sys
from snowcoder_hf.synth.config import Stage3Config
from snowcoder_hf.stages.stage3_data import run_stage3
run_stage3(Stage3Config(**json.loads(sys.argv[1])))
"""


def _persisted_seeds(work: Path, records_per_chunk: int) -> set[int]:
    """Sampling seeds of requests whose answers were on disk when the run died."""
    with gzip.open(work / "plan.jsonl.gz", "rt") as f:
        plan = [json.loads(line) for line in f]
    last_chunk_file = work / "checkpoints" / "last_chunk" / "00000.txt"
    done = (int(last_chunk_file.read_text()) + 1) * records_per_chunk if last_chunk_file.exists() else 0
    ids = {record["id"] for record in plan[:done]}
    for chunk in (work / "checkpoints" / "00000").glob("chunk_*.jsonl"):
        ids |= {json.loads(line)["id"] for line in chunk.read_text().splitlines() if line.strip()}
    return {record["metadata"]["sampling_seed"] for record in plan if record["id"] in ids}


def test_a_killed_run_resumes_to_the_same_final_set(tmp_path, stdlib_dir):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeChatServer(PLAN, latency_s=0.25) as server:
        settings = dict(SETTINGS, output=str(tmp_path / "killed"), input=str(seeds), endpoint=server.base_url)
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(settings)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while sum(server.counters.completed_per_seed.values()) < 10 and time.monotonic() < deadline:
            assert child.poll() is None, "the run finished before it could be killed"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)  # the run and its helper processes, as a cancelled job dies
        child.wait(timeout=30)
        assert sum(server.counters.completed_per_seed.values()) < 24  # it really died mid-way
        work = next((tmp_path / "killed" / "work").iterdir())
        persisted = _persisted_seeds(work, SETTINGS["records_per_chunk"])
        assert persisted
        resumed = run_stage3(Stage3Config(**settings))
        counters = server.counters
    # nothing lost: every planned request was answered; nothing on disk was asked again
    assert len(counters.completed_per_seed) == 24
    assert all(counters.completed_per_seed[seed] == 1 for seed in persisted)
    # in-flight requests at the kill (at most `concurrency`) are the only ones answered twice
    assert sum(n - 1 for n in counters.completed_per_seed.values()) <= SETTINGS["concurrency"]
    assert resumed.generation["requests_resumed"] >= len(persisted)
    with FakeChatServer(PLAN) as server:
        reference = run_stage3(Stage3Config(**dict(settings, output=str(tmp_path / "reference"),
                                                    endpoint=server.base_url)))  # fmt: skip
    assert reference.fingerprint == resumed.fingerprint
    killed_set, reference_set = read_set(tmp_path / "killed"), read_set(tmp_path / "reference")
    assert {k: v["text"] for k, v in killed_set.items()} == {k: v["text"] for k, v in reference_set.items()}
    assert resumed.reasons == reference.reasons
