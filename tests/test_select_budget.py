"""The per-language budget cut: arithmetic, shares, ties, and the second-pass filter agreeing with the plan."""

from __future__ import annotations

import random

import pytest
from datatrove.data import Document

from snowcoder_hf.pipeline.select import (
    ScoredDoc,
    TopPercentileSelector,
    is_selected,
    parse_mix,
    plan_selection,
    resolve_shares,
)


def _corpus(seed: int = 0) -> list[ScoredDoc]:
    rng = random.Random(seed)
    languages = ["python"] * 300 + ["java"] * 200 + ["go"] * 100
    return [
        ScoredDoc(f"d{i:04d}", lang, round(rng.random(), 2), rng.randint(20, 900)) for i, lang in enumerate(languages)
    ]


def test_each_language_total_is_within_one_document_of_its_target():
    docs = _corpus()
    shares = {"python": 0.5, "java": 0.3, "go": 0.2}
    plan = plan_selection(docs, 40_000, shares)
    for language, target in plan.targets.items():
        kept = sorted((d for d in docs if d.language == language), key=lambda d: (-d.score, d.id))
        kept = kept[: plan.kept_documents[language]]
        assert sum(d.tokens for d in kept) == plan.kept_tokens[language]
        assert plan.kept_tokens[language] >= target
        assert plan.kept_tokens[language] - kept[-1].tokens < target  # one document fewer would fall short
    assert plan.targets == {"python": 20_000, "java": 12_000, "go": 8_000}


def test_the_best_scored_documents_are_the_ones_kept():
    docs = _corpus()
    plan = plan_selection(docs, 20_000, {"python": 1.0})
    kept = [d for d in docs if d.language == "python" and is_selected("python", d.score, d.id, plan.thresholds)]
    dropped = [d for d in docs if d.language == "python" and d not in kept]
    assert min(d.score for d in kept) >= max(d.score for d in dropped)
    assert len(kept) == plan.kept_documents["python"]  # ties at the cut are broken by id, exactly as planned


def test_a_language_with_too_few_tokens_keeps_everything_it_has():
    docs = [ScoredDoc("a", "go", 0.9, 100), ScoredDoc("b", "go", 0.1, 50)]
    plan = plan_selection(docs, 10_000, {"go": 1.0})
    assert plan.kept_tokens["go"] == plan.available_tokens["go"] == 150


def test_the_filter_keeps_exactly_the_planned_documents_and_counts_the_rest():
    docs = _corpus(1)
    plan = plan_selection(docs, 30_000, resolve_shares({"python": 3, "java": 2, "go": 1}))
    block = TopPercentileSelector(plan.thresholds)
    stream = [Document(text="x", id=d.id, metadata={"language": d.language, "quality_score": d.score}) for d in docs]
    stream.append(Document(text="y", id="unscored", metadata={"language": "python"}))
    kept = list(block.run(iter(stream)))
    assert len(kept) == sum(plan.kept_documents.values())
    assert block.stats["dropped_unscored"].total == 1
    assert block.stats["dropped_below_cut"].total == len(docs) - len(kept)


def test_mix_overrides_fix_some_shares_and_the_rest_follow_the_stage1_mix():
    shares = resolve_shares({"python": 60, "java": 30, "go": 10}, parse_mix("python=0.5"))
    assert shares["python"] == pytest.approx(0.5)
    assert shares["java"] == pytest.approx(0.5 * 30 / 40)
    assert shares["go"] == pytest.approx(0.5 * 10 / 40)
    assert sum(shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["python", "python=2", "python=x", "python=0.7,java=0.6"])
def test_a_malformed_mix_is_rejected_with_the_accepted_form(text):
    with pytest.raises(ValueError, match="`--mix`"):
        parse_mix(text)


def test_a_zero_budget_is_rejected():
    with pytest.raises(ValueError, match="`budget_tokens`"):
        plan_selection([], 0, {"python": 1.0})
