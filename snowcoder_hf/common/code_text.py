"""The one definition of a code token and of code normalization, shared by dedup and decontamination.

Natural-language normalization (lowercasing, zeroing numbers, dropping `_` and punctuation, as
DataTrove's defaults do) erases exactly what tells two pieces of code apart. Code tokens follow
BigCode's near-dedup instead: split on every character that cannot be part of an identifier, and keep
case, underscores and digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# BigCode near-dedup: `NON_ALPHA = re.compile("[^A-Za-z_0-9]")`. `\w` would also keep non-ASCII letters,
# which matters for identifiers and comments written in other scripts.
IDENTIFIER_TOKEN_RE = re.compile(r"\w+")
# Identifiers, numbers and single punctuation marks: the stream decontamination matches on, where
# `a + b` and `a - b` must differ.
LEXICAL_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_TRAILING_SPACE_RE = re.compile(r"[ \t\f\v]+$", re.MULTILINE)
_BLANK_LINES_RE = re.compile(r"\n{2,}")
_WHITESPACE_RE = re.compile(r"\s+")


def code_tokens(text: str) -> list[str]:
    """Identifier-preserving tokens: `foo_bar(x1, 2)` -> `['foo_bar', 'x1', '2']`."""
    return IDENTIFIER_TOKEN_RE.findall(text)


def iter_code_token_spans(text: str) -> Iterator[tuple[int, int]]:
    """Character spans of `code_tokens(text)`, for reporting where a match sits in a document."""
    for match in IDENTIFIER_TOKEN_RE.finditer(text):
        yield match.span()


def lexical_tokens(text: str) -> list[str]:
    """Identifiers, numbers and punctuation marks, whitespace dropped: `a+b` == `a + b`."""
    return LEXICAL_TOKEN_RE.findall(text)


def normalize_code(text: str) -> str:
    """Normalization for exact deduplication: two files that differ only in line endings, trailing
    whitespace, blank lines or a BOM normalize to the same string. Indentation is kept, because it is
    syntax in Python, YAML and Makefiles."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACE_RE.sub("", text)
    return _BLANK_LINES_RE.sub("\n", text).strip("\n")


def collapse_whitespace(text: str) -> str:
    """Every whitespace run becomes one space: for matching copies that were re-indented or re-wrapped."""
    return _WHITESPACE_RE.sub(" ", text).strip()


def word_ngrams(tokens: list[str], n: int) -> Iterator[tuple[str, ...]]:
    """Consecutive `n`-token windows; a sequence shorter than `n` yields itself once, so that short
    files still get a signature instead of none."""
    if n < 1:
        raise ValueError(f"`n` must be at least 1, got {n}.")
    if len(tokens) < n:
        if tokens:
            yield tuple(tokens)
        return
    for start in range(len(tokens) - n + 1):
        yield tuple(tokens[start : start + n])
