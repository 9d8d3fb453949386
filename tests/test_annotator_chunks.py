"""Chunk selection and averaging arithmetic, with a word-piece tokenizer written for the test (no model)."""

from __future__ import annotations

import re

import pytest

from snowcoder_hf.annotator.chunks import flatten, mean_score, regroup, select_chunks

WORD_RE = re.compile(r"\w+|[^\w\s]")


class PieceTokenizer:
    """Words (identifiers or single punctuation marks) split into 3-character pieces, like WordPiece;
    counts the characters it is asked to tokenize."""

    def __init__(self):
        self.chars_seen = 0

    def __call__(self, text: str):
        self.chars_seen += len(text)
        ids, offsets, words = [], [], []
        for word_index, match in enumerate(WORD_RE.finditer(text)):
            for start in range(match.start(), match.end(), 3):
                piece = text[start : min(start + 3, match.end())]
                ids.append(sum(map(ord, piece)) + (1000 if start > match.start() else 0))
                offsets.append((start, min(start + 3, match.end())))
                words.append(word_index)
        return ids, offsets, words


def _code(lines: int) -> str:
    return "".join(f"def function_{i}(argument):\n    return argument * {i}\n" for i in range(lines))


@pytest.fixture
def tokenize():
    return PieceTokenizer()


def test_a_document_that_fits_the_window_is_one_chunk_with_all_its_tokens(tokenize):
    text = _code(2)
    chunks = select_chunks(text, "top_middle_bottom", 64, tokenize)
    assert len(chunks) == 1
    assert list(chunks[0].token_ids) == tokenize(text)[0]
    assert text[chunks[0].start : chunks[0].end] == text.strip()


def test_a_long_document_reads_its_top_middle_and_bottom_without_splitting_words(tokenize):
    text = _code(200)
    chunks = select_chunks(text, "top_middle_bottom", 40, tokenize)
    assert len(chunks) == 3
    top, middle, bottom = chunks
    assert top.start == 0
    assert bottom.end == len(text.rstrip())
    assert top.end < middle.start < len(text) // 2 < middle.end < bottom.start
    for chunk in chunks:
        assert 0 < len(chunk.token_ids) <= 40
        # Re-tokenizing the chunk's text gives back its tokens: no word was cut in two.
        assert list(chunk.token_ids) == tokenize(text[chunk.start : chunk.end])[0]


def test_a_document_of_two_windows_is_read_as_top_and_bottom(tokenize):
    text = _code(3)
    total = len(tokenize(text)[0])
    chunks = select_chunks(text, "top_middle_bottom", total // 2 + 5, tokenize)
    assert len(chunks) == 2
    assert chunks[0].start == 0
    assert chunks[1].end == len(text.rstrip())
    assert chunks[1].start <= chunks[0].end


def test_first_reads_only_the_first_chunk(tokenize):
    chunks = select_chunks(_code(200), "first", 40, tokenize)
    assert len(chunks) == 1
    assert chunks[0].start == 0


def test_all_reads_every_token_exactly_once_in_order(tokenize):
    text = _code(30)
    chunks = select_chunks(text, "all", 25, tokenize)
    assert [i for c in chunks for i in c.token_ids] == tokenize(text)[0]
    assert all(len(c.token_ids) <= 25 for c in chunks)
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))


def test_a_megabyte_file_is_tokenized_only_where_its_chunks_are(tokenize):
    text = _code(20_000)
    assert len(text) > 1_000_000
    chunks = select_chunks(text, "top_middle_bottom", 128, tokenize)
    assert len(chunks) == 3
    assert tokenize.chars_seen < 20_000  # three small windows, not the whole megabyte


def test_a_file_of_one_huge_line_gets_bounded_chunks(tokenize):
    text = "x=1;" * 300_000
    chunks = select_chunks(text, "top_middle_bottom", 100, tokenize)
    assert len(chunks) == 3
    assert all(len(c.token_ids) == 100 for c in chunks)
    assert tokenize.chars_seen < 10_000


def test_a_single_word_longer_than_the_window_is_cut_rather_than_lost(tokenize):
    text = "a" * 10_000
    chunks = select_chunks(text, "top_middle_bottom", 50, tokenize)
    assert chunks
    assert all(0 < len(c.token_ids) <= 50 for c in chunks)


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_an_empty_document_has_no_chunk_and_no_score(tokenize, text):
    assert select_chunks(text, "top_middle_bottom", 32, tokenize) == []
    assert mean_score([]) is None


def test_the_document_score_is_the_mean_of_its_chunk_scores():
    assert mean_score([0.2, 0.5, 0.8]) == pytest.approx(0.5)
    assert mean_score([0.9]) == pytest.approx(0.9)


def test_flatten_and_regroup_return_each_document_its_own_chunks():
    per_document = [[1, 2, 3], [], [4], [5, 6]]
    flat, counts = flatten(per_document)
    assert flat == [1, 2, 3, 4, 5, 6]
    assert regroup([x * 10 for x in flat], counts) == [[10, 20, 30], [], [40], [50, 60]]
    with pytest.raises(ValueError, match="`counts`"):
        regroup(flat[:-1], counts)


def test_an_unknown_strategy_or_window_is_rejected_with_the_accepted_form(tokenize):
    with pytest.raises(ValueError, match="`chunks` must be one of first, top_middle_bottom, all"):
        select_chunks("x", "middle", 32, tokenize)
    with pytest.raises(ValueError, match="`max_tokens`"):
        select_chunks("x", "first", 0, tokenize)
