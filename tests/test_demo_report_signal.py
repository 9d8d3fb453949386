"""The demo report shows what the data did: bits per byte per checkpoint with a plot and a verdict, ROC-AUC per
benchmark (naming the ones not covered), and the stage-2 budget against each language's target."""

from __future__ import annotations

import json

from snowcoder_hf.demo.config import load_config
from snowcoder_hf.demo.report import write_report


class _NoMarkers:
    def read(self, name):
        return None


def _bench(values: dict[str, float], pass1: float | None = None) -> dict:
    return {name: {"pass@1": pass1 if name == "humaneval" else None, "tasks": 10 if name == "humaneval" else 0,
                   "environment_missing": 0, "statuses": {}, "bits_per_byte": value}
            for name, value in values.items()}  # fmt: skip


def test_the_report_shows_bits_per_byte_roc_per_benchmark_and_the_honest_budget(tmp_path):
    out = tmp_path / "demo_output"
    (out / "eval").mkdir(parents=True)
    summaries = {
        "alpha": {**_bench({"humaneval": 3.10, "mbpp_plus": 3.40}, 0.0), "reference": {"pass@1": None, "bits_per_byte": 2.9}},
        "beta": {**_bench({"humaneval": 2.80, "mbpp_plus": 3.20}, 0.0), "reference": {"pass@1": None, "bits_per_byte": 2.8}},
        "final": {**_bench({"humaneval": 2.70, "mbpp_plus": 3.25}, 0.0), "reference": {"pass@1": None, "bits_per_byte": 2.75}},
    }  # fmt: skip
    (out / "eval" / "summary.json").write_text(json.dumps(summaries))
    (out / "stage2" / "validation").mkdir(parents=True)
    (out / "stage2" / "validation" / "validation.json").write_text(json.dumps(
        {"hqins": {"humaneval_plus": 0.81, "mbpp_plus": 0.74}, "hq": {"humaneval_plus": 0.77, "mbpp_plus": 0.70}}))  # fmt: skip
    selection = {"repeat": 4, "budget_tokens": 50_000, "selected_tokens": 50_210,
                 "tokens_per_language": {"python": 49_750, "c": 460}, "targets": {"python": 49_530, "c": 470},
                 "shares": {"python": 0.9906, "c": 0.0094}, "selected_shares": {"python": 0.9908, "c": 0.0092},
                 "documents_per_language": {"python": 120, "c": 2}, "skipped_documents": {"python": 1, "c": 5},
                 "thresholds": {"python": 0.61}, "picked_below_threshold": {"python": 1, "c": 2},
                 "warnings": ["c: files are too coarse for a 0.9% share: target 470 tokens, median file 2,100"]}  # fmt: skip
    (out / "stage2" / "selection.json").write_text(json.dumps(selection))
    text = write_report(load_config(), out, [], _NoMarkers()).read_text()

    assert "| checkpoint | humaneval | mbpp_plus | benchmark mean | reference |" in text
    assert "| alpha | 3.1000 | 3.4000 | 3.2500 | 2.9000 |" in text
    assert "- alpha -> beta: bits per byte on the benchmarks fell (mean -0.2500; lower on 2 of 2)." in text
    assert "the benchmarks gained on general code" in text
    assert (out / "report_bits_per_byte.png").stat().st_size > 1000
    assert "![bits per byte](report_bits_per_byte.png)" in text

    assert "| hqins | 0.810 | 0.740 |" in text
    assert "_Not covered: evoeval, bigcodebench" in text

    assert "Budget 50,000 tokens, selected 50,210" in text
    assert "| c | 0.9% | 470 | 460 | 0.9% | -10 | 2 | 5 |" in text
    assert "| **total** | 100% | 50,000 | 50,210 | 100% | +210 | 122 | 6 |" in text
    assert "- warning: c: files are too coarse for a 0.9% share" in text


def test_a_summary_without_bits_per_byte_says_so_instead_of_showing_nothing(tmp_path):
    out = tmp_path / "demo_output"
    (out / "eval").mkdir(parents=True)
    (out / "eval" / "summary.json").write_text(json.dumps(
        {name: {"humaneval": {"pass@1": 0.0, "tasks": 10}} for name in ("alpha", "beta", "final")}))  # fmt: skip
    text = write_report(load_config(), out, [], _NoMarkers()).read_text()
    assert "| alpha | 0.000 |" in text
    assert "_No bits per byte measured" in text


class _Markers:
    def __init__(self, seconds: dict[str, float]):
        self.seconds = seconds

    def read(self, name):
        return {"seconds": self.seconds[name]} if name in self.seconds else None


def test_the_report_says_where_the_time_went(tmp_path):
    out = tmp_path / "demo_output"
    (out / "stage2").mkdir(parents=True)
    (out / "stage2" / "stage2_summary.json").write_text(json.dumps(
        {"timings": {"training data": 4.0, "annotator training": 40.0, "validation": 6.0, "scoring": 110.0,
                     "selection": 3.0}}))  # fmt: skip
    (out / "stage3").mkdir()
    (out / "stage3" / "summary.json").write_text(
        json.dumps({"generation": {"successful_requests": 8, "completion_tokens": 4_000, "inference_time": 100.0}})
    )
    seconds = {"stage1_data": 60, "alpha": 90, "stage2_data": 170, "beta": 60, "stage3_data": 130}
    text = write_report(load_config(), out, [], _Markers(seconds)).read_text()
    assert "| stage2_data | Train and validate the annotator, score and select the stage-2 data | 170s | 33% |" in text
    assert "| final | Train the final model (stage 3) | not run |  |" in text
    assert "| **all** |  | **510s** (8.5 min) |  |" in text
    assert "Inside `stage2_data`: training data 4s, annotator training 40s, validation 6s, scoring 110s" in text
    assert "Inside `stage3_data`: 8 answers, 4,000 completion tokens in 100s of generation (40.0 tokens/s)." in text
