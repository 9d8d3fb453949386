"""An embedding channel for paraphrased problem statements: comment blocks and docstrings of a document,
embedded (the offline MiniLM by default) and compared by cosine similarity with every benchmark statement.

It catches task text the n-gram statement channel cannot (words replaced, sentences reordered), at the cost
of a forward pass per prose block; `benchmarks/decontamination.py --embedding` measures what it adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from snowcoder_hf.decont.matcher import excerpt
from snowcoder_hf.decont.sources import problem_statements
from snowcoder_hf.evalsets.registry import BenchmarkItem

DEFAULT_THRESHOLD = 0.85
MIN_WORDS = 12  # shorter blocks say too little to compare
_WORD_RE = re.compile(r"[A-Za-z]{2,}")
_COMMENT_LINE_RE = re.compile(r"^[ \t]*(?:#|//+|/\*+|\*+/?|--|;+)(?!!)[ \t]?(.*)$")
_TRIPLE_QUOTED_RE = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', re.DOTALL)


def prose_blocks(text: str, min_words: int = MIN_WORDS) -> list[tuple[int, int, str]]:
    """`(start, end, prose)` of each run of comment lines (any common marker) and each triple-quoted string
    holding at least `min_words` words."""
    blocks = []
    run: list[str] = []
    run_start = position = 0
    for line in text.splitlines(keepends=True):
        m = _COMMENT_LINE_RE.match(line)
        if m:
            if not run:
                run_start = position
            run.append(m.group(1))
        elif run:
            blocks.append((run_start, position, " ".join(run)))
            run = []
        position += len(line)
    if run:
        blocks.append((run_start, position, " ".join(run)))
    for m in _TRIPLE_QUOTED_RE.finditer(text):
        blocks.append((m.start(), m.end(), m.group(1) or m.group(2) or ""))
    return [(a, b, " ".join(p.split())) for a, b, p in blocks if len(_WORD_RE.findall(p)) >= min_words]


class EmbeddingStatementMatcher:
    """Statement matches by embedding: `encode(texts) -> array` of any sentence encoder."""

    def __init__(self, items: list[BenchmarkItem], encode: Callable, threshold: float = DEFAULT_THRESHOLD):
        if not 0 < threshold <= 1:
            raise ValueError(f"`threshold` must be in (0, 1], got {threshold}.")
        self.encode, self.threshold = encode, threshold
        self.owners = [(item.benchmark, item.task_id) for item in items for _ in problem_statements(item)]
        self.vectors = _normalized(encode([s for item in items for s in problem_statements(item)]))

    def matches_many(self, texts: list[str]) -> list[list[dict]]:
        """The embedding matches of each text; every block of every text is encoded in one batch."""
        blocks = [prose_blocks(text) for text in texts]
        flat = [p for found in blocks for _, _, p in found]
        if not flat:
            return [[] for _ in texts]
        similarity = _normalized(self.encode(flat)) @ self.vectors.T
        best, scores = similarity.argmax(axis=1), similarity.max(axis=1)
        out, k = [], 0
        for text, found in zip(texts, blocks, strict=True):
            matches: dict[tuple[str, str], dict] = {}
            for start, end, _ in found:
                score = float(scores[k])
                benchmark, task_id = self.owners[int(best[k])]
                k += 1
                if score < self.threshold:
                    continue
                previous = matches.get((benchmark, task_id))
                if previous is None or score > previous["similarity"]:
                    matches[(benchmark, task_id)] = {
                        "benchmark": benchmark, "task_id": task_id, "field": "prompt", "kind": "statement",
                        "channel": "embedding", "spans": [[start, end]], "similarity": round(score, 4),
                        "matched_tokens": 0, "excerpt": excerpt(text, [start, end]),
                    }  # fmt: skip
            out.append(sorted(matches.values(), key=lambda m: -m["similarity"]))
        return out

    def matches(self, text: str) -> list[dict]:
        return self.matches_many([text])[0]


def _normalized(vectors) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
