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


def _kept(plan, docs, language):
    return [d for d in docs if d.language == language
            and is_selected(language, d.score, d.id, plan.thresholds, plan.picked)]  # fmt: skip


def test_each_language_lands_within_half_its_largest_file_of_its_target():
    docs = _corpus()
    shares = {"python": 0.5, "java": 0.3, "go": 0.2}
    plan = plan_selection(docs, 40_000, shares)
    assert plan.targets == {"python": 20_000, "java": 12_000, "go": 8_000}
    for language, target in plan.targets.items():
        kept = _kept(plan, docs, language)
        assert sum(d.tokens for d in kept) == plan.kept_tokens[language]
        assert len(kept) == plan.kept_documents[language]
        assert abs(plan.kept_tokens[language] - target) <= plan.largest_file_tokens[language] / 2
    assert plan.selected_tokens == sum(plan.kept_tokens.values())
    assert plan.warnings == []


def test_no_single_left_out_file_would_land_closer_to_the_target():
    docs = _corpus(3)
    plan = plan_selection(docs, 25_000, {"python": 0.6, "java": 0.3, "go": 0.1})
    for language, target in plan.targets.items():
        kept = _kept(plan, docs, language)
        distance = abs(plan.kept_tokens[language] - target)
        for doc in (d for d in docs if d.language == language and d not in kept):
            assert abs(plan.kept_tokens[language] + doc.tokens - target) >= distance


def test_a_file_far_bigger_than_a_small_share_is_skipped_and_warned_about():
    # The demo's case: C's 0.9% share of a 50,000-token budget is ~470 tokens, and its best file has 14,404.
    docs = [
        ScoredDoc("c-big", "c", 0.99, 14_404),
        ScoredDoc("c-mid", "c", 0.90, 2_000),
        ScoredDoc("c-a", "c", 0.80, 300),
        ScoredDoc("c-b", "c", 0.70, 250),
        ScoredDoc("c-c", "c", 0.60, 120),
    ]
    docs += [ScoredDoc(f"p{i:03d}", "python", 1 - i / 1000, 450) for i in range(200)]
    plan = plan_selection(docs, 50_000, {"c": 0.0094, "python": 0.9906})
    assert plan.targets["c"] == 470
    kept = {d.id for d in _kept(plan, docs, "c")}
    # c-big and c-mid overshoot by more than they fill; after c-a (300), c-b (250) overshoots by 80 while
    # filling the remaining 170, so it is taken and the walk ends.
    assert kept == {"c-a", "c-b"}
    assert plan.kept_tokens["c"] == 550
    assert plan.skipped_documents["c"] == 2
    assert "c" not in plan.thresholds  # the best file was skipped, so there is no unbroken best-first run
    assert sorted(plan.picked["c"]) == ["c-a", "c-b"]
    assert any(w.startswith("c: files are too coarse for a 0.9% share") for w in plan.warnings)
    assert abs(plan.selected_tokens - 50_000) < 500  # the old walk took 14,404 tokens of C alone
    assert not any(w.startswith("python") for w in plan.warnings)


def test_the_best_scored_documents_are_the_ones_kept():
    docs = _corpus()
    plan = plan_selection(docs, 20_000, {"python": 1.0})
    kept = _kept(plan, docs, "python")
    cut_score, _ = plan.thresholds["python"]
    assert min(d.score for d in kept if d.id not in plan.picked["python"]) == cut_score
    dropped = [d for d in docs if d.language == "python" and d not in kept]
    assert min(d.score for d in kept if d.id not in plan.picked["python"]) >= max(d.score for d in dropped)
    assert len(plan.picked["python"]) < 5  # only the tail, after the first skip, is picked by id


def test_a_language_with_too_few_tokens_keeps_everything_it_has_and_says_so():
    docs = [ScoredDoc("a", "go", 0.9, 100), ScoredDoc("b", "go", 0.1, 50)]
    plan = plan_selection(docs, 10_000, {"go": 1.0})
    assert plan.kept_tokens["go"] == plan.available_tokens["go"] == 150
    assert plan.warnings == ["go: only 150 tokens for a 10,000-token target (100.0% share): all kept."]


def test_a_language_with_no_scored_document_is_warned_about():
    plan = plan_selection([ScoredDoc("a", "go", 0.9, 100)], 1_000, {"go": 0.5, "rust": 0.5})
    assert plan.kept_tokens["rust"] == 0
    assert any(w.startswith("rust: no scored document") for w in plan.warnings)


def test_the_filter_keeps_exactly_the_planned_documents_and_counts_the_rest():
    docs = _corpus(1)
    docs.append(ScoredDoc("huge", "go", 1.0, 50_000))  # skipped, so go's cut has picks below it
    plan = plan_selection(docs, 30_000, resolve_shares({"python": 3, "java": 2, "go": 1}))
    assert "go" not in plan.thresholds or plan.picked["go"]
    block = TopPercentileSelector.from_plan(plan)
    stream = [Document(text="x", id=d.id, metadata={"language": d.language, "quality_score": d.score}) for d in docs]
    stream.append(Document(text="y", id="unscored", metadata={"language": "python"}))
    kept = list(block.run(iter(stream)))
    assert len(kept) == sum(plan.kept_documents.values())
    assert "huge" not in {d.id for d in kept}
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
