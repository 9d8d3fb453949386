"""`snowcoder synth ...` and `recipes/stage3_data.py` end to end against the fake server."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from test_synth_failures import read_set, write_seeds

from snowcoder_hf.cli.main import main
from snowcoder_hf.standins.inference_server import FakeChatServer

REPO = Path(__file__).resolve().parents[1]


def test_exercises_command_keeps_exercises_whose_doctests_pass(tmp_path, capsys):
    with FakeChatServer() as server:
        code = main(["synth", "exercises", "--output", str(tmp_path / "out"), "--endpoint", server.base_url,
                     "--model", "fake", "--num-samples", "6", "--concurrency", "3", "--max-tokens", "256",
                     "--decontaminate", "none", "--no-progress"])  # fmt: skip
    assert code == 0
    kept = read_set(tmp_path / "out")
    assert len(kept) == 6
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["diversity"]["distinct_function_name"] == 6
    assert "kept" in capsys.readouterr().out


def test_textbook_command_writes_sections_and_a_diversity_report(tmp_path):
    with FakeChatServer() as server:
        code = main(["synth", "textbook", "--output", str(tmp_path / "out"), "--endpoint", server.base_url,
                     "--model", "fake", "--num-samples", "5", "--decontaminate", "none", "--no-progress"])  # fmt: skip
    assert code == 0
    kept = read_set(tmp_path / "out")
    assert len(kept) == 5
    assert all("```python" in doc["text"] and doc["metadata"]["audience"] for doc in kept.values())
    report = (tmp_path / "out" / "report.md").read_text()
    assert "distinct_topic" in report
    assert "distinct_2" in report


def test_a_wrong_endpoint_is_one_clear_error_line(tmp_path, capsys):
    code = main(["synth", "textbook", "--output", str(tmp_path / "out"), "--endpoint", "ftp://nowhere",
                 "--model", "m", "--num-samples", "1", "--no-progress"])  # fmt: skip
    assert code == 2
    assert "`endpoint` must be an http(s) URL" in capsys.readouterr().err


def test_the_recipe_runs_its_tiny_config_with_overrides(tmp_path, stdlib_dir, monkeypatch):
    sys.path.insert(0, str(REPO / "recipes"))
    monkeypatch.syspath_prepend(str(REPO / "recipes"))
    import stage3_data

    seeds = write_seeds(tmp_path / "seeds", stdlib_dir)
    with FakeChatServer() as server:
        config = stage3_data.parse_args(["--config", str(REPO / "recipes/configs/tiny/stage3_data.yaml"),
                                         "--output", str(tmp_path / "out"), "--input", str(seeds),
                                         "--endpoint", server.base_url, "--decontaminate", "[]",
                                         "--show_progress", "false"])  # fmt: skip
        assert config.max_tokens == 768
        assert stage3_data.main(config) == 0
    assert len(read_set(tmp_path / "out")) > 0
    with gzip.open(next((tmp_path / "out" / "work").iterdir()) / "plan.jsonl.gz", "rt") as f:
        assert len(f.readlines()) == 8
