import random
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from snowcoder_hf.decont.audit import ast_match_rate, snippet_signatures, threshold_counts
from snowcoder_hf.decont.encode import Encoder
from snowcoder_hf.decont.hashing import covered_length, merged_intervals, token_codes, window_hashes
from snowcoder_hf.decont.leak_corpus import rename_and_reformat
from snowcoder_hf.decont.normalize import PLACEHOLDER, ast_normalized, stream, strip_docstrings, strip_imports

CODE = '''import os
from typing import List


def mean_gap(values: List[float]) -> float:
    """Average distance between neighbours."""
    # sort first
    ordered = sorted(values)
    return sum(b - a for a, b in zip(ordered, ordered[1:])) / max(len(values) - 1, 1)
'''


def _stdlib_texts(count: int) -> list[str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return [p.read_text(errors="replace") for p in sorted(root.glob("*.py"))[:count]]


def test_canonical_stream_is_the_same_after_renaming_and_reformatting():
    renamed = rename_and_reformat(CODE, random.Random(0))
    assert "mean_gap" not in renamed
    assert "ordered" not in renamed
    # the index stores the `ast.unparse` form too, which is what a reformatter like this one produces
    assert stream(strip_imports(ast_normalized(CODE)), "canonical") == stream(strip_imports(renamed), "canonical")
    as_written = stream(strip_imports(strip_docstrings(CODE)), "canonical")
    assert len(as_written) > 30


def test_canonical_stream_keeps_builtins_attributes_and_operators_but_not_local_names():
    tokens = stream("total = len(xs) + obj.count - 1", "canonical")
    assert tokens == [PLACEHOLDER, "=", "len", "(", PLACEHOLDER, ")", "+", PLACEHOLDER, ".count", "-", "1"]


def test_exact_stream_ignores_whitespace_but_not_operators():
    assert stream("a+b", "exact") == stream("a +\n   b", "exact") == ["a", "+", "b"]
    assert stream("a - b", "exact") != stream("a + b", "exact")


def test_decontamination_tokens_are_the_shared_lexical_tokens():
    from snowcoder_hf.common.code_text import lexical_tokens
    from snowcoder_hf.decont.normalize import TOKEN_RE

    for text in [*_stdlib_texts(20), "a+b—c ½ ’q’ \x00\x7f 日本語", ""]:
        assert TOKEN_RE.findall(text) == lexical_tokens(text)


def test_prose_stream_folds_case_and_ignores_comment_markers_and_wrapping():
    assert stream("# Return the LIST\n# of words", "prose") == stream('"""return the list of words"""', "prose")


def test_imports_and_docstrings_are_cut_but_the_rest_is_kept():
    cut = strip_imports(strip_docstrings(CODE))
    assert "import" not in cut
    assert "Average distance" not in cut
    assert "ordered = sorted(values)" in cut
    assert ast_normalized("def f(:\n") is None
    assert strip_docstrings("not python (") == "not python ("


def test_vectorized_encoder_agrees_with_the_reference_streams_on_real_code():
    texts = _stdlib_texts(12) + ["x.y.z ... a..b 1.5 .5 'q'.join(s) # c\n.attr", "", "日本語 = 1\nİ = 2 — ½ ’q’"]
    vocab = {ch: sorted({t for text in texts for t in stream(text, ch)}) for ch in ("exact", "canonical", "prose")}
    encoder = Encoder(vocab)
    for text in texts:
        encoded = encoder.encode(text)
        for channel in ("exact", "canonical", "prose"):
            expected = encoder.ids(stream(text, channel), channel)
            np.testing.assert_array_equal(encoded[channel][0], expected, err_msg=f"{channel}: {text[:40]!r}")


def test_window_hashes_match_equal_windows_and_skip_unknown_tokens():
    codes = token_codes(10)
    ids = np.array([1, 2, 3, 1, 2, 3, 0, 1, 2])
    hashes, valid = window_hashes(ids, codes, 3)
    assert hashes[0] == hashes[3]
    assert hashes[0] != hashes[1]
    assert valid.tolist() == [True, True, True, True, False, False, False]
    assert window_hashes(ids[:2], codes, 3)[0].size == 0


def test_covered_length_and_intervals_merge_overlapping_windows():
    assert covered_length([0, 2, 10], 4) == 10
    assert merged_intervals([10, 0, 2], 4) == [(0, 6), (10, 14)]
    assert covered_length([], 4) == 0


def test_ast_match_rate_ignores_names_and_separates_different_programs():
    renamed = rename_and_reformat(CODE, random.Random(1))
    assert ast_match_rate(snippet_signatures(CODE), snippet_signatures(renamed)) == pytest.approx(1.0)
    other = "class Stack:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n        self.items.append(x)\n"
    assert ast_match_rate(snippet_signatures(CODE), snippet_signatures(other)) < 0.8
    assert ast_match_rate(snippet_signatures("int main() {}"), snippet_signatures(CODE)) == 0.0


def test_threshold_counts_count_documents_at_or_above_each_rate():
    class Row:
        def __init__(self, best):
            self.best_ast_match = best

    counts = threshold_counts([Row(0.97), Row(0.9), Row(0.5)])
    assert counts == {0.95: 1, 0.9: 2, 0.85: 2, 0.8: 2}
