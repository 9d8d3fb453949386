"""Local parquet datasets dealt out to DataTrove tasks by row group and size, so uneven shards still split evenly.

DataTrove's `ParquetReader` gives task `r` of `N` the files `r, r + N, ...`. A code dataset laid out as
`data/<language>/train-*.parquet` has shards of very different sizes (one C shard of a kernel next to a
Dart shard of one file), so one task can get most of the bytes, and every later stage that reads back its
shards by rank inherits the imbalance. `BalancedParquetReader` assigns the row groups of all files instead,
largest first to the least loaded task, from the files' footers alone: the same files give the same
assignment, so a resumed task reads exactly the rows it read before.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from datatrove.pipeline.readers import ParquetReader


@dataclass(frozen=True, order=True)
class RowGroup:
    """One row group of one file: where it is, how many bytes it holds, and its first row's index in the file."""

    path: str
    index: int
    first_row: int
    rows: int
    size: int


def assign_row_groups(groups: list[RowGroup], world_size: int) -> list[list[RowGroup]]:
    """Row groups per task: largest first onto the least loaded task (ties to the lowest rank), each task's list
    in file order. Deterministic: it depends only on the groups, never on the order they were listed in."""
    if world_size < 1:
        raise ValueError(f"`world_size` must be at least 1, got {world_size}.")
    loads = [(0, rank) for rank in range(world_size)]
    tasks: list[list[RowGroup]] = [[] for _ in range(world_size)]
    for group in sorted(groups, key=lambda g: (-g.size, g.path, g.index)):
        load, rank = heapq.heappop(loads)
        tasks[rank].append(group)
        heapq.heappush(loads, (load + group.size, rank))
    return [sorted(task) for task in tasks]


class BalancedParquetReader(ParquetReader):
    """`ParquetReader` whose tasks each read row groups worth about the same number of bytes.

    Takes ParquetReader's arguments except `paths_file` and `shuffle_files` (both would defeat the
    assignment). Document ids from the adapter see each row's index in its file, as with ParquetReader.
    """

    name = "📒 Parquet (balanced)"

    def __init__(self, data_folder, limit: int = -1, skip: int = 0, batch_size: int = 1000, read_metadata: bool = True,
                 adapter=None, text_key: str = "text", id_key: str = "id", default_metadata: dict | None = None,
                 recursive: bool = True, glob_pattern: str | None = None):  # fmt: skip
        super().__init__(data_folder, limit=limit, skip=skip, batch_size=batch_size, read_metadata=read_metadata,
                         adapter=adapter, text_key=text_key, id_key=id_key, default_metadata=default_metadata,
                         recursive=recursive, glob_pattern=glob_pattern)  # fmt: skip

    def row_groups(self) -> list[RowGroup]:
        """Every row group of every matching file, read from the files' footers."""
        import pyarrow.parquet as pq

        files = self.data_folder.list_files(recursive=self.recursive, glob_pattern=self.glob_pattern)
        if not files:
            raise FileNotFoundError(f"no parquet files match {self.glob_pattern!r} in {self.data_folder.path}.")
        groups = []
        for path in files:
            with self.data_folder.open(path, "rb") as f:
                metadata = pq.ParquetFile(f).metadata
            first = 0
            for index in range(metadata.num_row_groups):
                group = metadata.row_group(index)
                groups.append(RowGroup(path, index, first, group.num_rows, max(group.total_byte_size, 1)))
                first += group.num_rows
        return groups

    def read_file(self, filepath: RowGroup):
        """The documents of one row group (`read_files_shard` calls this once per entry of the task's list)."""
        import pyarrow.parquet as pq

        columns = None if self.read_metadata else [self.text_key, self.id_key]
        with self.data_folder.open(filepath.path, "rb") as f, pq.ParquetFile(f) as pqf:
            row = filepath.first_row
            for batch in pqf.iter_batches(batch_size=self.batch_size, row_groups=[filepath.index], columns=columns):
                documents = []
                with self.track_time("batch"):
                    for line in batch.to_pylist():
                        document = self.get_document_from_dict(line, filepath.path, row)
                        row += 1
                        if document:
                            documents.append(document)
                yield from documents

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        if data:
            yield from data
        mine = assign_row_groups(self.row_groups(), world_size)[rank]
        self._log_limit_scope(rank, world_size)
        for document in self.read_files_shard(mine):
            self.update_doc_stats(document)
            yield document
