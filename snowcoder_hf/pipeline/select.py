"""Per-language top-percentile selection to a global token budget.

Each language gets `share * budget_tokens`. Its documents are walked best-first (score desc, ties by
id); a document that would overshoot the target by more than it fills is skipped and the next one is
tried, so the total lands as close to the target as whole files allow. The cut is a per-language
`(score, id)` threshold for the unbroken best-first run plus the few ids picked below it after a
skip, which a DataTrove filter applies in a second, parallel pass. Languages whose files are too
coarse for their share are warned about, never silently over- or under-filled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
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


# A language whose target holds fewer than this many median-sized files is too coarse for its share:
# which files fit then decides the selection more than their scores do.
COARSE_FILES_PER_TARGET = 4
# Landing further than this fraction from a language's target is reported.
OFF_TARGET_FRACTION = 0.10


@dataclass
class SelectionPlan:
    budget_tokens: int
    shares: dict[str, float]
    targets: dict[str, int]
    thresholds: dict[str, tuple[float, str]]  # language -> (score, id) of the last document of the unbroken run
    picked: dict[str, list[str]] = field(default_factory=dict)  # ids kept below the threshold, after a skip
    kept_tokens: dict[str, int] = field(default_factory=dict)
    kept_documents: dict[str, int] = field(default_factory=dict)
    available_tokens: dict[str, int] = field(default_factory=dict)
    skipped_documents: dict[str, int] = field(default_factory=dict)  # ranked above the last kept one, too big
    largest_file_tokens: dict[str, int] = field(default_factory=dict)
    median_file_tokens: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def selected_tokens(self) -> int:
        return sum(self.kept_tokens.values())

    def selected_shares(self) -> dict[str, float]:
        total = self.selected_tokens
        return {lang: (tokens / total if total else 0.0) for lang, tokens in self.kept_tokens.items()}


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
    """Walk each language's documents best-first, landing as close to its share of `budget_tokens` as
    whole files allow: a file that would overshoot by more than it fills is skipped, the next is tried."""
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
        taken = _closest_walk(ranked, target)
        run = next((i for i, position in enumerate(taken) if position != i), len(taken))  # the unbroken prefix
        if run:
            last = ranked[run - 1]
            plan.thresholds[language] = (last.score, last.id)
        plan.picked[language] = [ranked[i].id for i in taken[run:]]
        plan.kept_tokens[language] = sum(ranked[i].tokens for i in taken)
        plan.kept_documents[language] = len(taken)
        plan.skipped_documents[language] = (taken[-1] + 1 - len(taken)) if taken else (len(ranked) if target else 0)
        sizes = sorted(d.tokens for d in ranked)
        plan.largest_file_tokens[language] = sizes[-1] if sizes else 0
        plan.median_file_tokens[language] = sizes[len(sizes) // 2] if sizes else 0
        plan.warnings.extend(_language_warnings(plan, language))
    return plan


def _closest_walk(ranked: list[ScoredDoc], target: int) -> list[int]:
    """Positions in `ranked` to keep: best-first, skipping a file that would overshoot more than it fills."""
    taken, total = [], 0
    for position, doc in enumerate(ranked):
        gap = target - total
        if gap <= 0:
            break
        if doc.tokens - gap > gap:
            continue
        taken.append(position)
        total += doc.tokens
    return taken


def _language_warnings(plan: SelectionPlan, language: str) -> list[str]:
    target, kept = plan.targets[language], plan.kept_tokens[language]
    available, median = plan.available_tokens[language], plan.median_file_tokens[language]
    share = f"{plan.shares[language]:.1%} share"
    if target == 0:
        return []
    if available == 0:
        return [f"{language}: no scored document for a {target:,}-token target ({share})."]
    if available <= target:
        return [f"{language}: only {available:,} tokens for a {target:,}-token target ({share}): all kept."]
    warnings = []
    if median * COARSE_FILES_PER_TARGET > target:
        warnings.append(
            f"{language}: files are too coarse for a {share}: target {target:,} tokens, median file {median:,}, "
            f"largest {plan.largest_file_tokens[language]:,}; {plan.skipped_documents[language]:,} better-ranked "
            f"files were skipped as too big, kept {plan.kept_documents[language]:,} files ({kept:,} tokens)."
        )
    if abs(kept - target) > OFF_TARGET_FRACTION * target:
        warnings.append(f"{language}: selected {kept:,} tokens for a {target:,}-token target "
                        f"({kept / target - 1:+.0%}): no combination of whole files lands closer.")  # fmt: skip
    return warnings


def is_selected(
    language: str,
    score: float,
    doc_id: str,
    thresholds: Mapping[str, tuple[float, str]],
    picked: Mapping[str, Collection[str]] | None = None,
) -> bool:
    """Whether a document is kept: at or above its language's cut (best-first order: score desc, id asc),
    or one of the ids picked below it."""
    cut = thresholds.get(language)
    if cut is not None:
        cut_score, cut_id = cut
        if score > cut_score or (score == cut_score and doc_id <= cut_id):
            return True
    return bool(picked) and doc_id in picked.get(language, ())


class TopPercentileSelector(BaseFilter):
    """Keep the documents a `SelectionPlan` selected: at or above their language's `(score, id)` cut, or
    picked below it (`picked`: language -> ids).

    Drops with reasons `below_cut` and `unscored` (no `quality_score` in metadata).
    """

    name = "🏔️ Top-percentile selection"

    def __init__(
        self,
        thresholds: Mapping[str, tuple[float, str]],
        picked: Mapping[str, Iterable[str]] | None = None,
        exclusion_writer: DiskWriter | None = None,
    ):
        super().__init__(exclusion_writer=exclusion_writer)
        self.thresholds = {k: (float(v[0]), str(v[1])) for k, v in thresholds.items()}
        self.picked = {k: frozenset(str(i) for i in ids) for k, ids in (picked or {}).items()}

    @classmethod
    def from_plan(cls, plan: SelectionPlan, exclusion_writer: DiskWriter | None = None) -> TopPercentileSelector:
        return cls(plan.thresholds, plan.picked, exclusion_writer=exclusion_writer)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        score = doc.metadata.get("quality_score")
        if score is None:
            return False, "unscored"
        language = str(doc.metadata.get("language") or "unknown")
        kept = is_selected(language, float(score), doc.id, self.thresholds, self.picked)
        return True if kept else (False, "below_cut")
