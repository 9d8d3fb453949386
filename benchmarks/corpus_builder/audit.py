"""Stage 1's reader, language id and heuristic filters on a per-language sample of a corpus, with the
evidence behind every drop, so that drops can be checked by hand for rules that misfire.

The sample (a seeded uniform draw of up to N files per language) is written as parquet in the corpus's own
layout, then read back through `hub_code_reader` and filtered by `LanguageIdentifier` and
`CodeHeuristicFilter` on DataTrove's local executor, exactly as stage 1 chains them; the drops are read
from the filters' `removed/` files.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpus_builder.shards import SCHEMA, language_folder


def sample_corpus(corpus_dir: Path, sample_dir: Path, per_language: int, seed: int = 0,
                  languages: list[str] | None = None) -> dict[str, int]:  # fmt: skip
    """Write up to `per_language` uniformly drawn rows of each language to `sample_dir/data/<lang>/`."""
    wanted = {language_folder(name) for name in languages} if languages else None
    sizes = {}
    for folder in sorted(p for p in (corpus_dir / "data").iterdir() if p.is_dir()):
        if wanted is not None and folder.name not in wanted:
            continue
        shards = sorted(folder.glob("*.parquet"))
        total = sum(pq.ParquetFile(s).metadata.num_rows for s in shards)
        if total == 0:
            continue
        chosen = set(random.Random(f"{seed}:{folder.name}").sample(range(total), min(per_language, total)))
        rows, offset = [], 0
        for shard in shards:
            for batch in pq.ParquetFile(shard).iter_batches(batch_size=4096):
                picked = [i for i in range(batch.num_rows) if offset + i in chosen]
                if picked:
                    rows.append(batch.take(pa.array(picked)))
                offset += batch.num_rows
        table = pa.Table.from_batches(rows, schema=SCHEMA)
        (sample_dir / "data" / folder.name).mkdir(parents=True, exist_ok=True)
        pq.write_table(table, sample_dir / "data" / folder.name / "sample.parquet", compression="zstd")
        sizes[table.column("lang")[0].as_py()] = table.num_rows
    return sizes


def _crash_counting(filter_class):
    """`filter_class` with every exception its `filter` raises turned into a drop `crashed_<Error>`:
    stage 1's own blocks stop the whole task on one such file, and the audit has to see the rest."""

    class CrashCounting(filter_class):
        def filter(self, doc):
            try:
                return super().filter(doc)
            except Exception as err:  # counted and reported with the file, as a finding
                doc.metadata["crash"] = f"{type(err).__name__}: {err}"
                return False, f"crashed_{type(err).__name__}"

    CrashCounting.__name__ = filter_class.__name__
    return CrashCounting


def run_stage1_filters(sample_dir: Path, work_dir: Path) -> None:
    """hub_code_reader -> LanguageIdentifier -> CodeHeuristicFilter, drops written to `work_dir/removed/`."""
    from datatrove.executor import LocalPipelineExecutor

    from snowcoder_hf.pipeline.document_files import removed_writer
    from snowcoder_hf.pipeline.filters import CodeHeuristicFilter, LanguageIdentifier
    from snowcoder_hf.pipeline.hub_readers import hub_code_reader

    LocalPipelineExecutor(
        pipeline=[
            hub_code_reader(str(sample_dir)),
            _crash_counting(LanguageIdentifier)(exclusion_writer=removed_writer(work_dir, "language_id")),
            _crash_counting(CodeHeuristicFilter)(exclusion_writer=removed_writer(work_dir, "heuristics")),
        ],
        tasks=1,
        logging_dir=str(work_dir / "logs"),
    ).run()


def _excerpt(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def drop_evidence(text: str, path: str, reason: str, limits, metadata_crash: str | None = None) -> dict:
    """What the rule saw: the matched header line, the longest line, the covering runs, the fractions."""
    from snowcoder_hf.pipeline import filters as stage1

    lines = text.splitlines() or [""]
    lengths = [len(line) for line in lines]
    evidence: dict = {"bytes": len(text.encode("utf-8", "surrogatepass")), "lines": len(lines)}
    if reason == "auto_generated":
        from snowcoder_hf.common.generated_code import generated_marker

        line = generated_marker(text, limits.autogen_header_lines)
        evidence.update(matched=line, header_line=_excerpt((line or "").strip()))
    elif reason in ("max_line_length", "minified"):
        longest = max(range(len(lines)), key=lengths.__getitem__)
        evidence.update(longest=lengths[longest], line_number=longest + 1, line=_excerpt(lines[longest].strip()),
                        min_name=bool(stage1._MINIFIED_NAME_RE.search(path)))  # fmt: skip
    elif reason == "avg_line_length":
        evidence.update(mean_line_length=round(sum(lengths) / len(lengths), 1),
                        lines_over_200=sum(n > 200 for n in lengths))  # fmt: skip
    elif reason == "alphanum_fraction":
        evidence.update(alphanum_fraction=round(sum(map(str.isalnum, text)) / max(len(text), 1), 3),
                        start=_excerpt(text.lstrip()[:200].replace("\n", "⏎")))  # fmt: skip
    elif reason in ("base64_data", "numeric_data"):
        pattern = stage1._BASE64_RE if reason == "base64_data" else stage1._NUMBER_LIST_RE
        first = pattern.search(text)
        evidence.update(fraction=round(stage1._covered_fraction(pattern, text), 3),
                        first_match=_excerpt(first.group(0)) if first else None)  # fmt: skip
    elif reason == "too_small":
        evidence.update(text=_excerpt(text.strip()))
    elif reason.startswith("crashed_"):
        evidence.update(error=metadata_crash)
    return evidence


def read_drops(work_dir: Path) -> list[dict]:
    drops = []
    for path in sorted((work_dir / "removed").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            drops.extend(json.loads(line) for line in f)
    return drops


def summarize(sample_dir: Path, work_dir: Path, sampled: dict[str, int], examples: int, seed: int = 0) -> dict:
    """Per language: sampled, read, kept, drops per reason, and up to `examples` drops with evidence
    (spread over the reasons, most frequent first)."""
    from snowcoder_hf.pipeline.filters import CodeHeuristicFilter

    limits_of = CodeHeuristicFilter().thresholds
    empty = Counter()
    for shard in sample_dir.glob("data/*/*.parquet"):
        for row in pq.read_table(shard, columns=["lang", "size"]).to_pylist():
            empty[row["lang"]] += row["size"] == 0
    by_language: dict[str, list[dict]] = defaultdict(list)
    for doc in read_drops(work_dir):
        by_language[doc["metadata"]["language"]].append(doc)
    report = {}
    for language in sorted(sampled, key=lambda name: -sampled[name]):
        docs = by_language.get(language, [])
        reasons = Counter(doc["metadata"]["filter_reason"] for doc in docs)
        picked, pools = [], defaultdict(list)
        for doc in docs:
            pools[doc["metadata"]["filter_reason"]].append(doc)
        rng = random.Random(f"{seed}:{language}")
        for pool in pools.values():
            rng.shuffle(pool)
        while len(picked) < examples and any(pools.values()):
            for reason, _ in reasons.most_common():
                if pools[reason] and len(picked) < examples:
                    picked.append(pools[reason].pop())
        report[language] = {
            "sampled": sampled[language],
            "empty_rows_skipped_by_reader": empty[language],
            "dropped": dict(reasons.most_common()),
            "kept": sampled[language] - empty[language] - len(docs),
            "examples": [{"repo": d["metadata"]["repo"], "path": d["metadata"]["path"],
                          "reason": d["metadata"]["filter_reason"],
                          "evidence": drop_evidence(d.get("text", ""), d["metadata"]["path"], d["metadata"]["filter_reason"],
                                                    limits_of(language), d["metadata"].get("crash"))}
                         for d in picked],
        }  # fmt: skip
    return report


def markdown_table(report: dict) -> str:
    reasons = sorted({r for entry in report.values() for r in entry["dropped"]})
    head = ["language", "sampled", "kept", "empty (reader)", *reasons]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
    for language, entry in report.items():
        cells = [language, f"{entry['sampled']:,}", f"{entry['kept']:,} ({entry['kept'] / entry['sampled']:.1%})",
                 str(entry["empty_rows_skipped_by_reader"]), *(str(entry["dropped"].get(r, "")) for r in reasons)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
