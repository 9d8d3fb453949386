"""DataTrove seams configured for code: a word tokenizer and a text normalization that keep code intact.

DataTrove's default word tokenizer needs spaCy, and its default normalization lowercases, zeroes
numbers and strips `_` and punctuation. For code that merges files that differ in exactly the places
that matter. Pass these wherever DataTrove takes `language=` or `norm_config=`:

    MinhashDedupSignature(output_folder=..., config=MinhashConfig(norm_config=CODE_TEXT_NORM_CONFIG),
                          language=CodeWordTokenizer())
"""

from __future__ import annotations

from datatrove.utils.text import TextNormConfig
from datatrove.utils.word_tokenizers import WordTokenizer

from snowcoder_hf.common.code_text import code_tokens, iter_code_token_spans

# Keep case, digits, `_` and punctuation; only whitespace runs are folded (code tokens ignore them anyway).
CODE_TEXT_NORM_CONFIG = TextNormConfig(
    lowercase=False,
    norm_whitespace=True,
    remove_punctuation=False,
    norm_unicode_diacritics=False,
    norm_numbers=False,
    norm_weekdays=False,
    norm_monthnames=False,
)


class CodeWordTokenizer(WordTokenizer):
    """BigCode's identifier-preserving code tokens behind DataTrove's `WordTokenizer` interface."""

    def __init__(self):
        super().__init__(language="code")

    def word_tokenize(self, text: str) -> list[str]:
        return code_tokens(text)

    def sent_tokenize(self, text: str) -> list[str]:
        # Lines play the role of sentences in code.
        return [line for line in text.splitlines() if line.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        return list(iter_code_token_spans(text))
