"""The stage-1 summary: counts per block and reason, files and tokens per language, `summary.json`,
`report.md` and two bar charts (kept/dropped per reason, per language)."""

from __future__ import annotations

import gzip
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from snowcoder_hf.common.reporting import BlockCounts, load_pipeline_stats, plot_counts, print_summary

_SKIP_BLOCK_WORDS = ("WRITER", "Rank shards", "Repo shard", "Document files")


def _blocks(out: Path, stage_names: list[str]) -> list[BlockCounts]:
    blocks = []
    for name in stage_names:
        stats_dir = out / "stats" / name
        if not (stats_dir / "stats.json").exists() and not (stats_dir / "stats").is_dir():
            continue  # submitted to a cluster and not finished yet
        for block in load_pipeline_stats(stats_dir):
            blocks.append(block)
    return blocks


def _shown(block: BlockCounts) -> bool:
    """Rows worth a line: blocks that dropped something, or filters that saw documents (not writers)."""
    return bool(block.dropped or (block.total and not any(word in block.name for word in _SKIP_BLOCK_WORDS)))


def _iter_metadata(folder: Path):
    for path in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line).get("metadata") or {}


def collect_counts(out: Path, stage_names: list[str]) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """(counts per block in the cards' shape, total tokens, tokens per language)."""
    counts = []
    tokens_by_language: dict[str, int] = {}
    for block in _blocks(out, stage_names):
        for key, value in block.extra.items():
            if key.startswith("tokens_"):
                tokens_by_language[key.removeprefix("tokens_")] = int(value)
        if not _shown(block):
            continue
        counts.append({"block": block.name.split(": ", 1)[-1], "in": block.total, "kept": block.forwarded,
                       "dropped": block.dropped, "reasons": dict(block.reasons)})  # fmt: skip
    return counts, sum(tokens_by_language.values()), dict(sorted(tokens_by_language.items()))


def write_report(result, config) -> None:
    out = Path(result.output_dir)
    kept_files: Counter = Counter()
    redacted: dict[str, Counter] = defaultdict(Counter)  # language -> {kind: replaced values}
    for metadata in _iter_metadata(out / "files"):
        language = str(metadata.get("language"))
        kept_files[language] += 1
        for record in metadata.get("redactions") or ():
            redacted[language][str(record.get("kind"))] += 1
    dropped_by_language: dict[str, Counter] = defaultdict(Counter)
    for metadata in _iter_metadata(out / "removed"):
        dropped_by_language[str(metadata.get("language"))][str(metadata.get("filter_reason"))] += 1
    documents = sum(1 for _ in _iter_metadata(out / "documents"))
    reasons = Counter()
    for block in result.counts:
        reasons.update(block["reasons"])
    summary = {
        "counts": result.counts,
        "tokens": result.tokens,
        "languages": result.languages,
        "files_per_language": dict(sorted(kept_files.items())),
        "dropped_per_language": {k: dict(v) for k, v in sorted(dropped_by_language.items())},
        "redacted_per_language": {k: dict(v) for k, v in sorted(redacted.items())},
        "files": sum(kept_files.values()),
        "documents": documents,
        "tokenizer": str(result.tokenizer_dir) if result.tokenizer_dir else None,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    plot_counts({"kept": {"files": sum(kept_files.values())}, "dropped per reason": dict(reasons) or {"none": 0}},
                out / "kept_dropped_by_reason.png", "Stage 1: kept and dropped documents")  # fmt: skip
    plot_counts({"kept files per language": dict(kept_files) or {"none": 0},
                 "dropped per language": {k: sum(v.values()) for k, v in dropped_by_language.items()} or {"none": 0}},
                out / "by_language.png", "Stage 1: per language")  # fmt: skip
    lines = [
        "# Stage-1 curation report",
        "",
        (
            f"{summary['files']:,} curated files, {documents:,} repo-level documents, {result.tokens:,} tokens, "
            f"in {result.seconds:,.1f} s."
        ),
        "",
        "| block | in | kept | dropped | reasons |",
        "|---|---:|---:|---:|---|",
    ]
    for block in result.counts:
        why = ", ".join(f"{r}={n:,}" for r, n in sorted(block["reasons"].items(), key=lambda kv: -kv[1])) or "-"
        lines.append(f"| {block['block']} | {block['in']:,} | {block['kept']:,} | {block['dropped']:,} | {why} |")
    lines += ["", "| language | kept files | dropped files | tokens | drop reasons | redacted values |",
              "|---|---:|---:|---:|---|---|"]  # fmt: skip
    for language in sorted(set(kept_files) | set(dropped_by_language) | set(result.languages)):
        drops = dropped_by_language.get(language, Counter())
        why = ", ".join(f"{r}={n:,}" for r, n in drops.most_common()) or "-"
        changed = ", ".join(f"{k}={n:,}" for k, n in redacted.get(language, Counter()).most_common()) or "-"
        lines.append(f"| {language} | {kept_files.get(language, 0):,} | {sum(drops.values()):,} | "
                     f"{result.languages.get(language, 0):,} | {why} | {changed} |")  # fmt: skip
    lines += ["", "| stage | seconds |", "|---|---:|"]
    lines += [f"| {name} | {seconds:,.1f} |" for name, seconds in result.stage_seconds.items()]
    lines += ["", "![kept and dropped per reason](kept_dropped_by_reason.png)", "",
              "![per language](by_language.png)", ""]  # fmt: skip
    (out / "report.md").write_text("\n".join(lines))


def print_stage1_summary(result) -> None:
    from rich.console import Console

    if not result.counts and "submit" in result.stage_seconds:
        Console().print(f"stage 1: submitted to the cluster; re-run the same command once the jobs are done to write "
                        f"{Path(result.output_dir) / 'report.md'} (finished tasks are skipped).")  # fmt: skip
        return
    blocks = [BlockCounts(name=c["block"], forwarded=c["kept"], dropped=c["dropped"], reasons=c["reasons"])
              for c in result.counts]  # fmt: skip
    print_summary(f"stage 1: {result.output_dir}", blocks, result.seconds)
    tokens = ", ".join(f"{lang}={n:,}" for lang, n in sorted(result.languages.items(), key=lambda kv: -kv[1]))
    Console().print(f"tokens: {result.tokens:,} ({tokens or '-'}); report: {Path(result.output_dir) / 'report.md'}")
