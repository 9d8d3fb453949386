"""TGI's native route (`api: tgi-native`) against the failure-injecting server: the chat path's guarantees, on raw prompts.

Nothing lost, nothing paid twice, every failure counted, a killed run resumes, and an outage is asked
again once; plus what only the native route has: the prompt built from the chat template on the
client (or raw), TGI's validation (422, never retried), 429 `overloaded`, 424 `generation`, and
streams that are cut, end early, or end in an error event.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_synth_failures import read_set, write_seeds

from snowcoder_hf.stages.stage3_data import run_stage3
from snowcoder_hf.standins.tgi_server import FakeTgiServer, TgiFailurePlan
from snowcoder_hf.synth.config import Stage3Config

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
CHAOS = TgiFailurePlan(overloaded=(3, 5), error_424_every=7, error_500_every=17, garbage_every=11, drop_every=13,
                       slow_every=9, slow_s=0.2, truncate_modulo=10, refuse_modulo=10, duplicate_modulo=10)  # fmt: skip
STREAM_CHAOS = TgiFailurePlan(overloaded=(2, 3), stream_cut_every=5, stream_end_early_every=7, stream_error_every=9,
                              error_424_every=11, truncate_modulo=10)  # fmt: skip


@pytest.fixture(scope="module")
def chat_tokenizer(tiny_tokenizer_dir, tmp_path_factory) -> Path:
    """A tokenizer with a ChatML chat template, as instruct models ship."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    tokenizer.chat_template = CHATML
    out = tmp_path_factory.mktemp("chat_tokenizer")
    tokenizer.save_pretrained(out)
    return out


def native_config(tmp_path: Path, server, seeds: Path, tokenizer: Path | None, **overrides) -> Stage3Config:
    native = {"tokenizer": str(tokenizer)} if tokenizer else {"prompt_format": "raw"}
    native.update(overrides.pop("tgi_native", {}))
    values = dict(output=str(tmp_path / "out"), input=str(seeds), endpoint=server.base_url, model="fake-model",
                  api="tgi-native", tgi_native=native, num_samples=24, concurrency=4, backoff_s=0.01, max_retries=6,
                  decontaminate=[], records_per_chunk=5, show_progress=False, max_tokens=300)  # fmt: skip
    values.update(overrides)
    return Stage3Config(**values)


RETRYABLE_INJECTED = (429, 424, 500, 503, "dropped", "garbage", "stream_cut", "stream_ended_early",
                      "stream_generation", "stream_overloaded")  # fmt: skip


def injected_retryable(counters) -> int:
    """Every injected failure the client should have retried (422 validation errors are not among them)."""
    return sum(counters.by_status[status] for status in RETRYABLE_INJECTED)


def test_every_request_is_answered_once_through_overload_generation_errors_and_garbage(tmp_path, stdlib_dir,
                                                                                       chat_tokenizer):  # fmt: skip
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeTgiServer(CHAOS) as server:
        result = run_stage3(native_config(tmp_path, server, seeds, chat_tokenizer))
        counters, tgi = server.counters, server.tgi
    assert len(counters.completed_per_seed) == result.planned == 24
    assert set(counters.completed_per_seed.values()) == {1}  # nothing lost, nothing paid twice
    assert counters.max_tokens_seen == {300}
    assert tgi.routes == {"/": counters.requests}  # InferenceClient.text_generation posts to TGI's root route
    assert tgi.full_text_requests == 0  # return_full_text=false, or the prompt would come back in every answer
    assert not tgi.validation_errors
    # the prompt is the model's chat template applied on the client, with the system prompt
    assert all(p.startswith("<|im_start|>system\n") and p.endswith("<|im_start|>assistant\n")
               for p in tgi.prompts.values())  # fmt: skip
    assert counters.by_status[429] > 0
    assert counters.by_status[424] > 0
    assert counters.by_status[500] > 0
    assert result.generation["request_retries"] == injected_retryable(counters)
    assert result.generation["retry_429"] == counters.by_status[429]
    assert result.generation["retry_424"] == counters.by_status[424]
    assert result.generation["requests_failed"] == 0
    reasons = dict(result.reasons)
    assert reasons.pop("seed_malformed_json") == 1
    assert result.kept + sum(reasons.values()) == result.planned
    assert reasons.get("truncated", 0) > 0
    assert reasons.get("refusal", 0) > 0
    kept = read_set(tmp_path / "out")
    meta = next(iter(kept.values()))["metadata"]
    assert meta["api"] == "tgi-native"
    assert meta["prompt_tokens"] > 0
    assert meta["completion_tokens"] > 0
    settings = json.loads(next((tmp_path / "out" / "work").glob("*/settings.json")).read_text())
    assert settings["request"]["prompt_format"] == "chat_template"


def test_streamed_requests_survive_cut_streams_early_ends_and_error_events(tmp_path, stdlib_dir, chat_tokenizer):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeTgiServer(STREAM_CHAOS) as server:
        # About half of all streams fail, counted over every request, so which request takes the failures
        # depends on how the 4 concurrent ones interleave: 20 retries make a request that fails them all
        # (0.54**21) vanishingly rare, where 6 lost one request in about one run of four.
        result = run_stage3(native_config(tmp_path, server, seeds, chat_tokenizer, tgi_native={"stream": True},
                                          max_retries=20))  # fmt: skip
        counters = server.counters
    assert len(counters.completed_per_seed) == 24
    assert set(counters.completed_per_seed.values()) == {1}
    for status in ("stream_cut", "stream_ended_early", "stream_generation", "stream_overloaded"):
        assert counters.by_status[status] > 0, status
    assert result.generation["request_retries"] == injected_retryable(counters)
    assert result.generation["retry_truncated_stream"] == counters.by_status["stream_ended_early"]
    assert result.generation["retry_overloaded"] == counters.by_status["stream_overloaded"]
    assert result.generation["requests_failed"] == 0
    kept = read_set(tmp_path / "out")
    assert kept
    assert all(doc["metadata"]["prompt_tokens"] > 0 for doc in kept.values())


def test_validation_errors_fail_at_once_and_are_counted_not_lost(tmp_path, stdlib_dir, chat_tokenizer):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeTgiServer(TgiFailurePlan(reject_modulo=4)) as server:
        result = run_stage3(native_config(tmp_path, server, seeds, chat_tokenizer))
        counters, tgi = server.counters, server.tgi
    rejected = sum(tgi.validation_errors.values())
    assert rejected > 0
    assert counters.by_status[422] == rejected  # each asked once: a 422 is never retried
    assert result.generation["requests_failed"] == rejected
    assert result.reasons["request_failed"] == rejected
    assert len(counters.completed_per_seed) == 24 - rejected
    assert result.generation.get("request_retries", 0) == 0


def test_greedy_requests_respect_tgi_validation():
    """temperature 0 and top_p 1.0 are valid chat settings that TGI's native route rejects: they become greedy
    decoding and no nucleus cut, not a 422."""
    from snowcoder_hf.synth.tgi_native import sampling_arguments

    assert sampling_arguments({"max_tokens": 8, "seed": 3, "temperature": 0.0, "top_p": 0.95}) == {
        "max_new_tokens": 8, "seed": 3, "do_sample": False}  # fmt: skip
    assert sampling_arguments({"max_tokens": 8, "seed": 3, "temperature": 0.7, "top_p": 1.0}) == {
        "max_new_tokens": 8, "seed": 3, "do_sample": True, "temperature": 0.7}  # fmt: skip
    assert sampling_arguments({"max_tokens": 8, "seed": 3, "temperature": 0.7, "top_p": 0.9})["top_p"] == 0.9


def test_base_models_get_raw_prompts_and_exercises_still_pass_their_doctests(tmp_path):
    with FakeTgiServer() as server:
        result = run_stage3(Stage3Config(output=str(tmp_path / "out"), kind="exercises", endpoint=server.base_url,
                                         model="fake-base-model", api="tgi-native", tgi_native={"prompt_format": "raw"},
                                         num_samples=4, concurrency=2, decontaminate=[], show_progress=False,
                                         max_tokens=256, top_p=1.0))  # fmt: skip
        prompts = list(server.tgi.prompts.values())
    assert result.kept == 4
    assert all(p.startswith("You are an expert software engineer") and "<|im_start|>" not in p for p in prompts)
    meta = next(iter(read_set(tmp_path / "out").values()))["metadata"]
    assert meta["prompt_tokens"] is None  # raw prompt, no tokenizer: unknown, not zero


def test_an_outage_is_asked_again_once_by_the_next_run(tmp_path, stdlib_dir, chat_tokenizer):
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeTgiServer(TgiFailurePlan(outage=(6, 20))) as server:
        first = run_stage3(native_config(tmp_path, server, seeds, chat_tokenizer, max_retries=1))
        failed = first.generation["requests_failed"]
        assert failed > 0
        sent = server.counters.requests
        second = run_stage3(native_config(tmp_path, server, seeds, chat_tokenizer, max_retries=1))
        assert second.fingerprint == first.fingerprint
        assert second.generation["requests_rerun"] == failed
        assert server.counters.requests - sent == failed
        assert set(server.counters.completed_per_seed.values()) == {1}
        assert len(server.counters.completed_per_seed) == 24


def test_the_chat_template_is_part_of_the_fingerprint(tmp_path, stdlib_dir, chat_tokenizer):
    from transformers import AutoTokenizer

    other = AutoTokenizer.from_pretrained(chat_tokenizer)
    other.chat_template = CHATML.replace("<|im_end|>", "<|end|>")
    other.save_pretrained(tmp_path / "other_tokenizer")
    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeTgiServer() as server:
        first = run_stage3(native_config(tmp_path, server, seeds, chat_tokenizer, num_samples=4))
        sent = server.counters.requests
        same = run_stage3(native_config(tmp_path, server, seeds, chat_tokenizer, num_samples=4))
        assert same.fingerprint == first.fingerprint
        assert server.counters.requests == sent
        changed = run_stage3(native_config(tmp_path, server, seeds, tmp_path / "other_tokenizer", num_samples=4))
        assert changed.fingerprint != first.fingerprint
        assert server.counters.requests == sent + 4
        chat = run_stage3(Stage3Config(**{**vars(native_config(tmp_path, server, seeds, None, num_samples=4)),
                                          "api": "chat", "tgi_native": {}}))  # fmt: skip
    assert chat.fingerprint not in (first.fingerprint, changed.fingerprint)
    work = tmp_path / "out" / "work"
    assert "request" not in json.loads((work / chat.fingerprint / "settings.json").read_text())  # chat hashes unchanged

    def plan(fingerprint: str) -> list:
        with gzip.open(work / fingerprint / "plan.jsonl.gz", "rt") as f:
            return [(r["id"], r["text"]) for r in map(json.loads, f)]

    assert plan(first.fingerprint) == plan(chat.fingerprint)  # the API changes how requests go, not what is planned


CHILD = """
import json, sys
from snowcoder_hf.synth.config import Stage3Config
from snowcoder_hf.stages.stage3_data import run_stage3
run_stage3(Stage3Config(**json.loads(sys.argv[1])))
"""


@pytest.mark.slow  # the chat path's kill test covers the same checkpoints by default; this one adds the native caller
def test_a_killed_native_run_resumes_without_asking_answered_requests_again(tmp_path, stdlib_dir, chat_tokenizer):
    from test_synth_resume import _persisted_seeds

    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    plan = TgiFailurePlan(error_424_every=9, truncate_modulo=8)
    with FakeTgiServer(plan, latency_s=0.25) as server:
        config = native_config(tmp_path / "killed", server, seeds, chat_tokenizer, concurrency=2, records_per_chunk=4,
                               max_tokens=200)  # fmt: skip
        settings = {k: v for k, v in vars(config).items()}
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(settings)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while sum(server.counters.completed_per_seed.values()) < 10 and time.monotonic() < deadline:
            assert child.poll() is None, "the run finished before it could be killed"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert sum(server.counters.completed_per_seed.values()) < 24
        work = next((tmp_path / "killed" / "out" / "work").iterdir())
        persisted = _persisted_seeds(work, 4)
        assert persisted
        resumed = run_stage3(Stage3Config(**settings))
        counters = server.counters
    assert len(counters.completed_per_seed) == 24
    assert all(counters.completed_per_seed[seed] == 1 for seed in persisted)
    assert sum(n - 1 for n in counters.completed_per_seed.values()) <= 2  # only what was in flight at the kill
    assert resumed.generation["requests_resumed"] >= len(persisted)
    with FakeTgiServer(plan) as server:
        reference = run_stage3(native_config(tmp_path / "reference", server, seeds, chat_tokenizer, concurrency=2,
                                             records_per_chunk=4, max_tokens=200))  # fmt: skip
    assert reference.fingerprint == resumed.fingerprint
    killed, expected = read_set(tmp_path / "killed" / "out"), read_set(tmp_path / "reference" / "out")
    assert {k: v["text"] for k, v in killed.items()} == {k: v["text"] for k, v in expected.items()}
    assert resumed.reasons == reference.reasons


def test_the_synth_command_speaks_tgi_native_and_refuses_it_on_the_local_chat_server(tmp_path, chat_tokenizer,
                                                                                    capsys):  # fmt: skip
    from snowcoder_hf.cli.main import main

    with FakeTgiServer() as server:
        code = main(["synth", "textbook", "--output", str(tmp_path / "out"), "--endpoint", server.base_url,
                     "--model", "fake", "--num-samples", "3", "--decontaminate", "none", "--no-progress",
                     "--api", "tgi-native", "--tokenizer", str(chat_tokenizer), "--stream"])  # fmt: skip
        assert code == 0
        assert all(p.startswith("<|im_start|>") for p in server.tgi.prompts.values())
    assert len(read_set(tmp_path / "out")) == 3
    code = main(["synth", "textbook", "--output", str(tmp_path / "local"), "--num-samples", "1", "--no-progress",
                 "--api", "tgi-native", "--prompt-format", "raw"])  # fmt: skip
    assert code == 2
    assert "serves the chat API only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("native", "message"),
    [
        ({"prompt_fromat": "raw"}, "unknown `tgi_native` keys"),
        ({"prompt_format": "jinja"}, "`prompt_format` must be one of"),
        ({"parameters": {"temprature": 0.5}}, "unknown TGI parameters"),
        ({"parameters": {"seed": 1}}, "may not set"),
        ({"parameters": {"best_of": 2}}, "`best_of` > 1 cannot be used"),
        ({"stream": True, "parameters": {"decoder_input_details": True}}, "needs `stream: false`"),
    ],
)
def test_bad_native_settings_are_one_clear_error(tmp_path, native, message):
    with pytest.raises(ValueError, match=message):
        Stage3Config(output=str(tmp_path), kind="textbook", api="tgi-native", tgi_native=native)


def test_an_unknown_api_and_a_missing_tokenizer_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="`api` must be one of chat, tgi-native"):
        Stage3Config(output=str(tmp_path), kind="textbook", api="openai")
    with FakeTgiServer() as server, pytest.raises(ValueError, match="Cannot load the tokenizer 'no/such-model'"):
        run_stage3(Stage3Config(output=str(tmp_path / "out"), kind="textbook", endpoint=server.base_url,
                                model="no/such-model", api="tgi-native", num_samples=1, show_progress=False))  # fmt: skip


def test_the_passthrough_parameters_are_text_generation_arguments():
    import inspect

    from huggingface_hub import AsyncInferenceClient

    from snowcoder_hf.synth.native_settings import PASSTHROUGH_PARAMETERS, SET_BY_THE_RUN

    accepted = set(inspect.signature(AsyncInferenceClient.text_generation).parameters) - {"self"}
    assert accepted >= PASSTHROUGH_PARAMETERS
    assert (SET_BY_THE_RUN - {"model"}) <= accepted


def test_passthrough_parameters_reach_the_server(tmp_path):
    import asyncio

    from snowcoder_hf.synth.callers import make_caller
    from snowcoder_hf.synth.client import EndpointConfig

    seen = []

    class Recording(FakeTgiServer):
        async def _compat(self, request):
            seen.append(await request.json())
            return await super()._compat(request)

    with Recording() as server:
        config = EndpointConfig(url=server.base_url, model="m", api="tgi-native",
                                native={"prompt_format": "raw", "parameters": {"stop": ["\n\n\n"], "top_k": 20,
                                                                               "decoder_input_details": True}})  # fmt: skip
        caller = make_caller(config, max_connections=1)

        async def one():
            try:
                return await caller.complete({"messages": [{"role": "user", "content": "Language: Python"}],
                                              "max_tokens": 64, "seed": 7, "temperature": 0.5})  # fmt: skip
            finally:
                await caller.close()

        answer = asyncio.run(one())
    parameters = seen[0]["parameters"]
    assert parameters["stop"] == ["\n\n\n"]
    assert parameters["top_k"] == 20
    assert parameters["seed"] == 7
    assert parameters["details"] is True
    assert parameters["return_full_text"] is False
    assert answer["usage"]["prompt_tokens"] == 2  # from TGI's prefill tokens (decoder_input_details)


def test_the_edu_rater_speaks_tgi_native_with_greedy_first_tries(tmp_path, chat_tokenizer):
    from test_annotator_edu_rating import DOCS, read_ratings, write_documents

    from snowcoder_hf.annotator.edu_rating import rate_files
    from snowcoder_hf.synth.client import EndpointConfig

    docs = write_documents(tmp_path / "docs.jsonl")
    plan = TgiFailurePlan(overloaded=(2, 4), error_424_every=7, garbage_every=11, drop_every=13)
    with FakeTgiServer(plan) as server:
        native = EndpointConfig(url=server.base_url, model="fake-model", backoff_s=0.01, api="tgi-native",
                                native={"tokenizer": str(chat_tokenizer)})  # fmt: skip
        summary = rate_files(str(docs), tmp_path / "ratings.jsonl", native, concurrency=4, show_progress=False)
        counters, tgi = server.counters, server.tgi
        assert not tgi.validation_errors  # temperature 0 went out as greedy decoding, not as a rejected 0
        assert len(counters.completed_per_key) == DOCS
        assert set(counters.completed_per_key.values()) == {1}
        assert summary.request_retries == counters.by_status[429] + counters.by_status[424] + counters.by_status[
            "garbage"] + counters.by_status["dropped"]  # fmt: skip
        assert all(p.startswith("<|im_start|>user\nRate the educational value") for p in tgi.prompts.values())
        # a chat rating of the same documents is not served from the native cache: the prompt differs
        chat = EndpointConfig(url=server.base_url, model="fake-model", backoff_s=0.01)
        again = rate_files(str(docs), tmp_path / "chat.jsonl", chat, show_progress=False,
                           cache_dir=tmp_path / "ratings.jsonl.cache")  # fmt: skip
        assert again.resumed == 0
        assert len(server.counters.completed_per_key) == 2 * DOCS
    assert set(read_ratings(tmp_path / "ratings.jsonl")) == {f"doc{i}" for i in range(DOCS)}


def test_the_rate_command_takes_the_api_flags(tmp_path, chat_tokenizer, capsys):
    from test_annotator_edu_rating import write_documents

    from snowcoder_hf.cli.main import main

    docs = write_documents(tmp_path / "docs.jsonl", count=5)
    with FakeTgiServer() as server:
        code = main(["annotator", "rate", "--input", str(docs), "--output", str(tmp_path / "r.jsonl"),
                     "--endpoint", server.base_url, "--model", "fake-model", "--no-progress", "--api", "tgi-native",
                     "--tokenizer", str(chat_tokenizer), "--stream"])  # fmt: skip
        assert server.tgi.routes["/"] == 5
    assert code == 0
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 5
    assert "EDU rating" in capsys.readouterr().out
