"""Stage 1's language id and heuristic filters over a whole corpus, one record per drop with the evidence its rule
saw, and the drops two audits (two versions of the rules) disagree on, for reading by hand.

    python benchmarks/stage1_scale.py audit --corpus corpus-large --output s1/drops_new.jsonl
    PYTHONPATH=<a checkout of the old rules> python benchmarks/stage1_scale.py audit ... --output drops_old.jsonl
    python benchmarks/stage1_scale.py audit-diff s1/drops_old.jsonl s1/drops_new.jsonl
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq


def _evidence(text: str, limits) -> dict:
    lines = text.splitlines() or [""]
    lengths = [len(line) for line in lines]
    long_chars = sum(n for n in lengths if n > limits.max_line_length)
    return {"chars": len(text), "lines": len(lines), "longest": max(lengths),
            "mean": round(sum(lengths) / len(lengths), 1), "long_fraction": round(long_chars / max(len(text), 1), 3),
            "replacements": text.count("\ufffd"), "head": "\n".join(lines[:5])[:400]}  # fmt: skip


def audit(corpus: Path, output: Path) -> dict:
    """Run `LanguageIdentifier(PAPER_LANGUAGES)` and `CodeHeuristicFilter()` on every row; write each drop."""
    from datatrove.data import Document

    from snowcoder_hf.common.languages import PAPER_LANGUAGES
    from snowcoder_hf.pipeline.filters import CodeHeuristicFilter, LanguageIdentifier
    from snowcoder_hf.pipeline.hub_readers import CodeColumnsAdapter

    adapter, language_id, heuristics = (
        CodeColumnsAdapter(),
        LanguageIdentifier(list(PAPER_LANGUAGES)),
        CodeHeuristicFilter(),
    )
    counts: dict[str, Counter] = defaultdict(Counter)
    start = time.process_time()
    with open(output, "w", encoding="utf-8") as out:
        for shard in sorted((corpus / "data").rglob("*.parquet")):
            row_index = 0
            for batch in pq.ParquetFile(shard).iter_batches(batch_size=1000):
                for row in batch.to_pylist():
                    record = adapter(None, row, str(shard), row_index)
                    row_index += 1
                    if not record["text"]:
                        counts[str(row.get("lang"))]["empty_text"] += 1
                        continue
                    doc = Document(**record)
                    try:
                        verdict = language_id.filter(doc)
                    except Exception as err:  # an audit counts a crash instead of stopping
                        counts[str(row.get("lang"))][f"crashed_{type(err).__name__}"] += 1
                        continue
                    if verdict is not True:
                        counts[str(doc.metadata.get("language"))][verdict[1]] += 1
                        continue
                    language = doc.metadata["language"]
                    verdict = heuristics.filter(doc)
                    counts[language]["kept" if verdict is True else verdict[1]] += 1
                    if verdict is not True:
                        evidence = _evidence(doc.text, heuristics.thresholds(language))
                        out.write(json.dumps({"language": language, "reason": verdict[1], "repo": doc.metadata.get("repo"),
                                              "path": doc.metadata.get("path"), **evidence}) + "\n")  # fmt: skip
    summary = {
        "cpu_s": round(time.process_time() - start, 1),
        "counts": {k: dict(v) for k, v in sorted(counts.items())},
    }
    Path(f"{output}.counts.json").write_text(json.dumps(summary, indent=1))
    return summary


def audit_diff(old: Path, new: Path) -> str:
    """Markdown: drops per language and reason in each audit, then every drop only one of them made."""

    def load(path):
        return {(r["repo"], r["path"]): r for r in map(json.loads, open(path, encoding="utf-8"))}

    before, after = load(old), load(new)
    lines = [f"{len(before):,} heuristic drops before, {len(after):,} after.", "",
             "| language | before | after | now kept | newly dropped |", "|---|---:|---:|---:|---:|"]  # fmt: skip
    languages = sorted({r["language"] for r in [*before.values(), *after.values()]})
    for language in languages:
        b = [k for k, r in before.items() if r["language"] == language]
        a = [k for k, r in after.items() if r["language"] == language]
        lines.append(f"| {language} | {len(b):,} | {len(a):,} | {len(set(b) - set(a)):,} | {len(set(a) - set(b)):,} |")
    for title, keys, source in (("Now kept (dropped before)", sorted(set(before) - set(after)), before),
                                ("Newly dropped", sorted(set(after) - set(before)), after)):  # fmt: skip
        lines += ["", f"### {title}", "", "| language | old reason | repo | path | lines | longest | head |",
                  "|---|---|---|---|---:|---:|---|"]  # fmt: skip
        for key in keys:
            r = source[key]
            head = r["head"].splitlines()[0][:90].replace("|", "\\|") if r["head"] else ""
            lines.append(f"| {r['language']} | {r['reason']} | {r['repo']} | {r['path']} | {r['lines']} | "
                         f"{r['longest']} | `{head}` |")  # fmt: skip
    return "\n".join(lines)
