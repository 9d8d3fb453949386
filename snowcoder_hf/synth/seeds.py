"""Seeds for OSS-Instruct: the top-scored stage-2 documents (or any document files), per language.

Two policies: `document` uses a whole file (Arctic-SnowCoder), `snippet` a random 1-15-line piece of
it (Magicoder). Per-language counts follow the target mix; within a language, seeds are taken by
descending `quality_score` and reused round-robin when a language has fewer seeds than requests.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from snowcoder_hf.common.code_text import code_tokens

SEED_POLICIES = ("document", "snippet")


@dataclass
class Seed:
    id: str
    language: str
    text: str
    quality_score: float | None


def read_seed_documents(path: str, max_chars: int = 12_000) -> tuple[list, Counter]:
    """Documents of `path` (jsonl/jsonl.gz/parquet file or folder) with a `language`, and counted drops."""
    from snowcoder_hf.pipeline.document_files import DocumentFileReader, find_document_files

    find_document_files(path)  # a clear error for a missing or empty input
    reader = DocumentFileReader(str(path))
    documents, drops = [], Counter()
    for doc in reader.run():
        if not doc.metadata.get("language"):
            drops["seed_without_language"] += 1
        elif len(doc.text) > max_chars:
            drops["seed_too_long"] += 1
        else:
            documents.append(doc)
    for key, value in reader.stats.stats.items():
        if key in ("malformed_json", "missing_text", "empty_text"):
            drops[f"seed_{key}"] += int(value.total if hasattr(value, "total") else value)
    return documents, drops


def language_token_shares(documents) -> dict[str, float]:
    """Code-token share of each language among `documents` (the stage-1 proportions when nothing better)."""
    tokens = Counter()
    for doc in documents:
        tokens[doc.metadata["language"]] += len(code_tokens(doc.text))
    total = sum(tokens.values()) or 1
    return {lang: n / total for lang, n in tokens.items()}


def _snippet(text: str, rng: random.Random, min_lines: int, max_lines: int) -> str:
    lines = [line for line in text.splitlines()]
    if len(lines) <= min_lines:
        return text
    size = rng.randint(min_lines, min(max_lines, len(lines)))
    start = rng.randint(0, len(lines) - size)
    return "\n".join(lines[start : start + size])


def select_seeds(documents, counts: dict[str, int], policy: str = "document", run_seed: int = 0,
                 snippet_lines: tuple[int, int] = (1, 15)) -> list[tuple[Seed, int]]:  # fmt: skip
    """`(seed, sample_index)` pairs: `counts[lang]` per language, best-scored documents first."""
    if policy not in SEED_POLICIES:
        raise ValueError(f"`seed_policy` must be one of {', '.join(SEED_POLICIES)}, got {policy!r}.")
    by_language: dict[str, list] = {}
    for doc in documents:
        by_language.setdefault(doc.metadata["language"], []).append(doc)
    selected = []
    for language in sorted(counts):
        pool = sorted(by_language.get(language, []),
                      key=lambda d: (-float(d.metadata.get("quality_score") or 0.0), str(d.id)))  # fmt: skip
        if not pool:
            raise ValueError(f"no seed documents in language {language!r}; languages present: {sorted(by_language)}.")
        for k in range(counts[language]):
            doc = pool[k % len(pool)]
            sample_index = k // len(pool)
            text = doc.text
            if policy == "snippet":
                text = _snippet(text, random.Random(f"{run_seed}:{doc.id}:{sample_index}"), *snippet_lines)
            score = doc.metadata.get("quality_score")
            selected.append((Seed(str(doc.id), language, text, None if score is None else float(score)), sample_index))
    return selected
