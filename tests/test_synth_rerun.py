"""A rerun with equal settings asks again the requests that failed during a server outage, and only those."""

from __future__ import annotations

from test_synth_failures import config, read_set, write_seeds

from snowcoder_hf.stages.stage3_data import run_stage3
from snowcoder_hf.standins.inference_server import FailurePlan, FakeChatServer

OUTAGE = FailurePlan(outage=(6, 20), truncate_modulo=8)  # requests 6-25 answer 503: the server is down


def test_a_rerun_after_an_outage_asks_only_the_failed_requests_and_matches_an_undisturbed_run(tmp_path, stdlib_dir):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeChatServer(OUTAGE) as server:
        first = run_stage3(config(tmp_path, server, seeds, max_retries=1))
        failed = first.generation["requests_failed"]
        assert failed > 0
        assert first.reasons["request_failed"] == failed
        answered_first = dict(server.counters.completed_per_seed)
        assert len(answered_first) == 24 - failed
        sent_before = server.counters.requests

        second = run_stage3(config(tmp_path, server, seeds, max_retries=1))
        assert second.fingerprint == first.fingerprint
        assert second.generation["requests_rerun"] == failed
        assert second.generation["requests_failed"] == 0
        assert "request_failed" not in second.reasons
        assert server.counters.requests - sent_before == failed  # finished work is never paid twice
        counters = server.counters
        # every planned request answered exactly once over both runs
        assert len(counters.completed_per_seed) == 24
        assert set(counters.completed_per_seed.values()) == {1}

        sent_before = server.counters.requests
        third = run_stage3(config(tmp_path, server, seeds, max_retries=1))
        assert server.counters.requests == sent_before  # nothing left to ask
        assert third.generation["requests_rerun"] == 0
        assert third.kept == second.kept

    with FakeChatServer(FailurePlan(truncate_modulo=8)) as server:
        reference = run_stage3(config(tmp_path / "reference", server, seeds))
    assert reference.fingerprint == second.fingerprint
    assert reference.reasons == second.reasons
    rerun_set, reference_set = read_set(tmp_path / "out"), read_set(tmp_path / "reference" / "out")
    assert {k: v["text"] for k, v in rerun_set.items()} == {k: v["text"] for k, v in reference_set.items()}
    report = (tmp_path / "out" / "report.md").read_text()
    assert "asked again" in report


def test_a_request_failing_again_in_the_rerun_is_recorded_and_asked_on_the_next_rerun(tmp_path, stdlib_dir):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    # 3 requests, 2 tries each: requests 1-10 fail, i.e. all 6 tries of the first run, then 3 first tries and
    # one retry of the rerun
    with FakeChatServer(FailurePlan(outage=(1, 10))) as server:
        first = run_stage3(config(tmp_path, server, seeds, num_samples=3, max_retries=1))
        assert first.generation["requests_failed"] == 3
        second = run_stage3(config(tmp_path, server, seeds, num_samples=3, max_retries=1))
        assert second.generation["requests_rerun"] == 3
        assert second.generation["requests_failed"] == 1
        third = run_stage3(config(tmp_path, server, seeds, num_samples=3, max_retries=1))
        assert third.generation["requests_rerun"] == second.generation["requests_failed"]
        assert third.generation["requests_failed"] == 0
        assert len(server.counters.completed_per_seed) == 3
        assert set(server.counters.completed_per_seed.values()) == {1}
    assert third.kept + sum(n for r, n in third.reasons.items() if r != "seed_malformed_json") == 3
