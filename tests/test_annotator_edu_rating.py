"""ANN-EDU ratings against the failure-injecting server: parsed, garbage counted, retried, resumable, trainable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snowcoder_hf.annotator.edu_rating import RatingSettings, parse_score, rate_files
from snowcoder_hf.standins.inference_server import FailurePlan, FakeChatServer
from snowcoder_hf.synth.client import EndpointConfig

DOCS = 24


def write_documents(path: Path, count: int = DOCS) -> Path:
    """Files with 0 to 4 docstrings and comments (the fake rater's score follows them), plus one bad line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        for i in range(count):
            documented = i % 5
            body = "".join(
                f'def f{j}(x):\n    """Return x plus {j}."""\n    return x + {j}\n\n' for j in range(documented)
            )
            text = body + "".join(f"v{j} = {i * j}\n" for j in range(3 + i % 7))
            f.write(json.dumps({"id": f"doc{i}", "text": text, "metadata": {"language": "Python", "path": f"m{i}.py"}}))
            f.write("\n")
        f.write("{not json\n")  # counted by the reader, never sent
    return path


def endpoint(server: FakeChatServer, **overrides) -> EndpointConfig:
    return EndpointConfig(url=server.base_url, model="fake-model", backoff_s=0.01, max_retries=6, **overrides)


def read_ratings(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ("Clear code.\nEducational value: 4", 4.0),
        ("**Educational value:** 3", 3.0),
        ("I'd give it a score of 2/5.", 2.0),
        ("Rating: 4 out of 5", 4.0),
        ("5", 5.0),
        ("The educational value is 3.5", 3.5),
        ("Score: 2\n...on reflection, Educational value: 3", 3.0),
    ],
)
def test_scores_are_read_from_the_forms_models_answer_in(answer, score):
    assert parse_score(answer) == score


@pytest.mark.parametrize(
    "answer",
    ["", "This code is nice.", "Educational value: 7", "Score: 8/10", "Educational value: 0", "I rate it 42", None],
)
def test_answers_without_a_1_to_5_score_are_not_scored(answer):
    assert parse_score(answer) is None


def test_every_document_is_rated_through_429s_500s_and_garbage_bodies(tmp_path):
    docs = write_documents(tmp_path / "docs.jsonl")
    plan = FailurePlan(burst_429=(2, 4), error_500_every=7, garbage_every=11, drop_every=13)
    with FakeChatServer(plan) as server:
        summary = rate_files(
            str(docs), tmp_path / "ratings.jsonl", endpoint(server), concurrency=4, show_progress=False
        )
        counters = server.counters
    ratings = read_ratings(tmp_path / "ratings.jsonl")
    assert set(ratings) == {f"doc{i}" for i in range(DOCS)}
    assert summary.failed == 0
    assert summary.unparsed == 0
    assert summary.documents == DOCS
    # the fake rater's score is 1 + the number of documented functions
    assert all(ratings[f"doc{i}"]["score"] == 1 + i % 5 for i in range(DOCS))
    assert counters.by_status[429] == 4
    assert counters.by_status[500] >= 1
    assert counters.by_status["garbage"] >= 1
    assert summary.request_retries >= 4 + counters.by_status[500] + counters.by_status["garbage"]
    assert sum(counters.completed_per_key.values()) == DOCS  # each document asked (and paid) once
    assert counters.models_seen == {"fake-model"}
    assert counters.max_tokens_seen == {128}


def test_answers_without_a_score_are_counted_retried_and_never_scored(tmp_path):
    docs = write_documents(tmp_path / "docs.jsonl")
    plan = FailurePlan(unscored_modulo=3)  # about a third of the keys answer without a score
    with FakeChatServer(plan) as server:
        retried = rate_files(str(docs), tmp_path / "retried.jsonl", endpoint(server), show_progress=False,
                             settings=RatingSettings(unparsed_retries=4))  # fmt: skip
        strict = rate_files(str(docs), tmp_path / "strict.jsonl", endpoint(server), show_progress=False,
                            settings=RatingSettings(unparsed_retries=0))  # fmt: skip
    # retries ask with a new seed, so most unscored first answers get a score on a later try
    assert retried.unparsed_answers > 0
    assert retried.unparsed < retried.unparsed_answers
    assert retried.written + retried.unparsed == DOCS
    # with no retries every unscored answer is reported and left out of the ratings
    assert strict.unparsed == strict.unparsed_answers > 0
    assert len(read_ratings(tmp_path / "strict.jsonl")) == DOCS - strict.unparsed
    assert all(1 <= r["score"] <= 5 for r in read_ratings(tmp_path / "strict.jsonl").values())


def test_a_rerun_asks_nothing_again_and_a_new_model_is_asked_afresh(tmp_path):
    docs = write_documents(tmp_path / "docs.jsonl")
    with FakeChatServer() as server:
        rate_files(str(docs), tmp_path / "ratings.jsonl", endpoint(server), show_progress=False)
        first = server.counters.requests
        again = rate_files(str(docs), tmp_path / "ratings.jsonl", endpoint(server), show_progress=False)
        assert server.counters.requests == first
        assert again.resumed == DOCS
        assert again.written == DOCS
        other = EndpointConfig(url=server.base_url, model="other-model", backoff_s=0.01)
        rate_files(str(docs), tmp_path / "other.jsonl", other, show_progress=False, cache_dir=tmp_path / "ratings.jsonl.cache")  # fmt: skip
        assert server.counters.requests == first + DOCS


CHILD = """
import sys
from snowcoder_hf.annotator.edu_rating import rate_files
from snowcoder_hf.synth.client import EndpointConfig
rate_files(sys.argv[1], sys.argv[2], EndpointConfig(url=sys.argv[3], model="fake-model", backoff_s=0.01),
           concurrency=2, show_progress=False)
"""


def test_a_killed_run_resumes_without_asking_finished_documents_again(tmp_path):
    docs = write_documents(tmp_path / "docs.jsonl")
    output = tmp_path / "ratings.jsonl"
    with FakeChatServer(latency_s=0.2) as server:
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(docs), str(output), server.base_url], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while sum(server.counters.completed_per_key.values()) < 8 and time.monotonic() < deadline:
            assert child.poll() is None, "the run finished before it could be killed"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert not output.exists()  # killed before writing: only the cache holds its work
        cached = {json.loads(line)["key"] for line in (tmp_path / "ratings.jsonl.cache" / "ratings.jsonl").open()}
        assert 8 - 2 <= len(cached) < DOCS
        summary = rate_files(str(docs), output, endpoint(server), concurrency=2, show_progress=False)
        counters = server.counters
    assert summary.resumed == len(cached)
    assert len(read_ratings(output)) == DOCS
    assert len(counters.completed_per_key) == DOCS
    # only the requests in flight at the kill (at most `concurrency`) were answered twice
    assert sum(n - 1 for n in counters.completed_per_key.values()) <= 2


def test_the_rate_command_feeds_build_data_and_an_edu_regression_head(tmp_path, minilm_dir, capsys):
    from test_annotator_training import write_stage1_files

    from snowcoder_hf.annotator.random_encoder import build_random_encoder
    from snowcoder_hf.annotator.training import read_records
    from snowcoder_hf.cli.main import main

    docs = write_documents(tmp_path / "docs.jsonl", count=40)
    files = write_stage1_files(tmp_path / "stage1" / "files", count=30)
    encoder = build_random_encoder(tmp_path / "enc", "bert-tiny-random", tokenizer_dir=minilm_dir, max_seq_length=64)
    with FakeChatServer(FailurePlan(error_500_every=5)) as server:
        code = main(["annotator", "rate", "--input", str(docs), "--output", str(tmp_path / "ratings.jsonl"),
                     "--endpoint", server.base_url, "--model", "fake-model", "--concurrency", "3", "--no-progress"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "EDU rating" in out
    assert "scores: 1: 8, 2: 8, 3: 8, 4: 8, 5: 8" in out
    (tmp_path / "sources.yaml").write_text("hq: []\nins: []\n")  # the edu variant needs only the ratings
    assert main(["annotator", "build-data", "--stage1-files", str(files), "--output", str(tmp_path / "data"),
                 "--sources", str(tmp_path / "sources.yaml"), "--negatives", "10", "--heldout", "10",
                 "--ratings", str(tmp_path / "ratings.jsonl")]) == 0  # fmt: skip
    assert sum(r["source"] == "edu" for r in read_records(tmp_path / "data")) == 40
    assert main(["annotator", "train", "--data", str(tmp_path / "data"), "--variant", "edu",
                 "--output", str(tmp_path / "edu"), "--encoder", str(encoder)]) == 0  # fmt: skip
    config = json.loads((tmp_path / "edu" / "annotator.json").read_text())
    assert config["variant"] == "edu"


def test_an_unreachable_server_is_one_clear_error(tmp_path, capsys):
    from snowcoder_hf.cli.main import main

    docs = write_documents(tmp_path / "docs.jsonl", count=2)
    code = main(["annotator", "rate", "--input", str(docs), "--output", str(tmp_path / "r.jsonl"),
                 "--endpoint", "http://127.0.0.1:9", "--model", "m", "--no-progress"])  # fmt: skip
    assert code == 2
    assert "Cannot reach the inference server" in capsys.readouterr().err
