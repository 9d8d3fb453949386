"""Near deduplication of code with MinHash LSH, in DataTrove's four stages so it scales across tasks:

1. `CodeMinhashSignature` (N tasks): signatures and per-band keys of each task's documents, plus the
   keep-rule keys. Documents pass through, so a writer after it saves the input stage 4 re-reads.
2. `CodeMinhashBuckets` (up to `bands` tasks, each a set of bands): documents sharing a band key become
   candidate pairs; with `verify`, pairs whose full-signature Jaccard estimate is clearly under the
   threshold (by more than `verify_slack` standard errors) are discarded: this keeps false removals down.
3. `CodeMinhashCluster` (1 task): connected components of the pairs (vectorized union-find), then the
   cluster rule (`snowcoder_hf.dedup.clusters`, default `split`) removes only members verified against the
   kept document they name, in keep-rule order.
4. `CodeMinhashFilter` (the same N tasks over the same input): drops the others with reason
   `near_duplicate`, recording `duplicate_of` and `cluster_id`.
"""

from __future__ import annotations

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from snowcoder_hf.dedup.clusters import assign_duplicates
from snowcoder_hf.dedup.minhash import CodeMinhashConfig, MinHasher, estimated_jaccard
from snowcoder_hf.pipeline.dedup_common import (
    DedupDecisionFilter,
    connected_components,
    key_fields,
    read_keys,
    write_keys,
    write_removals,
)

_BAND_DTYPE = np.dtype([("key", "<u8"), ("doc", "<u4")])
_RANK_SHIFT = np.uint64(32)


def _save(folder, name: str, array: np.ndarray) -> None:
    with folder.open(name, "wb") as f:
        np.save(f, array)


def _load(folder, name: str) -> np.ndarray:
    with folder.open(name, "rb") as f:
        return np.load(f)


def _load_signatures(folder, name: str) -> np.ndarray:
    """A task's signature matrix; memory-mapped on local disk, so a buckets task touches only the rows of
    its candidate pairs instead of holding every task's signatures."""
    if folder.is_local():
        return np.load(folder.resolve_paths(name), mmap_mode="r")
    return _load(folder, name)


class CodeMinhashSignature(PipelineStep):
    """Stage 1: MinHash signatures of code-token 5-grams (see `snowcoder_hf.dedup.minhash`)."""

    type = "🫂 - DEDUP"
    name = "🎯 Code MinHash: signatures"

    def __init__(self, output_folder: DataFolderLike, config: CodeMinhashConfig | None = None):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.config = config or CodeMinhashConfig()

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        hasher = MinHasher(self.config)
        signatures, band_keys, band_docs, ids, permissive, popular = [], [], [], [], [], []
        for index, doc in enumerate(data):
            with self.track_time():
                signature = hasher.signature(doc.text)
                if signature is None:
                    self.stat_update("no_code_tokens")
                    signature = np.full(self.config.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
                else:
                    band_keys.append(hasher.band_keys(signature))
                    band_docs.append(index)
                signatures.append(signature)
                doc_id, perm, pop = key_fields(doc)
                ids.append(doc_id)
                permissive.append(perm)
                popular.append(pop)
            self.stat_update("documents")
            yield doc
        with self.track_time():
            sig_matrix = np.stack(signatures) if signatures else np.zeros((0, self.config.num_perm), np.uint32)
            _save(self.output_folder, f"signatures/{rank:05d}.npy", sig_matrix)
            keys = np.stack(band_keys) if band_keys else np.zeros((0, self.config.bands), np.uint64)
            for band in range(self.config.bands):
                records = np.empty(len(band_docs), dtype=_BAND_DTYPE)
                records["key"], records["doc"] = keys[:, band], band_docs
                _save(self.output_folder, f"bands/{band:03d}/{rank:05d}.npy", records)
            write_keys(self.output_folder, rank, ids, permissive, popular)


def _candidate_pairs(keys: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of `nodes` that share a key: each member linked to its group's first and previous member."""
    order = np.argsort(keys, kind="stable")
    keys, nodes = keys[order], nodes[order]
    same_as_previous = np.r_[False, keys[1:] == keys[:-1]]
    if not same_as_previous.any():
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    group_start = np.maximum.accumulate(np.where(~same_as_previous, np.arange(len(keys)), 0))
    members = np.flatnonzero(same_as_previous)
    first = np.stack([nodes[group_start[members]], nodes[members]], axis=1)
    previous = np.stack([nodes[members - 1], nodes[members]], axis=1)
    pairs = np.unique(np.concatenate([first, previous]), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs[:, 0], pairs[:, 1]


class _MinhashFolderStage(PipelineStep):
    """A MinHash stage that reads the previous stage's files from `input_folder` and writes its own to
    `output_folder` (the same folder unless given)."""

    def __init__(self, input_folder: DataFolderLike, output_folder: DataFolderLike | None = None,
                 config: CodeMinhashConfig | None = None):  # fmt: skip
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.output_folder = get_datafolder(output_folder) if output_folder else self.input_folder
        self.config = config or CodeMinhashConfig()


class CodeMinhashBuckets(_MinhashFolderStage):
    """Stage 2: candidate pairs per LSH band; task `rank` handles bands `rank, rank + tasks, ...`."""

    type = "🫂 - DEDUP"
    name = "🎯 Code MinHash: buckets"

    def _verify(self, left: np.ndarray, right: np.ndarray, signatures: dict) -> np.ndarray:
        def rows(nodes):
            out = np.empty((len(nodes), self.config.num_perm), dtype=np.uint32)
            ranks, docs = (nodes >> _RANK_SHIFT).astype(np.int64), (nodes & np.uint64(0xFFFFFFFF)).astype(np.int64)
            for rank in np.unique(ranks):
                if rank not in signatures:
                    signatures[rank] = _load_signatures(self.input_folder, f"signatures/{rank:05d}.npy")
                mask = ranks == rank
                out[mask] = signatures[rank][docs[mask]]
            return out

        return estimated_jaccard(rows(left), rows(right)) >= self.config.verify_threshold

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        signatures: dict[int, np.ndarray] = {}
        for band in range(rank, self.config.bands, world_size):
            with self.track_time():
                files = sorted(self.input_folder.list_files(f"bands/{band:03d}"))
                keys, nodes = [], []
                for name in files:
                    source_rank = int(name.rsplit("/", 1)[-1].split(".")[0])
                    records = _load(self.input_folder, name)
                    keys.append(records["key"])
                    nodes.append((np.uint64(source_rank) << _RANK_SHIFT) | records["doc"].astype(np.uint64))
                if not keys:
                    raise FileNotFoundError(f"no signatures for band {band} in {self.input_folder.path}: "
                                            "run the signature stage first.")  # fmt: skip
                left, right = _candidate_pairs(np.concatenate(keys), np.concatenate(nodes))
                self.stat_update("candidate_pairs", value=len(left))
                if self.config.verify and len(left):
                    keep = self._verify(left, right, signatures)
                    self.stat_update("rejected_pairs", value=int((~keep).sum()))
                    left, right = left[keep], right[keep]
                _save(self.output_folder, f"pairs/{band:03d}.npy", np.stack([left, right], axis=1))


class CodeMinhashCluster(_MinhashFolderStage):
    """Stage 3 (one task): clusters of near-duplicates and the keep-rule's choice in each."""

    type = "🫂 - DEDUP"
    name = "🎯 Code MinHash: clusters"

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"`tasks` of the MinHash cluster stage must be 1, got {world_size}.")
        if data:
            yield from data
        with self.track_time():
            keys = read_keys(self.input_folder)
            missing = [b for b in range(self.config.bands) if not self.input_folder.exists(f"pairs/{b:03d}.npy")]
            if missing:
                raise FileNotFoundError(f"pairs of bands {missing[:5]} are missing in {self.input_folder.path}: "
                                        "run the buckets stage first.")  # fmt: skip
            pairs = [_load(self.input_folder, f"pairs/{b:03d}.npy") for b in range(self.config.bands)]
            pairs = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.uint64)
            nodes, inverse = np.unique(pairs.reshape(-1), return_inverse=True)
            inverse = inverse.reshape(-1, 2)
            labels = connected_components(inverse[:, 0], inverse[:, 1], len(nodes))
            ranks = (nodes >> _RANK_SHIFT).astype(np.int64)
            docs = (nodes & np.uint64(0xFFFFFFFF)).astype(np.int64)
            signatures: dict[int, np.ndarray] = {}
            rows = np.empty((len(nodes), self.config.num_perm), dtype=np.uint32)
            for r in np.unique(ranks):
                signatures[r] = _load_signatures(self.input_folder, f"signatures/{r:05d}.npy")
                rows[ranks == r] = signatures[r][docs[ranks == r]]
            order = sorted(range(len(nodes)), key=lambda i: keep_key_of(keys[ranks[i]], docs[i]))
            keep_rank = np.empty(len(nodes), dtype=np.int64)
            keep_rank[np.asarray(order, dtype=np.int64)] = np.arange(len(nodes))
            duplicate_of = assign_duplicates(labels, keep_rank, rows, self.config.threshold, self.config.cluster_rule)
            decisions: dict[int, list[list]] = {rank: [] for rank in range(len(keys))}
            named = np.zeros(len(nodes), dtype=bool)
            named[duplicate_of[duplicate_of >= 0]] = True
            for i in np.flatnonzero((duplicate_of >= 0) | named).tolist():
                rank, doc = int(ranks[i]), int(docs[i])
                if duplicate_of[i] < 0:
                    decisions[rank].append([doc, None, keys[rank]["ids"][doc], True])
                else:
                    j = int(duplicate_of[i])
                    keeper = keys[int(ranks[j])]["ids"][int(docs[j])]
                    decisions[rank].append([doc, keeper, keeper, False])
            write_removals(self.output_folder, decisions)
            groups = np.flatnonzero(named)
        self.stat_update("clusters", value=len(groups))
        self.stat_update("clustered_documents", value=len(nodes))


def keep_key_of(keys: dict, index: int) -> tuple:
    """The keep-rule sort key of document `index` of one task's key file."""
    return (1 - keys["permissive"][index], -keys["popularity"][index], keys["ids"][index])


class CodeMinhashFilter(DedupDecisionFilter):
    """Stage 4: drop every clustered document but the kept one (reason `near_duplicate`)."""

    name = "🎯 Code MinHash: filter"
    reason = "near_duplicate"
    cluster_key = "cluster_id"
