"""Exact and near dedup in one read and one write, for a single machine: three DataTrove stages.

1. `OnePassDedupSignature` (N tasks): per document, the xxh3 of its normalized text (exact dedup) and its
   code MinHash signature (near dedup) in the same pass; an exact copy seen earlier in the task reuses the
   signature (same tokens). Writes hashes, signatures, band keys and keep-rule keys per task.
2. `OnePassDedupCluster` (1 task): exact groups, then LSH candidates among the exact groups' kept copies,
   verified on the full signature, streamed band by band into a union-find over the documents (memory: the
   documents, not the pairs), then `snowcoder_hf.dedup.clusters` decides which members go and which kept
   document each one names.
3. `OnePassDedupFilter` (the same N tasks over the same input): one pass that forwards the kept documents
   and writes the removed ones (reason `exact_duplicate` or `near_duplicate`, `duplicate_of` always a
   kept document).

The four-stage `near_dedup` / three-stage `exact_dedup` layouts stay for clusters, where the signature
and bucket work is spread over many machines.
"""

from __future__ import annotations

import json

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from snowcoder_hf.dedup.clusters import assign_duplicates
from snowcoder_hf.dedup.content_hash import content_hash
from snowcoder_hf.dedup.minhash import CodeMinhashConfig, MinHasher
from snowcoder_hf.dedup.union_find import StreamingComponents
from snowcoder_hf.pipeline.dedup_common import REMOVALS_DIR, key_fields, read_decisions, read_keys, write_keys
from snowcoder_hf.pipeline.near_dedup import _candidate_pairs

EXACT, NEAR = "exact_duplicate", "near_duplicate"


def _save(folder, name: str, array: np.ndarray) -> None:
    with folder.open(name, "wb") as f:
        np.save(f, array)


def _load(folder, name: str, mmap: bool = False) -> np.ndarray:
    if mmap and folder.is_local():  # only the rows a step needs are read from disk
        return np.load(folder.resolve_paths(name), mmap_mode="r")
    with folder.open(name, "rb") as f:
        return np.load(f)


class OnePassDedupSignature(PipelineStep):
    """Stage 1: exact hash and MinHash signature of each document, in one read. Documents pass through."""

    type = "🫂 - DEDUP"
    name = "🫂 One-pass dedup: hashes + signatures"
    _requires_dependencies = ["xxhash"]

    def __init__(self, output_folder: DataFolderLike, config: CodeMinhashConfig | None = None, near: bool = True):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.config = config or CodeMinhashConfig()
        self.near = near

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        hasher = MinHasher(self.config) if self.near else None
        width = self.config.num_perm
        hashes, ids, permissive, popular, rows, has_tokens = [], [], [], [], [], []
        first_row: dict[int, int] = {}  # exact hash -> the row holding its signature
        empty = np.full(width, np.iinfo(np.uint32).max, dtype=np.uint32)
        for doc in data:
            with self.track_time():
                digest = content_hash(doc.text)
                hashes.append(digest)
                doc_id, perm, pop = key_fields(doc)
                ids.append(doc_id)
                permissive.append(perm)
                popular.append(pop)
                if hasher is not None:
                    seen = first_row.get(digest)
                    if seen is not None:  # an exact copy has the same code tokens, so the same signature
                        signature, tokens = rows[seen], has_tokens[seen]
                        self.stat_update("signature_reused")
                    else:
                        first_row[digest] = len(rows)
                        signature = hasher.signature(doc.text)
                        tokens = signature is not None
                        if not tokens:
                            self.stat_update("no_code_tokens")
                            signature = empty
                    rows.append(signature)
                    has_tokens.append(tokens)
            self.stat_update("documents")
            yield doc
        with self.track_time():
            _save(self.output_folder, f"hashes/{rank:05d}.npy", np.asarray(hashes, dtype=np.uint64))
            write_keys(self.output_folder, rank, ids, permissive, popular)
            if hasher is not None:
                signatures = np.stack(rows) if rows else np.zeros((0, width), np.uint32)
                _save(self.output_folder, f"signatures/{rank:05d}.npy", signatures)
                _save(self.output_folder, f"band_keys/{rank:05d}.npy", hasher.band_key_matrix(signatures))
                _save(self.output_folder, f"has_tokens/{rank:05d}.npy", np.asarray(has_tokens, dtype=bool))


class _SignatureRows:
    """Rows of the per-task signature files by global document number, memory-mapped where possible."""

    def __init__(self, folder, offsets: np.ndarray):
        self.offsets = offsets
        self.parts = [_load(folder, f"signatures/{r:05d}.npy", mmap=True) for r in range(len(offsets) - 1)]

    def __call__(self, nodes: np.ndarray) -> np.ndarray:
        width = self.parts[0].shape[1] if self.parts else 0
        out = np.empty((len(nodes), width), dtype=np.uint32)
        ranks = np.searchsorted(self.offsets, nodes, side="right") - 1
        for rank in np.unique(ranks):
            mask = ranks == rank
            out[mask] = self.parts[rank][nodes[mask] - self.offsets[rank]]
        return out


def keep_order(keys: list[dict]) -> np.ndarray:
    """Rank of every document (all tasks, in order) under the keep-rule: 0 is the copy kept first."""
    ids = np.array([i for k in keys for i in k["ids"]], dtype=object)
    permissive = np.concatenate([np.asarray(k["permissive"], np.int64) for k in keys]) if keys else np.zeros(0)
    popular = np.concatenate([np.asarray(k["popularity"], np.int64) for k in keys]) if keys else np.zeros(0)
    order = sorted(range(len(ids)), key=lambda i: (1 - permissive[i], -popular[i], ids[i]))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(ids))
    return rank


class OnePassDedupCluster(PipelineStep):
    """Stage 2 (one task): exact groups, verified near-duplicate clusters, and the removal of each member."""

    type = "🫂 - DEDUP"
    name = "🫂 One-pass dedup: clusters"

    def __init__(self, input_folder: DataFolderLike, config: CodeMinhashConfig | None = None, near: bool = True):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.config = config or CodeMinhashConfig()
        self.near = near

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"`tasks` of the one-pass dedup cluster stage must be 1, got {world_size}.")
        if data:
            yield from data
        with self.track_time():
            keys = read_keys(self.input_folder)
            sizes = [len(k["ids"]) for k in keys]
            offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
            ids = [i for k in keys for i in k["ids"]]
            keep_rank = keep_order(keys)
            exact_of = self._exact_groups(len(keys), keep_rank)
            near_of = self._near_clusters(keys, offsets, exact_of, keep_rank) if self.near else None
            self._write(keys, offsets, ids, exact_of, near_of)

    def _exact_groups(self, tasks: int, keep_rank: np.ndarray) -> np.ndarray:
        """The document each document is an exact copy of: its group's first under the keep-rule."""
        hashes = [_load(self.input_folder, f"hashes/{r:05d}.npy") for r in range(tasks)]
        hashes = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
        order = np.lexsort((keep_rank, hashes))
        sorted_hashes = hashes[order]
        group_start = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]]) if len(order) else []
        first = np.repeat(order[group_start], np.diff(np.r_[group_start, len(order)]).astype(np.int64))
        exact_of = np.empty(len(order), dtype=np.int64)
        exact_of[order] = first
        self.stat_update("documents", value=len(order))
        self.stat_update("exact_duplicates", value=int((exact_of != np.arange(len(order))).sum()))
        return exact_of

    def _near_clusters(self, keys, offsets, exact_of, keep_rank) -> np.ndarray:
        """The kept document each exact-unique document is a near copy of (-1: none)."""
        n = int(offsets[-1])
        tasks = len(keys)
        has_tokens = [_load(self.input_folder, f"has_tokens/{r:05d}.npy") for r in range(tasks)]
        candidates = (exact_of == np.arange(n)) & (np.concatenate(has_tokens) if has_tokens else np.zeros(0, bool))
        nodes = np.flatnonzero(candidates).astype(np.uint64)
        rows = _SignatureRows(self.input_folder, offsets)
        band_keys = [_load(self.input_folder, f"band_keys/{r:05d}.npy", mmap=True) for r in range(tasks)]
        components = StreamingComponents(n)
        for band in range(self.config.bands):
            keys_of_band = np.concatenate([k[:, band] for k in band_keys]) if band_keys else np.zeros(0, np.uint64)
            left, right = _candidate_pairs(keys_of_band[nodes.astype(np.int64)], nodes)
            left, right = left.astype(np.int64), right.astype(np.int64)
            self.stat_update("candidate_pairs", value=len(left))
            if self.config.verify and len(left):
                keep = (rows(left) == rows(right)).mean(axis=1) >= self.config.verify_threshold
                self.stat_update("rejected_pairs", value=int((~keep).sum()))
                left, right = left[keep], right[keep]
            components.add(left, right)
        labels = components.labels()
        sizes = np.bincount(labels, minlength=n)
        clustered = np.flatnonzero(sizes[labels] > 1)
        near_of = np.full(n, -1, dtype=np.int64)
        if len(clustered):
            local = assign_duplicates(labels[clustered], keep_rank[clustered], rows(clustered),
                                      self.config.threshold, self.config.cluster_rule)  # fmt: skip
            removed = local >= 0
            near_of[clustered[removed]] = clustered[local[removed]]
            kept_in_cluster = int((~removed).sum())
            self.stat_update("clusters", value=int((sizes > 1).sum()))
            self.stat_update("kept_in_clusters", value=kept_in_cluster)
            self.stat_update("split_off", value=kept_in_cluster - int((sizes > 1).sum()))
        self.stat_update("near_duplicates", value=int((near_of >= 0).sum()))
        return near_of

    def _write(self, keys, offsets, ids, exact_of, near_of) -> None:
        """Per task, `[index, duplicate_of, cluster_id, exact_group, reason]` for every document that is
        removed or belongs to a group; `duplicate_of` and `cluster_id` name a kept document."""
        n = len(exact_of)
        nodes = np.arange(n)
        exact_sizes = np.bincount(exact_of, minlength=n)
        final = exact_of.copy()
        near_named = np.zeros(n, dtype=bool)  # kept documents that near duplicates name
        if near_of is not None:
            moved = near_of[exact_of] >= 0  # the exact group's kept copy is itself a near duplicate: follow it
            final[moved] = near_of[exact_of[moved]]
            near_named[final[moved]] = True
        in_group = exact_sizes[exact_of] > 1
        rows: dict[int, list] = {r: [] for r in range(len(keys))}
        recorded = np.flatnonzero((final != nodes) | in_group | near_named[final])
        ranks = np.searchsorted(offsets, recorded, side="right") - 1
        for node, rank in zip(recorded.tolist(), ranks.tolist(), strict=True):
            target = int(final[node])
            cluster = ids[target] if near_named[target] else None
            exact_group = ids[exact_of[node]] if in_group[node] else None
            reason = None if target == node else EXACT if target == exact_of[node] else NEAR
            rows[rank].append([node - int(offsets[rank]), None if reason is None else ids[target], cluster,
                               exact_group, reason])  # fmt: skip
        for rank, entries in rows.items():
            with self.input_folder.open(f"{REMOVALS_DIR}/{rank:05d}.json", "wt") as f:
                json.dump(entries, f)


class OnePassDedupFilter(PipelineStep):
    """Stage 3: forward the kept documents, write the removed ones to the exact or near exclusion writer."""

    type = "🫂 - DEDUP"
    name = "🫂 One-pass dedup: filter"

    def __init__(self, input_folder: DataFolderLike, exact_writer: DiskWriter | None = None,
                 near_writer: DiskWriter | None = None):  # fmt: skip
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.writers = {EXACT: exact_writer, NEAR: near_writer}

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        decisions = read_decisions(self.input_folder, rank)
        open_writers = [w for w in dict.fromkeys(self.writers.values()) if w is not None]
        for writer in open_writers:
            writer.__enter__()
        try:
            for index, doc in enumerate(data):
                self.stat_update("total")
                row = decisions.get(index)
                if row is None:
                    self.stat_update("forwarded")
                    yield doc
                    continue
                _, duplicate_of, cluster, exact_group, reason = row
                if cluster is not None:
                    doc.metadata["cluster_id"] = cluster
                if exact_group is not None:
                    doc.metadata["exact_group"] = exact_group
                if reason is None:
                    self.stat_update("forwarded")
                    yield doc
                    continue
                doc.metadata["duplicate_of"] = duplicate_of
                doc.metadata["filter_reason"] = reason
                self.stat_update("dropped", f"dropped_{reason}")
                writer = self.writers[reason]
                if writer is not None:
                    writer.write(doc, rank)
        finally:
            for writer in open_writers:
                writer.__exit__(None, None, None)
