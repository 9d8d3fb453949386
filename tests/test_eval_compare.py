"""`snowcoder eval --model A --model B --model C`: each model evaluated, then side by side with pass@1, bits per
byte, the stage-to-stage changes, an honest verdict and the plots; the demo's readers still find pass@1."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from snowcoder_hf.cli.main import main
from snowcoder_hf.eval.bpb_report import bpb_columns, verdict_lines
from snowcoder_hf.eval.compare import parse_named


@pytest.fixture
def three_checkpoints(tmp_path, tiny_llama_dir):
    """alpha, beta and final: the tiny Llama, then copies whose weights are nudged so their losses differ."""
    import torch
    from transformers import AutoModelForCausalLM

    folders = []
    for i, name in enumerate(("alpha", "beta", "final")):
        folder = tmp_path / "ckpt" / name
        shutil.copytree(tiny_llama_dir, folder)
        if i:
            model = AutoModelForCausalLM.from_pretrained(folder)
            torch.manual_seed(i)
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter.add_(0.02 * i * torch.randn_like(parameter))
            model.save_pretrained(folder)
        folders.append(folder)
    return folders


def _reference(tmp_path):
    folder = tmp_path / "stage1_files"
    folder.mkdir()
    with gzip.open(folder / "00000.jsonl.gz", "wt") as handle:
        for i in range(12):
            handle.write(json.dumps({"id": f"f{i}", "text": f"def f{i}(x):\n    return x * {i}\n"}) + "\n")
    return folder


def test_several_models_are_evaluated_and_reported_side_by_side(tmp_path, three_checkpoints):
    out = tmp_path / "eval"
    argv = ["eval", "--tasks", "humaneval", "--limit", "1", "--max-new-tokens", "4", "--output", str(out),
            "--workers", "1", "--bits-per-byte-limit", "3", "--reference-dir", str(_reference(tmp_path)),
            "--reference-limit", "8"]  # fmt: skip
    for folder in three_checkpoints:
        argv += ["--model", str(folder)]
    assert main(argv) == 0
    summaries = json.loads((out / "summary.json").read_text())
    assert list(summaries) == ["alpha", "beta", "final"]  # named after their folders, in the order given
    for name, summary in summaries.items():
        assert summary["humaneval"]["tasks"] == 1
        assert summary["humaneval"]["pass@1"] is not None
        assert summary["humaneval"]["bits_per_byte"] > 0
        assert summary["humaneval"]["bits_per_byte_items"] == 3
        assert summary["reference"]["bits_per_byte"] > 0
        assert summary["reference"]["pass@1"] is None
        assert (out / name / "report.md").exists()
    values = [s["humaneval"]["bits_per_byte"] for s in summaries.values()]
    assert len(set(values)) == 3  # three different models, three different losses
    report = (out / "report.md").read_text()
    assert "| alpha -> beta |" in report
    assert "| checkpoint | humaneval | benchmark mean | reference |" in report
    assert "alpha -> final: bits per byte on the benchmarks" in report
    assert "On the reference it" in report
    assert (out / "bits_per_byte.png").stat().st_size > 1000
    assert (out / "pass_at_1.png").exists()


def test_samples_with_several_models_is_refused(tmp_path, capsys):
    assert main(["eval", "--samples", "s.jsonl", "--model", "a", "--model", "b", "--output", str(tmp_path)]) == 2
    assert "`--samples`" in capsys.readouterr().err


def test_model_names_come_from_folders_or_are_given_and_must_be_distinct():
    assert parse_named(["out/alpha", "beta=out/b/", "org/final"]) == [
        ("alpha", "out/alpha"), ("beta", "out/b/"), ("final", "org/final")]  # fmt: skip
    with pytest.raises(ValueError, match="distinct"):
        parse_named(["a/model", "b/model"])
    with pytest.raises(ValueError, match="empty"):
        parse_named([])


def _summaries(bench: list[float], reference: list[float] | None) -> dict:
    out = {}
    for i, name in enumerate(("alpha", "beta", "final")):
        out[name] = {"humaneval_plus": {"pass@1": 0.0, "tasks": 10, "bits_per_byte": bench[i]},
                     "mbpp_plus": {"pass@1": None, "tasks": 0, "bits_per_byte": bench[i] + 0.5}}  # fmt: skip
        if reference is not None:
            out[name]["reference"] = {"pass@1": None, "bits_per_byte": reference[i]}
    return out


def test_the_verdict_credits_a_stage_only_for_moving_more_than_general_code():
    towards = verdict_lines(_summaries([3.0, 2.5, 2.2], [3.0, 2.9, 2.8]))
    assert towards[0].startswith("alpha -> beta: bits per byte on the benchmarks fell (mean -0.5000; lower on 2 of 2)")
    assert "the benchmarks gained on general code, a move towards their distribution" in towards[0]
    away = verdict_lines(_summaries([3.0, 2.9, 2.95], [3.0, 2.5, 2.4]))
    assert "general code gained on the benchmarks, no move towards their distribution" in away[0]
    assert away[1].startswith("beta -> final: bits per byte on the benchmarks rose")
    assert away[2].startswith("alpha -> final:")
    blind = verdict_lines(_summaries([3.0, 2.5, 2.2], None))
    assert all("cannot tell" in line for line in blind)
    assert bpb_columns(_summaries([1, 1, 1], None)) == ["humaneval_plus", "mbpp_plus"]


def test_the_demo_still_reads_pass_at_1_from_a_summary_with_bits_per_byte(tmp_path):
    from snowcoder_hf.demo.publish import eval_pass_at_1

    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "summary.json").write_text(json.dumps(_summaries([3.0, 2.5, 2.2], [3.0, 2.9, 2.8])))
    assert eval_pass_at_1(tmp_path) == {name: {"humaneval_plus": 0.0} for name in ("alpha", "beta", "final")}
