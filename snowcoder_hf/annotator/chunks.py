"""Which parts of a document the annotator reads, and how chunk scores become a document score.

Pure functions, no model: they take a `tokenize` callable, so the arithmetic is tested without one.

A chunk is at most `max_tokens` encoder tokens (the encoder's window without its special tokens),
cut at word boundaries so that re-tokenizing the chunk's text gives back the same tokens. Strategies:

- `first`: the first chunk only (FineWeb-Edu style).
- `top_middle_bottom` (the paper's, the default): the first chunk, the chunk starting half a chunk
  before the middle character, and the last chunk. A document that fits one window is one chunk; one
  that fits two windows is its top and bottom chunks.
- `all`: every consecutive chunk.

Only the characters a chunk needs are tokenized: a window of about `max_tokens * chars_per_token`
characters, doubled while it holds too few tokens. A 1 MB file costs three small windows, not a
1 MB tokenization (except under `all`, which reads everything by definition).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

CHUNK_STRATEGIES = ("first", "top_middle_bottom", "all")

# tokenize(text) -> (token ids, (start, end) character offsets, word ids (None: each token is a word))
TokenizeFn = Callable[[str], tuple[list[int], list[tuple[int, int]], list[int | None] | None]]


@dataclass(frozen=True)
class Chunk:
    """Characters `start:end` of a document and their encoder token ids (no special tokens)."""

    start: int
    end: int
    token_ids: tuple[int, ...]


def check_strategy(strategy: str) -> str:
    if strategy not in CHUNK_STRATEGIES:
        raise ValueError(f"`chunks` must be one of {', '.join(CHUNK_STRATEGIES)}, got {strategy!r}.")
    return strategy


def starts_mid_word(text: str, start: int) -> bool:
    """Whether a cut at `start` may split a word: non-space characters on both sides of it."""
    return 0 < start < len(text) and not text[start - 1].isspace() and not text[start].isspace()


class _Window:
    """Tokens of `text[start:end]` with absolute offsets and word ids."""

    def __init__(self, text: str, start: int, end: int, tokenize: TokenizeFn):
        ids, offsets, words = tokenize(text[start:end])
        self.ids = list(ids)
        self.offsets = [(s + start, e + start) for s, e in offsets]
        self.words = list(words) if words is not None else list(range(len(ids)))
        self.words = [w if w is not None else -1 - i for i, w in enumerate(self.words)]

    def drop_first_word(self) -> None:
        cut = next((i for i, w in enumerate(self.words) if w != self.words[0]), len(self.words))
        self._keep(cut, len(self.ids))

    def drop_last_word(self) -> None:
        last = self.words[-1] if self.words else None
        cut = next((i + 1 for i in range(len(self.words) - 1, -1, -1) if self.words[i] != last), 0)
        self._keep(0, cut)

    def _keep(self, lo: int, hi: int) -> None:
        self.ids, self.offsets, self.words = self.ids[lo:hi], self.offsets[lo:hi], self.words[lo:hi]

    def chunk(self, lo: int, hi: int) -> Chunk:
        return Chunk(self.offsets[lo][0], self.offsets[hi - 1][1], tuple(self.ids[lo:hi]))


def _word_aligned_end(window: _Window, lo: int, hi: int) -> int:
    """Move `hi` back so the chunk `lo:hi` does not end inside a word (unless one word fills it)."""
    end = hi
    while lo < end < len(window.words) and window.words[end] == window.words[end - 1]:
        end -= 1
    return end if end > lo else hi


def _word_aligned_start(window: _Window, lo: int, hi: int) -> int:
    """Move `lo` forward so the chunk `lo:hi` does not begin inside a word (unless one word fills it)."""
    start = lo
    while 0 < start < hi and window.words[start] == window.words[start - 1]:
        start += 1
    return start if start < hi else lo


def _forward_chunk(
    text: str, start: int, max_tokens: int, tokenize: TokenizeFn, chars: int
) -> tuple[Chunk | None, bool]:
    """The chunk of up to `max_tokens` tokens from the first whole word at or after `start`.
    Returns the chunk (None if no token follows) and whether it reaches the end of the text."""
    while True:
        end = min(len(text), start + chars)
        window = _Window(text, start, end, tokenize)
        if window.ids and starts_mid_word(text, start):
            window.drop_first_word()  # the window may have begun inside a word
        at_end = end >= len(text)
        if not at_end:
            window.drop_last_word()  # and may end inside one
        if len(window.ids) > max_tokens or at_end:
            break
        chars *= 2
    if not window.ids:
        return None, True
    if len(window.ids) <= max_tokens and at_end:
        return window.chunk(0, len(window.ids)), True
    hi = _word_aligned_end(window, 0, max_tokens)
    return window.chunk(0, hi), False


def _backward_chunk(text: str, max_tokens: int, tokenize: TokenizeFn, chars: int) -> Chunk | None:
    """The last chunk: up to `max_tokens` tokens ending at the last token of the text."""
    while True:
        start = max(0, len(text) - chars)
        window = _Window(text, start, len(text), tokenize)
        if start > 0 and window.ids:
            window.drop_first_word()
        if len(window.ids) > max_tokens or start == 0:
            break
        chars *= 2
    if not window.ids:
        return None
    lo = max(0, len(window.ids) - max_tokens)
    lo = _word_aligned_start(window, lo, len(window.ids))
    return window.chunk(lo, len(window.ids))


def _all_chunks(text: str, max_tokens: int, tokenize: TokenizeFn) -> list[Chunk]:
    window = _Window(text, 0, len(text), tokenize)
    chunks, lo = [], 0
    while lo < len(window.ids):
        hi = min(len(window.ids), lo + max_tokens)
        hi = _word_aligned_end(window, lo, hi)
        chunks.append(window.chunk(lo, hi))
        lo = hi
    return chunks


def select_chunks(
    text: str, strategy: str, max_tokens: int, tokenize: TokenizeFn, chars_per_token: float = 4.0
) -> list[Chunk]:
    """The chunks of `text` that `strategy` reads, in document order. Empty or token-less text: []."""
    check_strategy(strategy)
    if max_tokens < 1:
        raise ValueError(f"`max_tokens` must be at least 1, got {max_tokens}.")
    if not text.strip():
        return []
    if strategy == "all":
        return _all_chunks(text, max_tokens, tokenize)
    chars = max(16, int(max_tokens * chars_per_token))
    top, fits = _forward_chunk(text, 0, max_tokens, tokenize, chars)
    if top is None:
        return []
    if fits or strategy == "first":
        return [top]
    bottom = _backward_chunk(text, max_tokens, tokenize, chars)
    if bottom is None or bottom.start <= top.end:  # two windows cover the document
        return [top] if bottom is None else [top, bottom]
    middle_start = max(top.start, len(text) // 2 - (top.end - top.start) // 2)
    middle, _ = _forward_chunk(text, middle_start, max_tokens, tokenize, chars)
    return [top, bottom] if middle is None else [top, middle, bottom]


def mean_score(chunk_scores: Sequence[float]) -> float | None:
    """A document's score: the mean of its chunk scores, or None when it has no chunk."""
    return float(sum(chunk_scores) / len(chunk_scores)) if chunk_scores else None


def flatten(per_document: Sequence[Sequence]) -> tuple[list, list[int]]:
    """Every document's items in one list (for batching across documents), with the count per document."""
    flat = [item for items in per_document for item in items]
    return flat, [len(items) for items in per_document]


def regroup(flat: Sequence, counts: Sequence[int]) -> list[list]:
    """The inverse of `flatten`: split `flat` back into one list per document."""
    if sum(counts) != len(flat):
        raise ValueError(f"`counts` add up to {sum(counts)} but {len(flat)} items were given.")
    out, position = [], 0
    for count in counts:
        out.append(list(flat[position : position + count]))
        position += count
    return out
