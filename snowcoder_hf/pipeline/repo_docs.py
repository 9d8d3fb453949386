"""Repo-level training documents, as in StarCoder2 and Arctic-SnowCoder's Table 3.

Files are partitioned by language, then grouped by repository (`group_by="language_repo"`, the paper's
choice), or grouped by repository only (`group_by="repo"`, the ablation). Each group is concatenated in a
random order seeded by the group itself (or, with `file_order="dependency"`, each file after the files it
imports, as DeepSeek-Coder and Seed-Coder order them), so the result does not depend on task count or input
order:

    <repo_name>owner/name<file_sep>path/a.py
    ...code...<file_sep>path/b.py
    ...code...

A `max_chars` cap splits a long group into several documents (each starting with the repo marker
again, a file too long for one split at line ends); nothing is truncated. Texts are spilled to local
temporary disk as they arrive and read back one file at a time, so neither a shard nor a repository is
held in memory: a 1 GB repository costs one index entry per file plus one document of `max_chars`.

To group across DataTrove tasks, `RepoShardAssigner` + a writer to `${repo_shard}/${rank}.jsonl.gz`
route every repository to one shard, and `RepoDocuments(shard_folder=...)` builds shard `rank`.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

GROUP_BY = ("language_repo", "repo")
FILE_ORDERS = ("random", "dependency")  # the paper's seeded random order; DeepSeek-Coder's imports-first order


def _group_key(doc: Document, group_by: str) -> tuple[str, str]:
    repo = str(doc.metadata.get("repo") or "unknown")
    language = str(doc.metadata.get("language") or "unknown")
    return (language, repo) if group_by == "language_repo" else ("", repo)


class RepoShardAssigner(PipelineStep):
    """Set `metadata.repo_shard` so that all files of one group land in the same shard."""

    name = "🔀 Repo shard"
    type = "🔢 - TOKENIZER"

    def __init__(self, num_shards: int, group_by: str = "language_repo"):
        super().__init__()
        if num_shards < 1:
            raise ValueError(f"`num_shards` must be at least 1, got {num_shards}.")
        if group_by not in GROUP_BY:
            raise ValueError(f"`group_by` must be one of {', '.join(GROUP_BY)}, got {group_by!r}.")
        self.num_shards, self.group_by = num_shards, group_by

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            digest = hashlib.sha1("\0".join(_group_key(doc, self.group_by)).encode("utf-8", "surrogatepass")).digest()
            doc.metadata["repo_shard"] = f"{int.from_bytes(digest[:8], 'big') % self.num_shards:05d}"
            yield doc


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut after a newline where one exists; joined they give `text`."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit) + 1 or limit
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text] if text else pieces


class RepoDocuments(PipelineStep):
    """Concatenate the files of each (language, repository) group into repo-level documents."""

    name = "📚 Repo-level documents"
    type = "🔢 - TOKENIZER"

    def __init__(
        self,
        group_by: str = "language_repo",
        repo_marker: str = "<repo_name>",
        file_marker: str = "<file_sep>",
        max_chars: int | None = None,
        seed: int = 0,
        shard_folder: DataFolderLike | None = None,
        file_order: str = "random",
    ):
        super().__init__()
        if group_by not in GROUP_BY:
            raise ValueError(f"`group_by` must be one of {', '.join(GROUP_BY)}, got {group_by!r}.")
        if file_order not in FILE_ORDERS:
            raise ValueError(f"`file_order` must be one of {', '.join(FILE_ORDERS)}, got {file_order!r}.")
        self.file_order = file_order
        if max_chars is not None and max_chars < 256:
            raise ValueError(f"`max_chars` must be at least 256 or null, got {max_chars}.")
        self.group_by, self.repo_marker, self.file_marker = group_by, repo_marker, file_marker
        self.max_chars, self.seed = max_chars, seed
        self.shard_folder = get_datafolder(shard_folder) if shard_folder else None

    def _shard_documents(self, rank: int) -> DocumentsPipeline:
        from datatrove.pipeline.readers import JsonlReader

        folder = f"{rank:05d}"
        if not self.shard_folder.isdir(folder):
            return
        reader = JsonlReader(self.shard_folder, add_file_path=False)
        for name in sorted(self.shard_folder.list_files(folder, glob_pattern="*.jsonl.gz")):
            yield from reader.read_file(name)

    def _pieces(self, header: str, entry: _SpilledFile, spill) -> Iterator[str]:
        block = f"{self.file_marker}{entry.path or entry.doc_id}\n{spill.read(entry)}"
        yield from [block] if self.max_chars is None else split_text(block, max(self.max_chars - len(header), 64))

    def _parts(self, header: str, files: list[_SpilledFile], spill) -> Iterator[tuple[str, list[str]]]:
        """`(text, file ids)` of each document of one group, built piece by piece: at most one document and
        one file are in memory, whatever the repository's size (with `max_chars` null a group is one document)."""
        current, current_ids = header, []
        for entry in files:
            for piece in self._pieces(header, entry, spill):
                if self.max_chars is not None and current_ids and len(current) + len(piece) > self.max_chars:
                    yield current, current_ids
                    current, current_ids = header, []
                current += piece
                if not current_ids or current_ids[-1] != entry.doc_id:
                    current_ids.append(entry.doc_id)
        yield current, current_ids

    def _count_parts(self, header: str, files: list[_SpilledFile], spill) -> int:
        """How many documents `_parts` will give: the same cuts, measured without keeping any text."""
        if self.max_chars is None:
            return 1
        parts, length, has_ids, last = 1, len(header), False, None
        for entry in files:
            for piece in self._pieces(header, entry, spill):
                if has_ids and length + len(piece) > self.max_chars:
                    parts, length, has_ids, last = parts + 1, len(header), False, None
                length += len(piece)
                if last != entry.doc_id:
                    has_ids, last = True, entry.doc_id
        return parts

    def _dependency_ordered(self, files: list[_SpilledFile], seed: str, spill) -> list[_SpilledFile]:
        """Each file after the files it imports (one read of each text), the rest in the seeded random order."""
        from snowcoder_hf.repos.imports import file_links
        from snowcoder_hf.repos.order import dependency_edges, dependency_order

        links = [file_links(f.path, f.language, spill.read(f)) for f in files]
        deps = dependency_edges(links)
        self.stat_update("import_edges", value=sum(len(d) for d in deps))
        return [files[i] for i in dependency_order(deps, seed)]

    def build_group(self, key: tuple[str, str], files: list[_SpilledFile], spill) -> Iterator[Document]:
        """The repo-level documents of one group, in order."""
        language, repo = key
        files = sorted(files, key=lambda f: (f.path, f.doc_id))
        seed = f"{self.seed}\0{language}\0{repo}"
        if self.file_order == "dependency":
            files = self._dependency_ordered(files, seed, spill)
        else:
            random.Random(seed).shuffle(files)
        header = f"{self.repo_marker}{repo}"
        languages = Counter()
        for entry in files:
            languages[entry.language] += entry.chars
        group_language = language or languages.most_common(1)[0][0]
        num_parts = self._count_parts(header, files, spill)
        for index, (text, ids) in enumerate(self._parts(header, files, spill)):
            doc_id = hashlib.sha1(f"{language}\0{repo}\0{index}".encode("utf-8", "surrogatepass")).hexdigest()[:20]
            metadata = {"language": group_language, "repo": repo, "num_files": len(ids), "part": index,
                        "num_parts": num_parts, "file_ids": ids}  # fmt: skip
            if not language:
                metadata["languages"] = sorted(languages)
            yield Document(text=text, id=doc_id, metadata=metadata)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        groups: dict[tuple[str, str], list[_SpilledFile]] = defaultdict(list)
        source = self._shard_documents(rank) if self.shard_folder is not None else (data or [])
        with _Spill() as spill:
            for doc in source:
                self.stat_update("files")
                groups[_group_key(doc, self.group_by)].append(spill.write(doc))
            for key in sorted(groups):
                for doc in self.build_group(key, groups.pop(key), spill):
                    self.stat_update("documents")
                    yield doc


@dataclass
class _SpilledFile:
    """Where one file's text sits in the spill, and what grouping and ordering need of it."""

    doc_id: str
    path: str
    language: str
    chars: int
    offset: int
    size: int


class _Spill:
    """File texts on local temporary disk, so a shard's texts are never all in memory: a run holds one index
    entry per file and reads each text back when its document is built."""

    def __enter__(self) -> _Spill:
        self._file = tempfile.TemporaryFile(prefix="repo_docs_")  # deleted on close, even after a kill
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def write(self, doc: Document) -> _SpilledFile:
        data = doc.text.encode("utf-8", "surrogatepass")
        self._file.seek(0, os.SEEK_END)
        offset = self._file.tell()
        self._file.write(data)
        language = str(doc.metadata.get("language") or "unknown")
        return _SpilledFile(doc.id, str(doc.metadata.get("path") or ""), language, len(doc.text), offset, len(data))

    def read(self, entry: _SpilledFile) -> str:
        self._file.seek(entry.offset)
        return self._file.read(entry.size).decode("utf-8", "surrogatepass")
