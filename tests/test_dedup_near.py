import gzip
import json
import random
import re

import numpy as np
import pytest

from snowcoder_hf.dedup.minhash import CodeMinhashConfig, MinHasher, estimated_jaccard, optimal_bands
from snowcoder_hf.pipeline.dedup_common import connected_components
from snowcoder_hf.pipeline.document_files import DocumentFileReader, kept_writer, removed_writer
from snowcoder_hf.stages.dedup import dedup_stages
from snowcoder_hf.stages.runner import run_stages


def _rows(folder):
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            rows.extend(json.loads(line) for line in f)
    return rows


def _mutate(text: str, rate: float, seed: int) -> str:
    """Replace a fraction `rate` of the code tokens with fresh identifiers."""
    rng = random.Random(seed)
    return re.sub(r"\w+", lambda m: f"mut{rng.randrange(10**6)}" if rng.random() < rate else m.group(), text)


@pytest.fixture(scope="module")
def corpus(stdlib_dir):
    files = sorted(p for p in stdlib_dir.glob("*.py") if 3_000 < p.stat().st_size < 40_000)[:48]
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def test_signatures_estimate_jaccard_and_ignore_case_preserving_token_differences():
    hasher = MinHasher(CodeMinhashConfig())
    text = " ".join(f"value_{i} = compute(item_{i}, {i})" for i in range(300))
    same = hasher.signature(text.replace(" = ", "  =  "))
    assert estimated_jaccard(hasher.signature(text), same) == 1.0, "whitespace is not a token"
    renamed = hasher.signature(text.replace("value_", "Value_"))
    assert estimated_jaccard(hasher.signature(text), renamed) < 0.2, "case is kept: renamed identifiers differ"
    assert hasher.signature("  \n ;; ") is None


def test_estimates_track_true_jaccard_of_shingle_sets():
    config = CodeMinhashConfig(num_perm=256)
    hasher = MinHasher(config)
    base = [f"tok{i}" for i in range(2000)]
    for keep in (0.9, 0.6, 0.3):
        other = base[: int(len(base) * keep)] + [f"new{i}" for i in range(int(len(base) * (1 - keep)))]
        a, b = set(hasher.shingles(" ".join(base)).tolist()), set(hasher.shingles(" ".join(other)).tolist())
        truth = len(a & b) / len(a | b)
        estimate = estimated_jaccard(hasher.signature(" ".join(base)), hasher.signature(" ".join(other)))
        assert abs(estimate - truth) < 0.1


def test_lsh_parameters_put_the_s_curve_at_the_threshold():
    bands, rows = optimal_bands(0.7, 256)
    assert bands * rows <= 256
    probability = lambda s: 1 - (1 - s**rows) ** bands  # noqa: E731
    assert probability(0.85) > 0.95
    assert probability(0.5) < 0.1
    with pytest.raises(ValueError, match="`threshold`"):
        CodeMinhashConfig(threshold=1.5)
    with pytest.raises(ValueError, match="`bands`"):
        CodeMinhashConfig(bands=10)


def test_connected_components_join_chains_and_leave_singletons():
    labels = connected_components(np.array([0, 2, 5, 6]), np.array([1, 3, 2, 3]), 8)
    assert labels.tolist() == [0, 0, 2, 2, 4, 2, 2, 7]
    rng = np.random.default_rng(0)
    u, v = rng.integers(0, 500, 400), rng.integers(0, 500, 400)
    labels = connected_components(u, v, 500)
    assert (labels[u] == labels[v]).all()
    assert (labels[labels] == labels).all()


def _write_jsonl(path, docs):
    with open(path, "w") as f:
        for doc in docs:
            f.write(json.dumps(doc) + "\n")


def test_planted_near_duplicates_are_removed_with_the_keep_rule_across_tasks(tmp_path, corpus):
    tasks = 3
    # keep-rule cases: a permissive copy wins; a copy with more stars wins; otherwise the smaller id ("a-") wins
    docs, planted = [], {}
    for i, (name, text) in enumerate(corpus):
        docs.append({"id": f"a-{name}", "text": text, "metadata": {"path": name, "stars": 1 if i % 3 == 1 else None}})
        if i < 12:
            metadata = {"license": "MIT" if i % 3 == 0 else None, "stars": 100 if i % 3 == 1 else None}
            docs.append({"id": f"b-{name}", "text": _mutate(text, 0.01, i), "metadata": metadata})
            planted[name] = (f"a-{name}", f"b-{name}", i % 3 != 2)
    random.Random(1).shuffle(docs)
    _write_jsonl(tmp_path / "in.jsonl", docs)
    out = tmp_path / "out"
    reader = DocumentFileReader(str(tmp_path / "in.jsonl"))
    stages = dedup_stages([reader], [kept_writer(out)], out / "work", out, tasks=tasks,
                          removed_writer_factory=lambda block: removed_writer(out, block))  # fmt: skip
    run_stages(stages, {"type": "local", "workers": 1}, out / "stats")

    kept_ids = {row["id"] for row in _rows(out / "kept")}
    removed = {row["id"]: row["metadata"] for row in _rows(out / "removed")}
    for original, copy, copy_wins in planted.values():
        loser, winner = (original, copy) if copy_wins else (copy, original)
        assert winner in kept_ids, (original, copy)
        assert loser in removed, (original, copy)
        assert removed[loser]["duplicate_of"] == winner
        assert removed[loser]["cluster_id"] == winner
        assert removed[loser]["filter_reason"] == "near_duplicate"
    assert len(removed) == len(planted), "no unplanted file is removed"
    assert len(kept_ids) + len(removed) == len(docs)


@pytest.mark.parametrize(
    "text",
    ["foo_bar(x1, 2) + Été café_ñ – ✓ 日本語 x²", "a", " \n\t ", "def f():\n    return value_1\n", "ab\ud800cd"],
)
def test_vectorized_token_hashes_equal_the_per_token_reference_on_the_shared_token_definition(text):
    from snowcoder_hf.common.code_text import code_tokens
    from snowcoder_hf.dedup.token_hashing import reference_token_hash, token_hashes

    assert token_hashes(text).tolist() == [reference_token_hash(token) for token in code_tokens(text)]


def test_vectorized_token_hashes_match_on_real_files(corpus):
    from snowcoder_hf.common.code_text import code_tokens
    from snowcoder_hf.dedup.token_hashing import reference_token_hash, token_hashes

    for _, text in corpus[:5]:
        assert token_hashes(text).tolist() == [reference_token_hash(token) for token in code_tokens(text)]


@pytest.mark.parametrize("scheme", ["one_permutation", "permutations"])
def test_both_signature_schemes_estimate_jaccard_without_bias(scheme):
    hasher = MinHasher(CodeMinhashConfig(scheme=scheme))
    rng = random.Random(0)
    errors = []
    for trial in range(30):
        size = rng.choice([40, 300, 3000])  # fewer shingles than bins exercises the densification
        base = [f"t{trial}_{i}" for i in range(size)]
        keep = rng.uniform(0.3, 0.95)
        other = base[: int(size * keep)] + [f"n{trial}_{i}" for i in range(size - int(size * keep))]
        a, b = set(hasher.shingles(" ".join(base)).tolist()), set(hasher.shingles(" ".join(other)).tolist())
        truth = len(a & b) / len(a | b)
        errors.append(estimated_jaccard(hasher.signature(" ".join(base)), hasher.signature(" ".join(other))) - truth)
    assert abs(np.mean(errors)) < 0.03
    assert np.max(np.abs(errors)) < 0.15
    assert (hasher.signature("x y z") == hasher.signature("x  y\nz")).all()
    with pytest.raises(ValueError, match="`scheme`"):
        CodeMinhashConfig(scheme="bbit")
