"""Turn a stage's DataTrove output (jsonl.gz / jsonl / parquet shards) into Hub-ready parquet shards.

One input shard becomes one output shard, `data/train-00000-of-00004.parquet`, read and written in
batches so memory stays bounded at any scale. Every shard has the same schema: `id`, `text`, the
contract's metadata keys as typed columns (`repo`, `path`, `language`, `license`, `size`,
`quality_score`) for filtering, and `metadata`, the full metadata as a JSON string, because blocks add
keys of varying shape (`contamination`, `chunk_scores`) that no fixed struct holds. The output is a
pure function of the input, so re-converting unchanged shards gives byte-identical files and a
re-push commits nothing.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

INPUT_SUFFIXES = (".jsonl.gz", ".jsonl", ".parquet")
TYPED_COLUMNS = {"repo": "string", "path": "string", "language": "string", "license": "string", "size": "int64",
                 "quality_score": "float64"}  # fmt: skip
BATCH_ROWS = 2_000


def schema():
    import pyarrow as pa

    fields = [pa.field("id", pa.string()), pa.field("text", pa.string())]
    fields += [pa.field(name, getattr(pa, kind)()) for name, kind in TYPED_COLUMNS.items()]
    fields.append(pa.field("metadata", pa.string()))
    return pa.schema(fields)


def find_shards(folder: str | Path) -> list[Path]:
    """The document shards under `folder`, sorted; DataTrove's `removed/` and `stats/` folders are skipped."""
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"`folder` {folder} does not exist.")
    shards = sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.name.endswith(INPUT_SUFFIXES) and not {"removed", "stats", "logs"} & set(p.parts)
    )  # fmt: skip
    if not shards:
        raise ValueError(f"`folder` {folder} holds no {', '.join(INPUT_SUFFIXES)} document shards.")
    return shards


def _records(shard: Path) -> Iterator[dict[str, Any]]:
    if shard.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(shard).iter_batches(batch_size=BATCH_ROWS):
            yield from batch.to_pylist()
        return
    opener = gzip.open if shard.name.endswith(".gz") else open
    with opener(shard, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{shard}:{number} is not a JSON line ({exc.msg}); fix or remove the shard.") from exc
            yield record


def _row(record: dict[str, Any]) -> dict[str, Any]:
    metadata = record.get("metadata")
    if isinstance(metadata, str):  # a parquet shard this module wrote
        metadata = json.loads(metadata)
    metadata = dict(metadata or {})
    for key in TYPED_COLUMNS:  # a flat record (e.g. a `datasets` export) keeps its columns
        if key in record and key not in metadata:
            metadata[key] = record[key]
    row = {"id": str(record.get("id", "")), "text": record.get("text")}
    if not isinstance(row["text"], str):
        raise ValueError(f"document {row['id']!r} has no string `text`.")
    for key, kind in TYPED_COLUMNS.items():
        value = metadata.get(key)
        if value is not None:
            try:
                value = int(value) if kind == "int64" else float(value) if kind == "float64" else str(value)
            except (TypeError, ValueError):
                value = None  # kept in full in `metadata`
        row[key] = value
    row["metadata"] = json.dumps(metadata, sort_keys=True, ensure_ascii=False, default=str)
    return row


def convert_to_parquet(folder: str | Path, out_dir: str | Path) -> tuple[list[Path], int]:
    """Write `out_dir/data/train-*.parquet`, one per input shard; returns the paths and the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shards = find_shards(folder)
    data_dir = Path(out_dir) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    target_schema, written, rows = schema(), [], 0
    for index, shard in enumerate(shards):
        path = data_dir / f"train-{index:05d}-of-{len(shards):05d}.parquet"
        with pq.ParquetWriter(path, target_schema, compression="zstd") as writer:
            batch: list[dict[str, Any]] = []
            for record in _records(shard):
                batch.append(_row(record))
                if len(batch) >= BATCH_ROWS:
                    writer.write_table(pa.Table.from_pylist(batch, schema=target_schema))
                    rows, batch = rows + len(batch), []
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=target_schema))
                rows += len(batch)
        written.append(path)
    return written, rows
