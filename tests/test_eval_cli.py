"""`snowcoder eval` end to end: scoring a sample file, and generating from a tiny checkpoint."""

from __future__ import annotations

import json

from snowcoder_hf.cli.main import main


def test_eval_scores_a_sample_file_and_writes_the_report(tmp_path, shared_benchmarks):
    from snowcoder_hf.evalsets.registry import load_benchmark

    items = load_benchmark("humaneval_plus", str(shared_benchmarks))[:2]
    samples = tmp_path / "samples.jsonl"
    rows = [{"task_id": items[0].task_id, "benchmark": "humaneval_plus", "completion": items[0].solution},
            {"task_id": items[1].task_id, "benchmark": "humaneval_plus", "completion": "    return []\n"},
            {"task_id": "HumanEval/9999", "benchmark": "humaneval_plus", "completion": "pass"}]  # fmt: skip
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows) + "garbage line\n")
    out = tmp_path / "report"
    code = main(["eval", "--samples", str(samples), "--benchmark-dir", str(shared_benchmarks), "--output", str(out),
                 "--workers", "2"])  # fmt: skip
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())["results"]
    assert summary["humaneval_plus"]["pass@1"] == 50.0
    details = [json.loads(line) for line in (out / "details.jsonl").read_text().splitlines()]
    assert [d["passed"] for d in details] == [True, False]
    assert "this run" in (out / "report.md").read_text()
    assert (out / "pass_at_1.png").exists()


def test_eval_rejects_a_bad_limit(tmp_path, capsys):
    assert main(["eval", "--model", "x", "--limit", "0", "--output", str(tmp_path)]) == 2
    assert "`--limit`" in capsys.readouterr().err


def test_evaluate_checkpoint_generates_scores_and_fills_a_card_context(tmp_path, tiny_llama_dir, shared_benchmarks):
    from snowcoder_hf.eval.evaluate import evaluate_checkpoint

    result = evaluate_checkpoint(str(tiny_llama_dir), tmp_path / "eval", benchmark_dir=str(shared_benchmarks),
                                 task_ids=["HumanEval/0", "HumanEval/2"], max_new_tokens=8)  # fmt: skip
    assert result["summary"]["humaneval_plus"]["tasks"] == 2
    assert result["eval_results"][0]["task"] == "HumanEval+"
    assert result["eval_results"][0]["metric"] == "pass@1"
    details = (tmp_path / "eval" / "details.jsonl").read_text().splitlines()
    assert len(details) == 2
