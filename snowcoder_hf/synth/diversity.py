"""Diversity of a generated set: distinct topics and distinct-n (unique n-grams / all n-grams) of code tokens."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from snowcoder_hf.common.code_text import code_tokens, word_ngrams


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Unique `n`-grams of code tokens over all `n`-grams, pooled across `texts` (1.0: nothing repeats)."""
    seen, total = set(), 0
    for text in texts:
        for gram in word_ngrams(code_tokens(text), n):
            seen.add(gram)
            total += 1
    return len(seen) / total if total else 0.0


def diversity_report(documents: list, topic_keys: tuple[str, ...] = ("topic", "function_name", "seed_id")) -> dict:
    """`{"documents", "distinct_1", "distinct_2", "distinct_4", "distinct_<key>": n, "top_<key>": [...]}`."""
    texts = [doc.text for doc in documents]
    report: dict = {"documents": len(texts)}
    for n in (1, 2, 4):
        report[f"distinct_{n}"] = round(distinct_n(texts, n), 4)
    for key in topic_keys:
        values = Counter(str(doc.metadata[key]) for doc in documents if doc.metadata.get(key) is not None)
        if values:
            report[f"distinct_{key}"] = len(values)
            report[f"top_{key}"] = values.most_common(3)
    return report
