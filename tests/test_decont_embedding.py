"""The embedding statement channel: prose blocks of any comment syntax, and matches above a threshold."""

import re
import zlib

import numpy as np
import pytest

from snowcoder_hf.decont.embedding import EmbeddingStatementMatcher, prose_blocks
from snowcoder_hf.evalsets.registry import load_benchmark


def bag_of_words(texts):
    """A deterministic stand-in encoder: hashed word counts."""
    out = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, zlib.crc32(word.encode()) % 512] += 1
    return out


def test_prose_blocks_are_comment_runs_and_triple_quoted_strings_of_enough_words():
    text = ("x = 1  # short\n// one two three four five six seven eight nine ten eleven twelve\n"
            "// thirteen\ny = 2\n"
            '"""alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu"""\n'
            "# too few words here\n")  # fmt: skip
    blocks = prose_blocks(text)
    assert [b[2].split()[0] for b in blocks] == ["one", "alpha"]
    start, end, _ = blocks[0]
    assert text[start:end].startswith("// one")
    assert text[start:end].rstrip().endswith("thirteen")


def test_a_restated_problem_in_a_comment_matches_its_task_and_unrelated_prose_does_not():
    items = load_benchmark("humaneval")[:30]
    matcher = EmbeddingStatementMatcher(items, bag_of_words, threshold=0.6)
    statement = " ".join(items[3].prompt.split('"""')[1].split())
    doc = "int main(void) {\n" + "".join(f"  // {w}\n" for w in [statement]) + "  return 0;\n}\n"
    found = matcher.matches(doc)
    assert found[0]["task_id"] == items[3].task_id
    assert found[0]["channel"] == "embedding"
    assert found[0]["similarity"] >= 0.6
    assert matcher.matches("# the quick brown fox jumps over the lazy dog again and again every single day\n") == []
    with pytest.raises(ValueError, match="`threshold`"):
        EmbeddingStatementMatcher(items, bag_of_words, threshold=0)
