"""Stage 1 end to end on a real multi-language corpus in The Stack's parquet shape, read through the Hub-shaped
reader (`hub_code_reader` + `CodeColumnsAdapter` on local parquet) with the shipped scale config.

The corpus is `benchmarks/corpus.py --size small` (~100 MB of Debian, npm and PyPI sources in 50 languages). The
slow test builds it from the registries (into SNOWCODER_CORPUS_CACHE, reused by later runs) unless
SNOWCODER_SMALL_CORPUS names a folder the builder already wrote.
"""

import gzip
import json
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from snowcoder_hf.pipeline.hub_readers import canonical_language
from snowcoder_hf.stages.stage1_config import load_config
from snowcoder_hf.stages.stage1_data import run_stage1

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / "recipes" / "configs" / "scale" / "stage1_data_corpus.yaml"
HEURISTIC_REASONS = {"encoding_error", "too_small", "too_large", "auto_generated", "base64_data", "numeric_data",
                     "minified", "max_line_length", "avg_line_length", "alphanum_fraction"}  # fmt: skip


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    path = os.environ.get("SNOWCODER_SMALL_CORPUS")
    if path:
        if not (Path(path) / "data").is_dir():
            pytest.fail(f"SNOWCODER_SMALL_CORPUS={path} has no data/ folder of parquet shards")
        return Path(path)
    if not all(shutil.which(tool) for tool in ("apt-get", "dpkg", "npm")):
        pytest.skip("building the small corpus needs apt-get, dpkg and npm (or set SNOWCODER_SMALL_CORPUS)")
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import corpus

    out = tmp_path_factory.mktemp("corpus") / "small"
    cache = os.environ.get("SNOWCODER_CORPUS_CACHE", str(corpus.default_cache()))
    corpus.main(["--size", "small", "--output", str(out), "--cache", cache, "--no-progress"])
    return out


def _rows(folder: Path):
    for path in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            yield from (json.loads(line) for line in f)


def _corpus_languages(corpus: Path) -> tuple[Counter, Counter]:
    """Files per language, and empty files per language (which the reader drops before language id)."""
    languages, empty = Counter(), Counter()
    for shard in sorted((corpus / "data").rglob("*.parquet")):
        for row in pq.read_table(shard, columns=["lang", "max_stars_repo_path", "size"]).to_pylist():
            language = canonical_language(row["lang"], row["max_stars_repo_path"])
            languages[language] += 1
            empty[language] += not row["size"]
    return languages, empty


def test_the_scale_config_parses_and_needs_a_dataset_path():
    from snowcoder_hf.stages.stage1_data import build_stages

    config = load_config(CONFIG)
    assert config.source.type == "hub"
    assert config.source.dataset is None
    with pytest.raises(ValueError, match="`source.dataset`"):
        build_stages(config)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_stage1_curates_the_small_corpus_end_to_end(tmp_path, small_corpus):
    out = tmp_path / "stage1"
    config = load_config(CONFIG, {"source.dataset": str(small_corpus), "output_dir": str(out),
                                  "tokenizer.vocab_size": 2048})  # fmt: skip
    result = run_stage1(config)

    languages, empty_per_language = _corpus_languages(small_corpus)
    empty = sum(empty_per_language.values())
    reasons = Counter()
    for block in result.counts:
        reasons.update(block["reasons"])
    reader = result.counts[0]
    assert reader["block"].startswith("📒 Parquet")
    assert reader["in"] == sum(languages.values()), "every row of every shard is read once"
    assert reader["reasons"].get("empty_text", 0) == empty, "empty files are counted drops, not lost"
    kept = list(_rows(out / "files"))
    removed = list(_rows(out / "removed"))
    assert len(kept) + len(removed) + empty == sum(languages.values()), "each file is kept or dropped with a reason"
    selected = set(config.source.languages)
    not_selected = sum(n - empty_per_language[lang] for lang, n in languages.items() if lang not in selected)
    assert reasons["language_not_selected"] == not_selected
    kept_languages = Counter(row["metadata"]["language"] for row in kept)
    heuristic_drops = Counter(row["metadata"]["language"] for row in removed
                              if row["metadata"].get("filter_reason") in HEURISTIC_REASONS)  # fmt: skip
    for language, n in languages.items():
        if language in selected and n >= 100:
            assert kept_languages[language] > 0, language
            assert heuristic_drops[language] <= 0.2 * n, f"{language}: heuristics dropped {heuristic_drops[language]}"
    assert reasons["exact_duplicate"] > 0
    assert reasons["near_duplicate"] > 0
    assert {str(row["metadata"]["license"]) for row in kept} >= {"MIT", "GPL-2.0-or-later"}
    documents = list(_rows(out / "documents"))
    # every kept file is in a document; a file longer than `max_chars` is split over consecutive parts
    assert {i for d in documents for i in d["metadata"]["file_ids"]} == {row["id"] for row in kept}
    assert sum(d["metadata"]["num_files"] for d in documents) >= len(kept)
    # each document starts with its repo marker; only a later part that continues a split file lacks `<file_sep>`
    assert all(d["text"].startswith(f"<repo_name>{d['metadata']['repo']}") for d in documents)
    assert all(d["text"].startswith(f"<repo_name>{d['metadata']['repo']}<file_sep>") for d in documents
               if d["metadata"]["part"] == 0)  # fmt: skip
    assert all(len(d["text"]) <= config.repo_documents.max_chars for d in documents)
    assert set(result.languages) == {lang for lang in kept_languages}, "every kept language has tokens"
    assert result.tokens == sum(result.languages.values()) > 1_000_000
    per_task = [
        json.loads(p.read_text()) for p in sorted((out / "stats" / "dedup_signatures" / "stats").glob("*.json"))
    ]
    chars = [task[0]["stats"]["doc_len"]["total"] for task in per_task]
    assert len(chars) == 2
    assert max(chars) < 1.5 * min(chars), f"tasks read {chars} characters"
