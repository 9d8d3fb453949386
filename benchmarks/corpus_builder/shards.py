"""Parquet shards in The Stack's layout: `data/<language>/train-00000-of-00003.parquet`, zstd, one schema.

Rows are written in the order they are added, in row groups of about `row_group_bytes` of content; a
language's shard is closed once its file reaches `target_shard_bytes`. Shards are written under a
`.partial` name and get their `-of-N` name when the language is complete, so a reader's `*.parquet`
glob never sees a half-written file. Same rows in, same bytes out (for one pyarrow version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

# The Stack / starcoderdata columns, plus the package version the file came from.
SCHEMA = pa.schema(
    [
        ("content", pa.string()),
        ("max_stars_repo_name", pa.string()),
        ("max_stars_repo_path", pa.string()),
        ("lang", pa.string()),
        ("max_stars_repo_licenses", pa.list_(pa.string())),
        ("size", pa.int64()),
        ("max_stars_count", pa.int64()),
        ("package_version", pa.string()),
    ]
)
_DICTIONARY_COLUMNS = ["max_stars_repo_name", "lang", "max_stars_repo_licenses", "package_version"]


def language_folder(language: str) -> str:
    """The Stack's data folder name for a language: `C++` -> `c++`, `C#` -> `c-sharp`,
    `Jupyter Notebook` -> `jupyter-notebook`."""
    name = language.lower().replace("#", "-sharp")
    return re.sub(r"[^a-z0-9+-]+", "-", name).strip("-")


@dataclass(frozen=True)
class ShardInfo:
    path: str  # relative to the output folder
    language: str
    rows: int
    content_bytes: int
    file_bytes: int


class _LanguageShards:
    def __init__(self, folder: Path, language: str, target_shard_bytes: int, row_group_bytes: int):
        self.folder, self.language = folder, language
        self.target_shard_bytes, self.row_group_bytes = target_shard_bytes, row_group_bytes
        self.rows: list[dict] = []
        self.buffered = 0
        self.writer: pq.ParquetWriter | None = None
        self.current: Path | None = None
        self.current_rows = self.current_bytes = 0
        self.done: list[tuple[Path, int, int]] = []

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.buffered += row["size"]
        if self.buffered >= self.row_group_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        if self.writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.current = self.folder / f"train-{len(self.done):05d}.parquet.partial"
            self.writer = pq.ParquetWriter(self.current, SCHEMA, compression="zstd", use_dictionary=_DICTIONARY_COLUMNS,
                                           write_statistics=["size", "max_stars_count"])  # fmt: skip
        self.writer.write_table(pa.Table.from_pylist(self.rows, schema=SCHEMA), row_group_size=len(self.rows))
        self.current_rows += len(self.rows)
        self.current_bytes += self.buffered
        self.rows, self.buffered = [], 0
        if self.current.stat().st_size >= self.target_shard_bytes:
            self._close_shard()

    def _close_shard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.done.append((self.current, self.current_rows, self.current_bytes))
            self.writer, self.current, self.current_rows, self.current_bytes = None, None, 0, 0

    def close(self, output_dir: Path) -> list[ShardInfo]:
        self._flush()
        self._close_shard()
        infos = []
        for index, (partial, rows, content_bytes) in enumerate(self.done):
            final = partial.with_name(f"train-{index:05d}-of-{len(self.done):05d}.parquet")
            partial.rename(final)
            infos.append(ShardInfo(final.relative_to(output_dir).as_posix(), self.language, rows, content_bytes,
                                   final.stat().st_size))  # fmt: skip
        return infos


class ShardWriter:
    """Rows (dicts in `SCHEMA`) in, one shard series per `lang` under `output_dir/data/`."""

    def __init__(
        self, output_dir: str | Path, target_shard_bytes: int = 150_000_000, row_group_bytes: int = 32_000_000
    ):
        if target_shard_bytes < 1 or row_group_bytes < 1:
            raise ValueError(
                f"shard and row-group sizes must be positive, got {target_shard_bytes}, {row_group_bytes}."
            )
        self.output_dir = Path(output_dir)
        self.target_shard_bytes, self.row_group_bytes = target_shard_bytes, row_group_bytes
        self._languages: dict[str, _LanguageShards] = {}

    def add(self, row: dict) -> None:
        language = row["lang"]
        if language not in self._languages:
            folder = self.output_dir / "data" / language_folder(language)
            self._languages[language] = _LanguageShards(folder, language, self.target_shard_bytes, self.row_group_bytes)
        self._languages[language].add(row)

    def close(self) -> list[ShardInfo]:
        infos = []
        for language in sorted(self._languages):
            infos.extend(self._languages[language].close(self.output_dir))
        return infos
