"""What exact and near dedup share: per-task key files, per-task removal files, connected components,
the keep-rule applied to a duplicate group, and the filter that drops what a cluster stage decided.

Documents are addressed the way DataTrove's MinHash addresses them: by task rank and position in that
task's input. The filter stage must therefore read the same input, with the same number of tasks, as
the signature stage did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.pipeline.writers.disk_base import DiskWriter

from snowcoder_hf.dedup.keep_rule import is_permissive, popularity
from snowcoder_hf.dedup.union_find import connected_components  # noqa: F401  (re-exported for the blocks)

KEYS_DIR = "keys"
REMOVALS_DIR = "removals"


def write_keys(folder, rank: int, ids: list[str], permissive: list[int], popular: list[int]) -> None:
    """Everything the keep-rule needs about the documents of one task, in input order."""
    with folder.open(f"{KEYS_DIR}/{rank:05d}.json", "wt") as f:
        json.dump({"ids": ids, "permissive": permissive, "popularity": popular}, f)


def key_fields(doc) -> tuple[str, int, int]:
    return doc.id, int(is_permissive(doc.metadata.get("license"))), popularity(doc.metadata)


def read_keys(folder) -> list[dict]:
    """The key files of every task, indexed by rank; a missing rank is an incomplete signature stage."""
    files = sorted(folder.list_files(KEYS_DIR))
    keys = []
    for rank, name in enumerate(files):
        if not name.endswith(f"{rank:05d}.json"):
            raise FileNotFoundError(f"key file of task {rank} is missing in {folder.path}/{KEYS_DIR}: "
                                    "re-run the signature stage.")  # fmt: skip
        with folder.open(name, "rt") as f:
            keys.append(json.load(f))
    return keys


def decide_groups(groups: Iterable[list[tuple[int, int]]], keys: list[dict]) -> dict[int, list[list]]:
    """Apply the keep-rule to each group of `(rank, index)` members.

    Returns `{rank: [[index, duplicate_of, cluster_id, kept], ...]}`: every member of every group, the
    kept one with `kept=True`. The cluster id is the kept document's id.
    """
    decisions: dict[int, list[list]] = {rank: [] for rank in range(len(keys))}
    for members in groups:

        def sort_key(member):
            k = keys[member[0]]
            return (1 - k["permissive"][member[1]], -k["popularity"][member[1]], k["ids"][member[1]])

        ordered = sorted(members, key=sort_key)
        keeper_id = keys[ordered[0][0]]["ids"][ordered[0][1]]
        decisions[ordered[0][0]].append([ordered[0][1], None, keeper_id, True])
        for rank, index in ordered[1:]:
            decisions[rank].append([index, keeper_id, keeper_id, False])
    return decisions


def write_removals(folder, decisions: dict[int, list[list]]) -> None:
    for rank, rows in decisions.items():
        with folder.open(f"{REMOVALS_DIR}/{rank:05d}.json", "wt") as f:
            json.dump(sorted(rows), f)


def read_decisions(input_folder, rank: int) -> dict:
    """The cluster stage's removals for task `rank`: `{position: [position, kept id, ...]}`."""
    name = f"{REMOVALS_DIR}/{rank:05d}.json"
    if not input_folder.exists(name):
        raise FileNotFoundError(f"{input_folder.path}/{name} is missing: run the cluster stage first, "
                                "with the same number of tasks as the signature stage.")  # fmt: skip
    with input_folder.open(name, "rt") as f:
        return {row[0]: row for row in json.load(f)}


class DedupDecisionFilter(PipelineStep):
    """Drop the documents a cluster stage marked as duplicates, recording `duplicate_of` and `cluster_id`;
    the kept member of each group gets its `cluster_id` too."""

    type = "🫂 - DEDUP"
    reason = "duplicate"
    cluster_key = "cluster_id"

    def __init__(self, input_folder: DataFolderLike, exclusion_writer: DiskWriter | None = None):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.exclusion_writer = exclusion_writer

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        decisions = read_decisions(self.input_folder, rank)
        writer = self.exclusion_writer
        if writer is not None:
            writer.__enter__()
        try:
            for index, doc in enumerate(data):
                self.stat_update("total")
                row = decisions.get(index)
                if row is not None:
                    doc.metadata[self.cluster_key] = row[2]
                if row is None or row[3]:
                    self.stat_update("forwarded")
                    yield doc
                    continue
                doc.metadata["duplicate_of"] = row[1]
                doc.metadata["filter_reason"] = self.reason
                self.stat_update("dropped", f"dropped_{self.reason}")
                if writer is not None:
                    writer.write(doc, rank)
        finally:
            if writer is not None:
                writer.__exit__(None, None, None)


class RankShardReader(JsonlReader):
    """Gives task `rank` exactly the file `{rank:05d}.jsonl.gz` written by task `rank` of the previous stage
    (nothing when that task wrote nothing). DataTrove's readers deal files out by position, which shifts
    every task after one that wrote no file, and that would misalign the `(rank, index)` addresses."""

    name = "📂 Rank shards"

    def __init__(self, data_folder: DataFolderLike):
        super().__init__(data_folder, glob_pattern="*.jsonl.gz", add_file_path=False)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        name = f"{rank:05d}.jsonl.gz"
        if not self.data_folder.exists(name):
            return
        for document in self.read_file(name):
            self.stat_update("documents")
            yield document


def rank_shard_writer(folder: DataFolderLike) -> JsonlWriter:
    """The writer `RankShardReader` reads back: one jsonl.gz per task, named by rank."""
    return JsonlWriter(folder, output_filename="${rank}.jsonl.gz")
