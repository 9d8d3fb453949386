"""The annotator's validation covers every benchmark it can reach: `auto` resolution and ROC-AUC per benchmark."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from snowcoder_hf.evalsets.available import PAPER_BENCHMARKS, resolve_benchmarks


def test_auto_without_a_folder_is_humaneval_from_the_pip_package_and_names_what_it_left_out():
    chosen, skipped = resolve_benchmarks("auto", None)
    assert chosen == ["humaneval"]
    assert set(skipped) == set(PAPER_BENCHMARKS)


def test_auto_with_the_release_files_is_every_paper_benchmark(shared_benchmarks):
    chosen, skipped = resolve_benchmarks("auto", shared_benchmarks)
    assert chosen == ["humaneval_plus", "mbpp_plus", "evoeval", "bigcodebench"]
    assert skipped == {}


def test_auto_with_some_files_takes_what_is_there_and_humaneval_stands_in_for_humaneval_plus(tmp_path,
                                                                                           shared_benchmarks):  # fmt: skip
    for name in ("MbppPlus.jsonl.gz", "EvoEval_subtle.jsonl.gz", "EvoEval_combine.jsonl.gz"):
        shutil.copy(shared_benchmarks / name, tmp_path / name)
    chosen, skipped = resolve_benchmarks("auto", tmp_path)
    assert chosen == ["humaneval", "mbpp_plus", "evoeval_subtle", "evoeval_combine"]
    assert set(skipped) == {"humaneval_plus", "evoeval_difficult", "evoeval_creative", "evoeval_tool_use",
                            "bigcodebench"}  # fmt: skip


def test_explicit_names_pass_through_and_bad_ones_fail_with_the_known_names(tmp_path):
    assert resolve_benchmarks("humaneval, mbpp_plus", None) == (["humaneval", "mbpp_plus"], {})
    with pytest.raises(ValueError, match="must be one of"):
        resolve_benchmarks("humaneval,humaneval_pluss", None)
    with pytest.raises(FileNotFoundError, match="`benchmark_dir`"):
        resolve_benchmarks("auto", tmp_path / "missing")


def _stage1_files(folder, count: int = 60):
    folder.mkdir(parents=True)
    with gzip.open(folder / "00000.jsonl.gz", "wt") as f:
        for i in range(count):
            text = "".join(f"x{j} = {(i * 7 + j) % 97}\nprint(x{j})\n" for j in range(2 + i % 30))
            f.write(json.dumps({"id": f"s{i}", "text": text, "metadata": {"language": "python"}}) + "\n")
    return folder


def test_validation_reports_roc_auc_per_benchmark_for_each_variant(tmp_path, minilm_dir, shared_benchmarks):
    from snowcoder_hf.annotator.encoder import ChunkEncoder
    from snowcoder_hf.annotator.random_encoder import build_random_encoder
    from snowcoder_hf.annotator.training import build_training_data, train_annotator
    from snowcoder_hf.annotator.validate import run_validation

    encoder_dir = build_random_encoder(tmp_path / "enc", "bert-tiny-random", tokenizer_dir=minilm_dir,
                                       max_seq_length=32)  # fmt: skip
    files = _stage1_files(tmp_path / "stage1" / "files")
    sources = {"hq": [{"type": "stdlib_hq"}], "ins": [{"type": "package_instructions"}]}
    build_training_data(tmp_path / "data", stage1_files=files, sources=sources, limits={"hq": 8, "ins": 8},
                        negatives=20, heldout_negatives=20)  # fmt: skip
    encoder = ChunkEncoder(str(encoder_dir), device="cpu")
    for variant in ("hq", "hqins"):
        train_annotator(tmp_path / "data", variant, tmp_path / variant, encoder=str(encoder_dir), chunk_encoder=encoder)
    table = run_validation([tmp_path / "hq", tmp_path / "hqins"], tmp_path / "data", "auto", shared_benchmarks,
                           tmp_path / "validation")  # fmt: skip
    assert set(table) == {"hq", "hqins"}
    for row in table.values():
        assert list(row) == list(PAPER_BENCHMARKS)
        assert all(0 <= value <= 1 for value in row.values())
    report = (tmp_path / "validation" / "validation.md").read_text()
    assert "| hqins |" in report
    assert "bigcodebench" in report
    assert json.loads((tmp_path / "validation" / "validation.json").read_text()) == table
