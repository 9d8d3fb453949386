import random
import re
import zlib

import numpy as np
import pytest

from snowcoder_hf.decont.audit import audit, render_report
from snowcoder_hf.decont.leak_corpus import rename_and_reformat
from snowcoder_hf.decont.sources import full_solution
from snowcoder_hf.evalsets.registry import load_benchmark


def bag_of_words(texts):
    """A deterministic stand-in encoder: hashed word counts (ranking behaviour, no model)."""
    out = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, zlib.crc32(word.encode()) % 512] += 1
    return out


@pytest.fixture(scope="module")
def items():
    return load_benchmark("humaneval")[:40]


def test_a_renamed_copy_is_nearest_to_its_problem_with_a_full_ast_match(items):
    doc = rename_and_reformat(full_solution(items[12]), random.Random(0))
    rows = audit([("renamed", doc), ("other", "print('hello world')\n")], items, bag_of_words, top_k=3)
    assert rows[0].neighbors[0]["task_id"] == "HumanEval/12"
    assert rows[0].best_ast_match == pytest.approx(1.0)
    assert rows[1].best_ast_match < 0.8
    assert len(rows[1].neighbors) == 3


def test_report_counts_thresholds_and_shows_the_closest_pair_side_by_side(items):
    doc = rename_and_reformat(full_solution(items[5]), random.Random(0))
    rows = audit([("d0", doc), ("d1", "x = 1\n")], items, bag_of_words, top_k=2)
    report = render_report(rows, "bag-of-words", ["humaneval"], pairs=1)
    assert "| 0.95 | 1 | 50.00% |" in report
    assert "| 0.80 | 1 | 50.00% |" in report
    assert "`d0` ~ humaneval `HumanEval/5`" in report
    assert report.count("<table>") == 1
    assert "&lt;" in report or "&gt;" in report or "<pre>" in report


def test_top_k_must_be_positive(items):
    with pytest.raises(ValueError, match="`top_k`"):
        audit([("d", "x")], items, bag_of_words, top_k=0)


def test_the_offline_minilm_puts_a_pasted_problem_next_to_its_benchmark_item(minilm_dir, items):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(minilm_dir), device="cpu")
    model.max_seq_length = 128
    subset = items[:12]
    doc = "# helper I found online\n" + full_solution(subset[7])
    rows = audit([("pasted", doc)], subset, lambda texts: model.encode(texts, convert_to_numpy=True), top_k=2)
    assert rows[0].neighbors[0]["task_id"] == "HumanEval/7"
    assert rows[0].neighbors[0]["similarity"] > 0.9
