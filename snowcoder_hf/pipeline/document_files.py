"""Reading and writing document files: the `--input IN --output OUT` contract of every command.

IN is a JSONL, JSONL.GZ or Parquet file, or a folder of them, with `id`, `text` and optional
`metadata`. OUT gets `kept/` and `removed/` as DataTrove jsonl.gz outputs. DataTrove's own
`JsonlReader` logs and skips a malformed line; here every bad record is counted under a reason and,
with an exclusion writer, kept on disk, so nothing is lost silently.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.pipeline.writers.disk_base import DiskWriter

DOCUMENT_FILE_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".parquet")


def content_id(text: str) -> str:
    """A stable id for a document that arrives without one: a hash of its content."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _loads(raw_line: bytes):
    """orjson (2-3x faster), and the standard library for what orjson refuses but JSON allows (an escaped
    lone surrogate such as `"\\ud800"`)."""
    import orjson

    try:
        return orjson.loads(raw_line)
    except orjson.JSONDecodeError:
        return json.loads(raw_line)


def _compression_for(path: str) -> str | None:
    return "gzip" if path.endswith(".gz") else None


class DocumentFileReader(BaseDiskReader):
    """Read documents from JSONL, JSONL.GZ and Parquet files, counting every record it cannot use.

    Drop reasons: `malformed_json` (a line that is not a JSON object), `missing_text` (no string
    `text` field) and `empty_text`. With `exclusion_writer`, each dropped record is written there as
    a document whose text is the raw record and whose `metadata.filter_reason` says why.
    """

    name = "📂 Document files"
    type = "📖 - READER"

    def __init__(
        self,
        data_folder: str,
        glob_pattern: str | None = None,
        exclusion_writer: DiskWriter | None = None,
        limit: int = -1,
        doc_progress: bool = False,
    ):
        path = Path(data_folder)
        if path.is_file():
            data_folder, glob_pattern = str(path.parent), path.name
        super().__init__(
            data_folder,
            glob_pattern=glob_pattern,
            limit=limit,
            doc_progress=doc_progress,
            recursive=True,
        )
        self.exclusion_writer = exclusion_writer
        self._rejected: list[tuple[str, str, str]] = []

    def _reject(self, reason: str, raw: str, source: str) -> None:
        self.stat_update(reason)
        self.stat_update("dropped")
        if self.exclusion_writer is not None:
            self._rejected.append((reason, raw, source))

    def _record_to_document(self, record: Any, source: str, index: int) -> Document | None:
        if not isinstance(record, dict):
            self._reject("malformed_json", json.dumps(record, default=str)[:10_000], source)
            return None
        text = record.get("text")
        if not isinstance(text, str):
            self._reject("missing_text", json.dumps(record, default=str)[:10_000], source)
            return None
        if not text.strip():
            self._reject("empty_text", json.dumps(record, default=str)[:10_000], source)
            return None
        metadata = record.get("metadata") or {}
        if not isinstance(metadata, dict):
            metadata = {"raw_metadata": metadata}
        doc_id = record.get("id")
        doc_id = str(doc_id) if doc_id not in (None, "") else content_id(text)
        return Document(text=text, id=doc_id, metadata=dict(metadata))

    def _read_jsonl(self, filepath: str):
        with self.data_folder.open(filepath, "rb", compression=_compression_for(filepath)) as f:
            for index, raw_line in enumerate(f):
                if not raw_line.strip():
                    continue
                try:
                    record = _loads(raw_line)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    self._reject("malformed_json", raw_line.decode("utf-8", "replace")[:10_000], filepath)
                    continue
                yield index, record

    def _read_parquet(self, filepath: str):
        import pyarrow.parquet as pq

        with self.data_folder.open(filepath, "rb") as f:
            parquet_file = pq.ParquetFile(f)
            index = 0
            for batch in parquet_file.iter_batches(batch_size=1024):
                for record in batch.to_pylist():
                    yield index, record
                    index += 1

    def read_file(self, filepath: str) -> DocumentsPipeline:
        records = self._read_parquet(filepath) if filepath.endswith(".parquet") else self._read_jsonl(filepath)
        for index, record in records:
            with self.track_time():
                document = self._record_to_document(record, filepath, index)
            if self._rejected:
                self._flush_rejected()
            if document is not None:
                yield document
        if self._rejected:  # bad records after the last good one
            self._flush_rejected()

    def _flush_rejected(self) -> None:
        for reason, raw, source in self._rejected:
            self.exclusion_writer.write(
                Document(text=raw, id=content_id(source + raw), metadata={"filter_reason": reason, "source": source}),
                rank=self._rank,
            )
        self._rejected.clear()

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._rank = rank
        if self.exclusion_writer is None:
            yield from super().run(data, rank, world_size)
            return
        with self.exclusion_writer:
            yield from super().run(data, rank, world_size)


def kept_writer(output_dir: str | Path) -> JsonlWriter:
    """The `OUT/kept/` writer: DataTrove jsonl.gz shards, one per task (gzip level 6: `gzip_writer`)."""
    from snowcoder_hf.pipeline.gzip_writer import GzipJsonlWriter

    return GzipJsonlWriter(str(Path(output_dir) / "kept"), output_filename="${rank}.jsonl.gz")


def removed_writer(output_dir: str | Path, block: str) -> JsonlWriter:
    """An `OUT/removed/` writer for one block's `exclusion_writer`. Each block gets its own file name,
    because two writers on one file in one task would overwrite each other. DataTrove adds
    `metadata.filter_reason` to what a filter writes there."""
    if not block.isidentifier():
        raise ValueError(f"`block` must be a snake_case name, got {block!r}.")
    from snowcoder_hf.pipeline.gzip_writer import GzipJsonlWriter

    return GzipJsonlWriter(str(Path(output_dir) / "removed"), output_filename=f"{block}_${{rank}}.jsonl.gz")


def find_document_files(path: str | Path) -> list[Path]:
    """The document files at `path` (a file or a folder), sorted, so that a run's order is stable."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"`--input` {path} does not exist.")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(DOCUMENT_FILE_SUFFIXES))
    if not files:
        raise ValueError(f"`--input` {path} holds no {', '.join(DOCUMENT_FILE_SUFFIXES)} files.")
    return files
