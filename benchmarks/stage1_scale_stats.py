"""What `stage1_scale.py` measures from a corpus and a finished stage-1 folder: nested corpus subsets, per-block
stats, files/drops/tokens per language and licence, and a digest of every output shard."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

OUTPUT_FOLDERS = ("files", "documents", "removed", "tokens")
_MAX_HASH = 2**64


def _in_subset(repo: str | None, path: str | None, fraction: float) -> bool:
    digest = hashlib.blake2b(f"{repo}\0{path}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") < fraction * _MAX_HASH


def write_subset(corpus: Path, output: Path, fraction: float) -> tuple[int, int]:
    """Copy the files of `corpus` whose (repo, path) hash falls under `fraction`, shard by shard and row group by
    row group. Subsets are nested (10% is inside 30%) and keep every language's share, up to sampling noise."""
    import pyarrow as pa

    shards = sorted((corpus / "data").rglob("*.parquet"))
    if not shards:
        raise SystemExit(f"error: --corpus {corpus} has no data/**/*.parquet shards.")
    rows = kept = 0
    for shard in shards:
        target = output / shard.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = pq.ParquetFile(shard)
        with pq.ParquetWriter(target, source.schema_arrow, compression="zstd") as writer:
            for index in range(source.metadata.num_row_groups):
                table = source.read_row_group(index)
                repos = table.column("max_stars_repo_name").to_pylist()
                paths = table.column("max_stars_repo_path").to_pylist()
                mask = pa.array([_in_subset(r, p, fraction) for r, p in zip(repos, paths, strict=True)])
                part = table.filter(mask)
                rows, kept = rows + len(table), kept + len(part)
                if len(part):
                    writer.write_table(part)
    (output / "manifest.json").write_text(json.dumps({"subset_of": str(corpus), "fraction": fraction,
                                                      "rows": rows, "kept": kept}, indent=1))  # fmt: skip
    return rows, kept


def _licence_key(value) -> str:
    if isinstance(value, (list, tuple)):
        return " + ".join(str(v) for v in value) if value else "unknown"
    return str(value) if value else "unknown"


def corpus_stats(corpus: Path) -> dict:
    """Files, bytes (the `size` column) and empty files per language and licence of a corpus, without its text."""
    from snowcoder_hf.pipeline.hub_readers import canonical_language

    per: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for shard in sorted((corpus / "data").rglob("*.parquet")):
        columns = ["lang", "max_stars_repo_path", "max_stars_repo_licenses", "size"]
        table = pq.read_table(shard, columns=columns).to_pylist()
        for row in table:
            key = (canonical_language(row["lang"], row["max_stars_repo_path"]) or "unknown",
                   _licence_key(row["max_stars_repo_licenses"]))  # fmt: skip
            per[key]["files"] += 1
            per[key]["bytes"] += int(row["size"] or 0)
            per[key]["empty"] += int(not row["size"])
    return {"files": sum(c["files"] for c in per.values()), "bytes": sum(c["bytes"] for c in per.values()),
            "per": [[lang, lic, dict(c)] for (lang, lic), c in sorted(per.items())]}  # fmt: skip


def _metadata_lines(folder: Path):
    """The `metadata` object of every record under `folder`, read without decoding the text: DataTrove's writers
    put `metadata` last, so it is the tail of each line after the last `"metadata":`."""
    marker = '"metadata":'
    for path in sorted(folder.rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                at = line.rfind(marker)
                if at < 0:
                    yield json.loads(line).get("metadata") or {}
                    continue
                try:
                    yield json.loads(line[at + len(marker) :].rstrip().removesuffix("}"))
                except json.JSONDecodeError:  # a text that itself holds the marker: decode the whole record
                    yield json.loads(line).get("metadata") or {}


def language_licence_table(out: Path, corpus: Path) -> dict:
    """Per language and per licence: files in, kept, dropped per reason, kept bytes; tokens per language (exact,
    from the tokenizer's counts) and per licence (estimated: each language's tokens split by kept bytes)."""
    stats = corpus_stats(corpus)
    table: dict[str, dict[str, dict]] = {"language": {}, "licence": {}}

    def row(kind: str, key: str) -> dict:
        return table[kind].setdefault(key, {"in": 0, "in_bytes": 0, "kept": 0, "kept_bytes": 0, "dropped": {}})

    for language, licence, counts in stats["per"]:
        for kind, key in (("language", language), ("licence", licence)):
            entry = row(kind, key)
            entry["in"] += counts["files"]
            entry["in_bytes"] += counts["bytes"]
            if counts.get("empty"):
                entry["dropped"]["empty_text"] = entry["dropped"].get("empty_text", 0) + counts["empty"]
    kept_bytes: dict[tuple[str, str], int] = Counter()
    for metadata in _metadata_lines(out / "files"):
        language, licence = str(metadata.get("language")), _licence_key(metadata.get("license"))
        kept_bytes[(language, licence)] += int(metadata.get("size") or 0)
        for kind, key in (("language", language), ("licence", licence)):
            entry = row(kind, key)
            entry["kept"] += 1
            entry["kept_bytes"] += int(metadata.get("size") or 0)
    for metadata in _metadata_lines(out / "removed"):
        reason = str(metadata.get("filter_reason"))
        for kind, key in (
            ("language", str(metadata.get("language"))),
            ("licence", _licence_key(metadata.get("license"))),
        ):
            dropped = row(kind, key)["dropped"]
            dropped[reason] = dropped.get(reason, 0) + 1
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    tokens = summary.get("languages", {})
    for language, entry in table["language"].items():
        entry["tokens"] = int(tokens.get(language, 0))
    per_language_bytes = Counter()
    for (language, _), size in kept_bytes.items():
        per_language_bytes[language] += size
    for (language, licence), size in kept_bytes.items():
        share = size / per_language_bytes[language] if per_language_bytes[language] else 0.0
        entry = row("licence", licence)
        entry["tokens_estimated"] = entry.get("tokens_estimated", 0) + round(tokens.get(language, 0) * share)
    return table


def stage_blocks(out: Path, stage_names: list[str] | None) -> dict[str, list[dict]]:
    """Per stage, each block's in-task seconds (summed over tasks), documents in and out, and characters it
    passed on, merged from the per-task stats so that a resumed run counts the tasks of both launches."""
    from datatrove.utils.stats import PipelineStats

    names = stage_names or sorted(p.name for p in (out / "stats").iterdir() if p.is_dir())
    result = {}
    for name in names:
        per_task = sorted((out / "stats" / name / "stats").glob("*.json"))
        if not per_task:
            continue
        merged = sum((PipelineStats.from_json(json.loads(p.read_text())) for p in per_task), start=PipelineStats())
        blocks = []
        for block in json.loads(merged.to_json()):
            stats = {
                k: (v.get("total", 0) if isinstance(v, dict) else v) for k, v in (block.get("stats") or {}).items()
            }
            blocks.append({"name": block.get("name", "?"), "seconds": (block.get("time_stats") or {}).get("total", 0.0),
                           "in": stats.get("total", stats.get("documents", stats.get("files", 0))),
                           "out": stats.get("forwarded", stats.get("documents", stats.get("total", 0))),
                           "chars_out": stats.get("doc_len", 0), "stats": stats})  # fmt: skip
        result[name] = blocks
    return result


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    elif path.name.endswith(".metadata"):  # the first line names the tokenizer by its path
        h.update(path.read_bytes().split(b"\n", 1)[-1])
    else:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()


def shard_digests(out: Path) -> dict[str, str]:
    """sha256 of every output shard (gzip decompressed), plus the summary's counts."""
    digests = {}
    for folder in OUTPUT_FOLDERS:
        for path in sorted((out / folder).rglob("*")):
            if path.is_file():
                digests[path.relative_to(out).as_posix()] = _digest(path)
    if (out / "summary.json").exists():
        summary = json.loads((out / "summary.json").read_text())
        counts = {k: summary.get(k) for k in ("counts", "tokens", "languages", "files", "documents")}
        digests["summary.json#counts"] = hashlib.sha256(json.dumps(counts, sort_keys=True).encode()).hexdigest()
    return digests


def compare_digests(a: dict[str, str], b: dict[str, str]) -> tuple[bool, list[str]]:
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    differ = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    lines = [f"{len(set(a) & set(b)) - len(differ)} of {len(set(a) | set(b))} shards identical"]
    lines += [f"  differs: {k}" for k in differ] + [f"  only in the first: {k}" for k in only_a]
    lines += [f"  only in the second: {k}" for k in only_b]
    return not (only_a or only_b or differ), lines
