"""The generator against a failure-injecting server: nothing lost, nothing generated twice, every failure counted."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from snowcoder_hf.stages.stage3_data import run_stage3
from snowcoder_hf.standins.inference_server import FailurePlan, FakeChatServer
from snowcoder_hf.synth.config import Stage3Config


def write_seeds(folder: Path, stdlib_dir: Path, python: int = 8, javascript: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in stdlib_dir.glob("*.py") if 500 < p.stat().st_size < 6000)[:python]
    records = [{"id": f"py{i}", "text": p.read_text(errors="replace"),
                "metadata": {"language": "Python", "quality_score": 1 - i / 10}} for i, p in enumerate(files)]  # fmt: skip
    records += [{"id": f"js{i}", "text": f"function f{i}(a) {{\n  return a * {i};\n}}\nmodule.exports = f{i};\n",
                 "metadata": {"language": "JavaScript", "quality_score": 0.5}} for i in range(javascript)]  # fmt: skip
    with gzip.open(folder / "seeds.jsonl.gz", "wt") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
        f.write("{not json\n")  # a bad record is counted, not fatal
    return folder


def read_set(output: Path) -> dict[str, str]:
    docs = {}
    for path in sorted((output / "synthetic").glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            for line in f:
                record = json.loads(line)
                docs[record["id"]] = record
    return docs


def config(tmp_path: Path, server: FakeChatServer, seeds: Path, **overrides) -> Stage3Config:
    values = dict(output=str(tmp_path / "out"), input=str(seeds), endpoint=server.base_url, model="fake-model",
                  num_samples=24, concurrency=4, backoff_s=0.01, max_retries=6, decontaminate=[],
                  records_per_chunk=5, show_progress=False, max_tokens=300)  # fmt: skip
    values.update(overrides)
    return Stage3Config(**values)


CHAOS = FailurePlan(burst_429=(3, 6), error_500_every=7, garbage_every=11, drop_every=13, slow_every=9, slow_s=0.2,
                    truncate_modulo=10, refuse_modulo=10, duplicate_modulo=10)  # fmt: skip


def test_failures_are_retried_and_counted_and_nothing_is_lost_or_paid_twice(tmp_path, stdlib_dir):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeChatServer(CHAOS) as server:
        result = run_stage3(config(tmp_path, server, seeds))
        counters = server.counters
    # every planned request got exactly one answered completion: none lost, none generated twice
    assert len(counters.completed_per_seed) == result.planned == 24
    assert set(counters.completed_per_seed.values()) == {1}
    assert counters.models_seen == {"fake-model"}
    assert counters.max_tokens_seen == {300}
    injected = (
        counters.by_status[429]
        + counters.by_status[500]
        + counters.by_status["garbage"]
        + counters.by_status["dropped"]
    )
    assert injected > 0
    assert result.generation["request_retries"] == injected
    assert result.generation["retry_429"] == counters.by_status[429]
    assert result.generation["requests_failed"] == 0
    # every planned request is either kept or dropped under a reason
    reasons = dict(result.reasons)
    assert reasons.pop("seed_malformed_json") == 1
    assert result.kept + sum(reasons.values()) == result.planned
    assert reasons.get("truncated", 0) > 0
    assert reasons.get("refusal", 0) > 0
    kept = read_set(tmp_path / "out")
    assert len(kept) == result.kept
    meta = next(iter(kept.values()))["metadata"]
    for key in ("seed_id", "language", "model", "model_revision", "prompt_name", "fingerprint", "sampling",
                "prompt_tokens", "completion_tokens", "repo", "path", "size"):  # fmt: skip
        assert key in meta
    assert meta["sampling"]["seed"] > 0
    assert meta["sampling"]["max_tokens"] == 300
    assert (tmp_path / "out" / "mixture.yaml").exists()
    report = (tmp_path / "out" / "report.md").read_text()
    assert "truncated" in report
    assert "Diversity" in report


def test_python_makes_half_of_the_requests(tmp_path, stdlib_dir):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir, python=3, javascript=6)
    with FakeChatServer() as server:
        result = run_stage3(config(tmp_path, server, seeds, num_samples=10))
    with gzip.open(tmp_path / "out" / "work" / result.fingerprint / "plan.jsonl.gz", "rt") as f:
        plan = [json.loads(line) for line in f]
    assert sum(r["metadata"]["language"] == "Python" for r in plan) == 5


def test_a_rerun_reuses_finished_work_and_changed_settings_start_a_new_run(tmp_path, stdlib_dir):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeChatServer() as server:
        first = run_stage3(config(tmp_path, server, seeds, num_samples=8))
        requests = server.counters.requests
        again = run_stage3(config(tmp_path, server, seeds, num_samples=8))
        assert server.counters.requests == requests  # nothing asked again
        assert again.fingerprint == first.fingerprint
        assert again.kept == first.kept
        changed = run_stage3(config(tmp_path, server, seeds, num_samples=8, temperature=0.2))
        assert changed.fingerprint != first.fingerprint
        assert server.counters.requests == requests + 8
    kept = read_set(tmp_path / "out")
    assert {doc["metadata"]["fingerprint"] for doc in kept.values()} == {changed.fingerprint}


def test_requests_that_keep_failing_are_counted_not_lost(tmp_path, stdlib_dir):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeChatServer(FailurePlan(error_500_every=1)) as server:
        result = run_stage3(config(tmp_path, server, seeds, num_samples=3, max_retries=2))
    assert result.kept == 0
    assert result.reasons["request_failed"] == 3
    assert result.generation["requests_failed"] == 3
    assert server.counters.requests == 9  # 1 try + 2 retries each, bounded


def test_an_unreachable_server_fails_fast_with_a_clear_message(tmp_path, stdlib_dir):
    import socket
    import time

    from snowcoder_hf.synth.client import EndpointUnreachable

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    cfg = Stage3Config(output=str(tmp_path / "out"), input=str(seeds), endpoint=f"http://127.0.0.1:{port}",
                       model="m", num_samples=2, decontaminate=[], show_progress=False)  # fmt: skip
    started = time.monotonic()
    with pytest.raises(EndpointUnreachable, match="Cannot reach the inference server"):
        run_stage3(cfg)
    assert time.monotonic() - started < 15


def test_generated_benchmark_solutions_are_removed_by_decontamination(tmp_path, stdlib_dir, shared_benchmarks):
    """A server that answers with a HumanEval solution: the decontamination block drops it."""
    from snowcoder_hf.evalsets.registry import load_benchmark

    item = load_benchmark("humaneval", benchmark_dir=str(shared_benchmarks))[0]
    leaked = item.prompt + item.solution

    class LeakyServer(FakeChatServer):
        async def _chat(self, request):
            from aiohttp import web

            body = await request.json()
            self.counters.requests += 1
            return web.json_response({"model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": f"```python\n{leaked}\n```"}}],
                                      "usage": {"prompt_tokens": 1, "completion_tokens": 9, "total_tokens": 10},
                                      "id": str(body["seed"]), "object": "chat.completion", "created": 0})  # fmt: skip

    seeds = write_seeds(tmp_path / "seeds", stdlib_dir, python=2, javascript=0)
    with LeakyServer() as server:
        result = run_stage3(config(tmp_path, server, seeds, num_samples=2, decontaminate=["humaneval"],
                                   benchmark_dir=str(shared_benchmarks)))  # fmt: skip
    assert result.kept == 0
    assert result.reasons.get("exact_duplicate", 0) + result.reasons.get("contaminated", 0) == 2
    assert result.reasons.get("contaminated", 0) >= 1
