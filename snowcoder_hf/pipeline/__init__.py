"""Drop-in DataTrove blocks for code curation.

    from snowcoder_hf.pipeline import DocumentFileReader, CodeWordTokenizer

Names are resolved lazily, so importing one block does not import every block's dependencies.
"""

from __future__ import annotations

import importlib

# public name -> module under snowcoder_hf.pipeline (or a full dotted path for a block's config in an engine package)
_EXPORTS: dict[str, str] = {
    "TopPercentileSelector": "select",
    "CODE_TEXT_NORM_CONFIG": "code_tokenizer",
    "ChunkAveragedQualityFilter": "quality",
    "CodeWordTokenizer": "code_tokenizer",
    "DocumentFileReader": "document_files",
    "BenchmarkDecontaminationFilter": "decont",
    # stage-1 curation
    "SourceTreeReader": "readers",
    "SourceRoot": "readers",
    "CodeColumnsAdapter": "hub_readers",
    "hub_code_reader": "hub_readers",
    "LanguageIdentifier": "filters",
    "CodeHeuristicFilter": "filters",
    "HeuristicThresholds": "filters",
    "ExactDedupSignature": "exact_dedup",
    "ExactDedupCluster": "exact_dedup",
    "ExactDedupFilter": "exact_dedup",
    "CodeMinhashConfig": "snowcoder_hf.dedup.minhash",
    "CodeMinhashSignature": "near_dedup",
    "CodeMinhashBuckets": "near_dedup",
    "CodeMinhashCluster": "near_dedup",
    "CodeMinhashFilter": "near_dedup",
    "RankShardReader": "dedup_common",
    "rank_shard_writer": "dedup_common",
    "RepoShardAssigner": "repo_docs",
    "RepoDocuments": "repo_docs",
    "CodeDocumentTokenizer": "tokenize",
    # licences and syntax validity
    "LicenseAnnotator": "licenses",
    "LicenseFilter": "licenses",
    "SyntaxValidityFilter": "syntax",
    "SecretsRedactor": "redact",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'snowcoder_hf.pipeline' has no attribute {name!r}")
    path = module if module.startswith("snowcoder_hf.") else f"snowcoder_hf.pipeline.{module}"
    return getattr(importlib.import_module(path), name)


def __dir__() -> list[str]:
    return sorted(_EXPORTS)


__all__ = sorted(_EXPORTS)
