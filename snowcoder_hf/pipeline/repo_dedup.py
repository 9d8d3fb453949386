"""Repository-level exact and near dedup (`dedup.level: repo`, the ablation beside file level): three stages.

OpenCoder found file-level dedup better for code; Seed-Coder builds both. At repository level a
repository is compared as a whole (`snowcoder_hf.dedup.repo_sketch`: its files' normalized contents for
exact dedup, the union of its files' shingles for near dedup), and a duplicate repository loses all its
files, whatever they share with other repositories file by file.

1. `RepoDedupSignature` (N tasks): per file its content hash and repository; per repository seen in the
   task, the element-wise minimum of its files' raw MinHash rows and its keep-rule keys (permissive only
   when every file is, the most stars/forks of any file, then the name). Memory: one row per repository of
   the task, never a text. A repository split over several tasks is merged by the next stage.
2. `RepoDedupCluster` (1 task): merges each repository's parts, groups exact copies, finds verified LSH
   clusters among the exact groups' kept repositories on the densified signatures, applies the cluster
   rule (`split`: a repository is removed only when it is verified against the kept one it names), and
   writes, per task, which files go. Repository-sized matrices live in memory-mapped files when large.
3. `RepoDedupFilter` (the same N tasks over the same input): forwards the files of kept repositories and
   writes the others, with reason `exact_duplicate_repo` or `near_duplicate_repo` and `duplicate_of`
   naming the kept repository.
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
from snowcoder_hf.dedup.repo_sketch import EMPTY, empty_raw, merge_raw, repo_content_hash, repository_of
from snowcoder_hf.dedup.union_find import StreamingComponents
from snowcoder_hf.pipeline.dedup_common import REMOVALS_DIR, key_fields
from snowcoder_hf.pipeline.near_dedup import _candidate_pairs
from snowcoder_hf.pipeline.one_pass_dedup import OnePassDedupFilter

EXACT_REPO, NEAR_REPO = "exact_duplicate_repo", "near_duplicate_repo"
_REPOS, _FILES = "repo_keys", "file_repo"
_CHUNK = 65_536  # repositories per band-key block


def _save(folder, name: str, array: np.ndarray) -> None:
    with folder.open(name, "wb") as f:
        np.save(f, array)


def _load(folder, name: str) -> np.ndarray:
    with folder.open(name, "rb") as f:
        return np.load(f)


class RepoDedupSignature(PipelineStep):
    """Stage 1: file content hashes, and per repository the merged raw MinHash row. Documents pass through."""

    type = "🫂 - DEDUP"
    name = "🫂 Repo dedup: hashes + sketches"
    _requires_dependencies = ["xxhash"]

    def __init__(self, output_folder: DataFolderLike, config: CodeMinhashConfig | None = None, near: bool = True):
        super().__init__()
        self.output_folder = get_datafolder(output_folder)
        self.config = config or CodeMinhashConfig()
        self.near = near

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        hasher = MinHasher(self.config) if self.near else None
        index_of: dict[str, int] = {}
        names, permissive, popular, raws = [], [], [], []
        file_repo, file_hashes = [], []
        for doc in data:
            with self.track_time():
                repo, named = repository_of(doc.metadata, doc.id)
                if not named:
                    self.stat_update("no_repository")
                _, perm, pop = key_fields(doc)
                index = index_of.get(repo)
                if index is None:
                    index = index_of[repo] = len(names)
                    names.append(repo)
                    permissive.append(perm)
                    popular.append(pop)
                    if hasher is not None:
                        raws.append(empty_raw(self.config.num_perm))
                else:
                    permissive[index] = min(permissive[index], perm)
                    popular[index] = max(popular[index], pop)
                file_repo.append(index)
                file_hashes.append(content_hash(doc.text))
                if hasher is not None:
                    raw = hasher.raw(doc.text)
                    if raw is None:
                        self.stat_update("no_code_tokens")
                    else:
                        merge_raw(raws[index], raw)
            self.stat_update("documents")
            yield doc
        with self.track_time():
            with self.output_folder.open(f"{_REPOS}/{rank:05d}.json", "wt") as f:
                json.dump({"names": names, "permissive": permissive, "popularity": popular}, f)
            _save(self.output_folder, f"{_FILES}/{rank:05d}.npy", np.asarray(file_repo, dtype=np.int64))
            _save(self.output_folder, f"file_hashes/{rank:05d}.npy", np.asarray(file_hashes, dtype=np.uint64))
            if hasher is not None:
                rows = np.stack(raws) if raws else np.zeros((0, self.config.num_perm), np.uint64)
                _save(self.output_folder, f"raw/{rank:05d}.npy", rows)
            self.stat_update("repositories", value=len(names))


def _first_of_groups(hashes: np.ndarray, keep_rank: np.ndarray) -> np.ndarray:
    """For every item, the item of its equal-hash group that the keep-rule ranks first."""
    order = np.lexsort((keep_rank, hashes))
    if not len(order):
        return np.zeros(0, dtype=np.int64)
    sorted_hashes = hashes[order]
    starts = np.flatnonzero(np.r_[True, sorted_hashes[1:] != sorted_hashes[:-1]])
    first = np.repeat(order[starts], np.diff(np.r_[starts, len(order)]))
    out = np.empty(len(order), dtype=np.int64)
    out[order] = first
    return out


class RepoDedupCluster(PipelineStep):
    """Stage 2 (one task): exact and verified near-duplicate repositories, and the files each task drops."""

    type = "🫂 - DEDUP"
    name = "🫂 Repo dedup: clusters"
    memmap_bytes = 256 << 20  # a repository matrix larger than this lives in a memory-mapped file

    def __init__(self, input_folder: DataFolderLike, config: CodeMinhashConfig | None = None, near: bool = True):
        super().__init__()
        self.input_folder = get_datafolder(input_folder)
        self.config = config or CodeMinhashConfig()
        self.near = near

    def _parts(self) -> list[dict]:
        files = sorted(self.input_folder.list_files(_REPOS))
        parts = []
        for rank, name in enumerate(files):
            if not name.endswith(f"{rank:05d}.json"):
                raise FileNotFoundError(f"repository keys of task {rank} are missing in {self.input_folder.path}/"
                                        f"{_REPOS}: re-run the signature stage.")  # fmt: skip
            with self.input_folder.open(name, "rt") as f:
                parts.append(json.load(f))
        return parts

    def _matrix(self, name: str, shape: tuple[int, int], dtype, fill) -> np.ndarray:
        if self.input_folder.is_local() and shape[0] * shape[1] * np.dtype(dtype).itemsize > self.memmap_bytes:
            path = self.input_folder.resolve_paths(name)
            matrix = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
            for start in range(0, shape[0], _CHUNK):
                matrix[start : start + _CHUNK] = fill
            return matrix
        return np.full(shape, fill, dtype=dtype)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if world_size != 1:
            raise ValueError(f"`tasks` of the repository dedup cluster stage must be 1, got {world_size}.")
        if data:
            yield from data
        with self.track_time():
            parts = self._parts()
            local_names = [name for part in parts for name in part["names"]]
            names, inverse = np.unique(np.asarray(local_names, dtype=object), return_inverse=True)
            sizes = np.r_[0, np.cumsum([len(p["names"]) for p in parts])].astype(np.int64)
            global_ids = [inverse[sizes[r] : sizes[r + 1]].astype(np.int64) for r in range(len(parts))]
            repos = len(names)
            keep_rank = self._keep_rank(parts, global_ids, repos)
            file_ids = [ids[_load(self.input_folder, f"{_FILES}/{r:05d}.npy")] for r, ids in enumerate(global_ids)]
            exact_of = _first_of_groups(self._repo_hashes(file_ids, repos), keep_rank)
            self.stat_update("repositories", value=repos)
            self.stat_update("exact_duplicate_repos", value=int((exact_of != np.arange(repos)).sum()))
            final = exact_of.copy()
            if self.near:
                near_of = self._near_clusters(global_ids, exact_of, keep_rank, repos)
                moved = near_of[exact_of] >= 0  # an exact group's kept repository is itself a near duplicate
                final[moved] = near_of[exact_of[moved]]
            self._write(file_ids, names, final, exact_of)

    def _keep_rank(self, parts, global_ids, repos: int) -> np.ndarray:
        """Keep-rule rank of every repository: permissive (every file), most stars/forks, then its name."""
        permissive = np.ones(repos, dtype=np.int64)
        popularity = np.zeros(repos, dtype=np.int64)
        for part, ids in zip(parts, global_ids, strict=True):
            np.minimum.at(permissive, ids, np.asarray(part["permissive"], dtype=np.int64))
            np.maximum.at(popularity, ids, np.asarray(part["popularity"], dtype=np.int64))
        order = np.lexsort((np.arange(repos), -popularity, 1 - permissive))  # names are sorted: index = name order
        rank = np.empty(repos, dtype=np.int64)
        rank[order] = np.arange(repos)
        return rank

    def _repo_hashes(self, file_ids: list[np.ndarray], repos: int) -> np.ndarray:
        """Exact hash of every repository from its files' content hashes (their order does not count)."""
        hashes = [_load(self.input_folder, f"file_hashes/{r:05d}.npy") for r in range(len(file_ids))]
        owner = np.concatenate(file_ids) if file_ids else np.zeros(0, np.int64)
        hashes = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
        order = np.lexsort((hashes, owner))
        bounds = np.searchsorted(owner[order], np.arange(repos + 1))
        sorted_hashes = hashes[order]
        return np.array([repo_content_hash(sorted_hashes[bounds[i] : bounds[i + 1]]) for i in range(repos)],
                        dtype=np.uint64)  # fmt: skip

    def _signatures(self, global_ids, repos: int, hasher: MinHasher) -> tuple[np.ndarray, np.ndarray]:
        """(densified signature of every repository, whether it has a shingle), merged across tasks."""
        width = self.config.num_perm
        raw = self._matrix("repo_raw.npy", (repos, width), np.uint64, EMPTY)
        for r, ids in enumerate(global_ids):
            rows = _load(self.input_folder, f"raw/{r:05d}.npy")
            raw[ids] = np.minimum(raw[ids], rows)  # ids are distinct within a task
        signatures = self._matrix("repo_signatures.npy", (repos, width), np.uint32, np.iinfo(np.uint32).max)
        has_tokens = np.zeros(repos, dtype=bool)
        for i in range(repos):
            signature = hasher.densify(raw[i])
            if signature is not None:
                signatures[i] = signature
                has_tokens[i] = True
        return signatures, has_tokens

    def _near_clusters(self, global_ids, exact_of, keep_rank, repos: int) -> np.ndarray:
        """The kept repository each exact-unique repository is a near copy of (-1: none)."""
        hasher = MinHasher(self.config)
        signatures, has_tokens = self._signatures(global_ids, repos, hasher)
        nodes = np.flatnonzero((exact_of == np.arange(repos)) & has_tokens).astype(np.int64)
        band_keys = np.empty((len(nodes), self.config.bands), dtype=np.uint64)
        for start in range(0, len(nodes), _CHUNK):
            band_keys[start : start + _CHUNK] = hasher.band_key_matrix(signatures[nodes[start : start + _CHUNK]])
        components = StreamingComponents(repos)
        for band in range(self.config.bands):
            left, right = _candidate_pairs(band_keys[:, band], nodes)
            left, right = left.astype(np.int64), right.astype(np.int64)
            self.stat_update("candidate_pairs", value=len(left))
            if self.config.verify and len(left):
                keep = (signatures[left] == signatures[right]).mean(axis=1) >= self.config.verify_threshold
                self.stat_update("rejected_pairs", value=int((~keep).sum()))
                left, right = left[keep], right[keep]
            components.add(left, right)
        labels = components.labels()
        sizes = np.bincount(labels, minlength=repos)
        clustered = np.flatnonzero(sizes[labels] > 1)
        near_of = np.full(repos, -1, dtype=np.int64)
        if len(clustered):
            local = assign_duplicates(labels[clustered], keep_rank[clustered], signatures[clustered],
                                      self.config.threshold, self.config.cluster_rule)  # fmt: skip
            removed = local >= 0
            near_of[clustered[removed]] = clustered[local[removed]]
            self.stat_update("clusters", value=int((sizes > 1).sum()))
        self.stat_update("near_duplicate_repos", value=int((near_of >= 0).sum()))
        return near_of

    def _write(self, file_ids, names, final, exact_of) -> None:
        """Per task, `[index, duplicate_of, None, None, reason]` for every file of a removed repository."""
        removed_files = 0
        for rank, ids in enumerate(file_ids):
            targets = final[ids]
            gone = np.flatnonzero(targets != ids)
            reasons = np.where(targets[gone] == exact_of[ids[gone]], EXACT_REPO, NEAR_REPO)
            rows = [[int(i), str(names[t]), None, None, str(reason)]
                    for i, t, reason in zip(gone.tolist(), targets[gone].tolist(), reasons.tolist(), strict=True)]  # fmt: skip
            removed_files += len(rows)
            with self.input_folder.open(f"{REMOVALS_DIR}/{rank:05d}.json", "wt") as f:
                json.dump(rows, f)
        self.stat_update("files_removed", value=removed_files)


class RepoDedupFilter(OnePassDedupFilter):
    """Stage 3: forward the files of kept repositories; write the others to the exact or near writer."""

    name = "🫂 Repo dedup: filter"

    def __init__(self, input_folder: DataFolderLike, exact_writer: DiskWriter | None = None,
                 near_writer: DiskWriter | None = None):  # fmt: skip
        super().__init__(input_folder, exact_writer=exact_writer, near_writer=near_writer)
        self.writers = {EXACT_REPO: exact_writer, NEAR_REPO: near_writer}
