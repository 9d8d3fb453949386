"""Per-language top-percentile selection to a global token budget.

Each language gets `share * budget_tokens`. Its documents are taken in score order (best first, ties by
id) until the target is met, so each language's total is within one document of its target (or is
all the language has). The cut is a per-language `(score, id)` threshold, which a DataTrove filter
applies in a second, parallel pass without holding the selected ids in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter


@dataclass
class ScoredDoc:
    id: str
    language: str
    score: float
    tokens: int


@dataclass
class SelectionPlan:
    budget_tokens: int
    shares: dict[str, float]
    targets: dict[str, int]
    thresholds: dict[str, tuple[float, str]]  # language -> (score, id) of the last kept document
    kept_tokens: dict[str, int] = field(default_factory=dict)
    kept_documents: dict[str, int] = field(default_factory=dict)
    available_tokens: dict[str, int] = field(default_factory=dict)


def parse_mix(text: str | None) -> dict[str, float]:
    """`python=0.5,java=0.2` -> {"python": 0.5, "java": 0.2}."""
    if not text:
        return {}
    mix = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not sep or not name.strip() or not 0 <= share <= 1:
            raise ValueError(f"`--mix` must look like `python=0.5,java=0.2` with shares in [0, 1], got {text!r}.")
        mix[name.strip()] = share
    if sum(mix.values()) > 1 + 1e-9:
        raise ValueError(f"`--mix` shares add up to {sum(mix.values()):.3f}, more than 1.")
    return mix


def resolve_shares(default_mix: Mapping[str, float], override: Mapping[str, float] | None = None) -> dict[str, float]:
    """Language shares summing to 1: `override` fixes some languages, the rest split what is left in
    proportion to `default_mix` (the stage-1 token mix)."""
    override = dict(override or {})
    total = sum(v for k, v in default_mix.items() if k not in override)
    left = max(0.0, 1.0 - sum(override.values()))
    shares = dict(override)
    for language, weight in default_mix.items():
        if language not in override:
            shares[language] = left * weight / total if total > 0 else 0.0
    norm = sum(shares.values())
    if norm <= 0:
        raise ValueError("`mix` gives every language a zero share: nothing can be selected.")
    return {k: v / norm for k, v in sorted(shares.items())}


def plan_selection(docs: Iterable[ScoredDoc], budget_tokens: int, shares: Mapping[str, float]) -> SelectionPlan:
    """Walk each language's documents best-first until its share of `budget_tokens` is met."""
    if budget_tokens < 1:
        raise ValueError(f"`budget_tokens` must be at least 1, got {budget_tokens}.")
    by_language: dict[str, list[ScoredDoc]] = defaultdict(list)
    for doc in docs:
        by_language[doc.language].append(doc)
    targets = {lang: int(round(share * budget_tokens)) for lang, share in shares.items()}
    plan = SelectionPlan(budget_tokens, dict(shares), targets, {})
    for language, target in targets.items():
        ranked = sorted(by_language.get(language, []), key=lambda d: (-d.score, d.id))
        plan.available_tokens[language] = sum(d.tokens for d in ranked)
        kept = count = 0
        for doc in ranked:
            if kept >= target:
                break
            kept += doc.tokens
            count += 1
            plan.thresholds[language] = (doc.score, doc.id)
        plan.kept_tokens[language], plan.kept_documents[language] = kept, count
    return plan


def is_selected(language: str, score: float, doc_id: str, thresholds: Mapping[str, tuple[float, str]]) -> bool:
    """Whether a document ranks at or above its language's cut (best-first order: score desc, id asc)."""
    cut = thresholds.get(language)
    if cut is None:
        return False
    cut_score, cut_id = cut
    return score > cut_score or (score == cut_score and doc_id <= cut_id)


class TopPercentileSelector(BaseFilter):
    """Keep the documents a `SelectionPlan` selected: at or above their language's `(score, id)` cut.

    Drops with reasons `below_cut` and `unscored` (no `quality_score` in metadata).
    """

    name = "🏔️ Top-percentile selection"

    def __init__(self, thresholds: Mapping[str, tuple[float, str]], exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer=exclusion_writer)
        self.thresholds = {k: (float(v[0]), str(v[1])) for k, v in thresholds.items()}

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        score = doc.metadata.get("quality_score")
        if score is None:
            return False, "unscored"
        language = str(doc.metadata.get("language") or "unknown")
        return True if is_selected(language, float(score), doc.id, self.thresholds) else (False, "below_cut")
