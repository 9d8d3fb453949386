"""Readers for raw code: local source trees, and Hub code datasets in the-stack / starcoderdata shape.

`SourceTreeReader` walks folders of repositories (or one repository) in a stable order and shards the
files across DataTrove tasks. Vendored, generated and `.gitignore`d files are skipped and counted. Files
that cannot become a document are routed to `exclusion_writer` with their reason: `binary`,
`invalid_utf8`, `empty`, `too_large`, `symlink_loop` and `unreadable` (FIFOs, sockets, dangling links,
permission errors). A bad file never stops the run.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.disk_base import DiskWriter

from snowcoder_hf.common.languages import detect_language

# Folders that hold vendored, generated or tool state rather than a repository's own code.
DEFAULT_SKIP_DIRS = ("node_modules", "vendor", "third_party", "thirdparty", "__pycache__", ".git", ".hg", ".svn",
                     ".tox", ".nox", ".venv", "venv", ".mypy_cache", ".pytest_cache", ".idea", ".vscode",
                     "build", "dist", "site-packages", "dist-packages", "*.dist-info", "*.egg-info", "bower_components")  # fmt: skip
# File names of generated code, minified bundles and lock files.
DEFAULT_SKIP_FILES = ("*.min.js", "*.min.css", "*-min.js", "*.bundle.js", "*_pb2.py", "*_pb2_grpc.py", "*.pb.go",
                      "*.pb.cc", "*.pb.h", "*.generated.*", "*.g.dart", "*.designer.cs", "package-lock.json",
                      "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "poetry.lock", "*.map")  # fmt: skip
LAYOUTS = ("repos", "repo")
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class SourceRoot:
    """One folder to read. `layout="repos"`: each sub-folder is a repository; `"repo"`: the folder is one,
    named `name` (default: the folder's name). `license` is recorded on every file when known."""

    path: str
    layout: str = "repos"
    name: str | None = None
    license: str | None = None

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"`layout` must be one of {', '.join(LAYOUTS)}, got {self.layout!r}.")


@dataclass(frozen=True)
class _Entry:
    repo: str
    path: str  # inside the repository, POSIX separators
    abspath: str
    license: str | None
    problem: str | None = None  # a drop reason found while listing (symlink loops, dangling links)


def stable_id(repo: str, path: str) -> str:
    """The id of a file document: a hash of repository and path, stable across runs and machines."""
    return hashlib.sha1(f"{repo}/{path}".encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _pattern_matcher(patterns: tuple[str, ...]):
    """One compiled regex for a set of shell patterns on a file or folder name (`fnmatch` semantics)."""
    regex = re.compile("|".join(fnmatch.translate(p) for p in patterns)) if patterns else None
    return (lambda name: False) if regex is None else (lambda name: regex.match(name) is not None)


class SourceTreeReader(PipelineStep):
    """Read local source trees into file Documents with `repo`, `path`, `language`, `size`, `license` and a
    stable `id`. Only files whose language is identified (and in `languages`, when given) are read."""

    name = "🌳 Source trees"
    type = "📖 - READER"

    def __init__(
        self,
        roots: list[SourceRoot | dict | str],
        languages: list[str] | None = None,
        exclusion_writer: DiskWriter | None = None,
        max_file_bytes: int = 10_000_000,
        max_files: int | None = None,
        skip_dirs: tuple[str, ...] = DEFAULT_SKIP_DIRS,
        skip_files: tuple[str, ...] = DEFAULT_SKIP_FILES,
        respect_gitignore: bool = True,
        progress: bool = False,
    ):
        super().__init__()
        if not roots:
            raise ValueError("`roots` must name at least one folder.")
        self.roots = [r if isinstance(r, SourceRoot) else SourceRoot(**r) if isinstance(r, dict) else SourceRoot(r)
                      for r in roots]  # fmt: skip
        if max_file_bytes < 1:
            raise ValueError(f"`max_file_bytes` must be a positive byte count, got {max_file_bytes}.")
        if max_files is not None and max_files < 1:
            raise ValueError(f"`max_files` must be a positive count or null, got {max_files}.")
        self.languages = set(languages) if languages else None
        self.exclusion_writer = exclusion_writer
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.skip_dirs = tuple(skip_dirs)
        self.skip_files = tuple(skip_files)
        self.respect_gitignore = respect_gitignore
        self.progress = progress
        self._skipped: dict[str, int] = {}
        self._skip_dir = _pattern_matcher(self.skip_dirs)
        self._skip_file = _pattern_matcher(self.skip_files)

    # -- listing ---------------------------------------------------------------------------------
    def _skip(self, reason: str) -> None:
        self._skipped[reason] = self._skipped.get(reason, 0) + 1

    def _gitignore(self, folder: str):
        """The `.gitignore` of `folder` (git's rules, negations included), or None."""
        path = os.path.join(folder, ".gitignore")
        if not self.respect_gitignore or not os.path.isfile(path):
            return None
        import pathspec

        with open(path, encoding="utf-8", errors="replace") as f:
            return pathspec.GitIgnoreSpec.from_lines(f)

    @staticmethod
    def _ignored(specs: list[tuple[str, Any]], relpath: str) -> bool:
        """Git's precedence: the deepest `.gitignore` with a matching pattern decides, each relative to its folder."""
        for base, spec in reversed(specs):
            result = spec.check_file(relpath[len(base) :]).include
            if result is not None:
                return result
        return False

    def _walk_repo(self, repo: str, repo_dir: str, license_: str | None) -> Iterator[_Entry]:
        root_real = os.path.realpath(repo_dir)
        visited = {root_real}
        stack: list[tuple[str, str, list]] = [(repo_dir, "", [])]
        while stack:
            folder, rel, inherited = stack.pop()
            spec = self._gitignore(folder)
            specs = [*inherited, (rel, spec)] if spec is not None else inherited
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                self._skip("unreadable_dir")
                continue
            subdirs = []
            for entry in entries:
                relpath = f"{rel}{entry.name}"
                is_dir = entry.is_dir(follow_symlinks=False)
                if specs and self._ignored(specs, relpath + ("/" if is_dir else "")):
                    self._skip("gitignored")
                    continue
                if entry.is_symlink():
                    try:
                        target = os.path.realpath(entry.path, strict=True)
                    except OSError as err:
                        looped = err.errno == errno.ELOOP
                        yield _Entry(repo, relpath, entry.path, license_, "symlink_loop" if looped else "unreadable")
                        continue
                    if os.path.isdir(target):
                        here = os.path.realpath(folder)
                        if here == target or here.startswith(target + os.sep):
                            yield _Entry(repo, relpath, entry.path, license_, "symlink_loop")  # links to an ancestor
                            continue
                        if target in visited or target.startswith(root_real + os.sep):
                            self._skip("symlinked_dir")  # inside the repository: read where it really is
                            continue
                        is_dir = True
                if is_dir:
                    if self._skip_dir(entry.name):
                        self._skip("vendored_or_generated")
                        continue
                    visited.add(os.path.realpath(entry.path))
                    subdirs.append((entry.path, relpath + "/", specs))
                elif self._skip_file(entry.name):
                    self._skip("vendored_or_generated")
                elif self._wanted(relpath):
                    yield _Entry(repo, relpath, entry.path, license_)
            stack.extend(reversed(subdirs))

    def list_files(self) -> list[_Entry]:
        """Every candidate file of every root, in a stable order (capped by `max_files`)."""
        self._skipped = {}
        entries: list[_Entry] = []
        for root in self.roots:
            if not os.path.isdir(root.path):
                raise FileNotFoundError(f"source root {root.path} is not a folder.")
            if root.layout == "repo":
                name = root.name or os.path.basename(os.path.normpath(root.path))
                entries.extend(self._walk_repo(name, root.path, root.license))
                continue
            for child in sorted(os.scandir(root.path), key=lambda e: e.name):
                if child.is_dir() and not self._skip_dir(child.name):
                    repo = f"{root.name}/{child.name}" if root.name else child.name
                    entries.extend(self._walk_repo(repo, child.path, root.license))
        if self.max_files is not None and len(entries) > self.max_files:
            entries = self._whole_repositories(entries, self.max_files)
        return entries

    def _whole_repositories(self, entries: list[_Entry], cap: int) -> list[_Entry]:
        """At most `cap` files made of whole repositories, taken in a seeded order (a hash of the name, so neither
        alphabetical nor input order decides): a sample of repositories, never of files inside one. A repository
        that no longer fits is passed over for the next. Only when not one repository fits whole is the first one
        sampled file by file, so that a cap below every repository's size still reads something."""

        def digest(text: str) -> bytes:
            return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()

        by_repo: dict[str, list[_Entry]] = {}
        for entry in entries:
            by_repo.setdefault(entry.repo, []).append(entry)
        kept: list[_Entry] = []
        for repo in sorted(by_repo, key=digest):
            if len(kept) + len(by_repo[repo]) <= cap:
                kept.extend(by_repo[repo])
        if not kept:
            first = sorted(by_repo, key=digest)[0]
            kept = sorted(by_repo[first], key=lambda e: digest(e.path))[:cap]
        self._skip_n("over_max_files", len(entries) - len(kept))
        return sorted(kept, key=lambda e: (e.repo, e.path))

    def _wanted(self, path: str) -> bool:
        """Whether a file may be code of a selected language, judged by its name (content decides later)."""
        language, needs_content = self._language(path)
        if needs_content:
            return True
        if language is None:
            self._skip("not_code")
            return False
        if self.languages and language not in self.languages:
            self._skip("language_not_selected")
            return False
        return True

    def _skip_n(self, reason: str, n: int) -> None:
        self._skipped[reason] = self._skipped.get(reason, 0) + n

    # -- reading ---------------------------------------------------------------------------------
    def _load(self, entry: _Entry) -> tuple[str | None, str | None, int]:
        """(text, drop reason, size) of one file; exactly one of text and reason is None."""
        if entry.problem:
            return None, entry.problem, 0
        try:
            info = os.stat(entry.abspath)
        except OSError:
            return None, "unreadable", 0
        if not stat.S_ISREG(info.st_mode):
            return None, "unreadable", 0  # FIFOs, sockets and devices would block or never end
        if info.st_size == 0:
            return None, "empty", 0
        if info.st_size > self.max_file_bytes:
            return None, "too_large", info.st_size
        try:
            with open(entry.abspath, "rb") as f:
                raw = f.read(self.max_file_bytes + 1)
        except OSError:
            return None, "unreadable", info.st_size
        if b"\0" in raw[:_SNIFF_BYTES]:
            return None, "binary", len(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, "invalid_utf8", len(raw)
        text = text.lstrip("\ufeff")
        if not text.strip():
            return None, "empty", len(raw)
        return text, None, len(raw)

    @staticmethod
    def _language(path: str) -> tuple[str | None, bool]:
        """(language from the name alone, whether the content must decide)."""
        name = path.rsplit("/", 1)[-1]
        suffix = os.path.splitext(name.lower())[1]
        if suffix in (".h", ".m") or (not suffix and detect_language(name) is None):
            return None, True
        return detect_language(path), False

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        entries = self.list_files()
        if rank == 0:  # every task lists the same files; count the skips once
            for reason, n in sorted(self._skipped.items()):
                self.stat_update(f"skipped_{reason}", value=n)
        writer = self.exclusion_writer
        if writer is not None:
            writer.__enter__()
        try:
            from tqdm import tqdm

            shard = entries[rank::world_size]
            for entry in tqdm(shard, desc=f"reading files (task {rank})", unit="file", disable=not self.progress,
                              position=rank, leave=False):  # fmt: skip
                language, needs_content = self._language(entry.path)
                with self.track_time():
                    text, reason, size = self._load(entry)
                    if text is not None and needs_content:
                        language = detect_language(entry.path, text[:_SNIFF_BYTES])
                if reason != "symlink_loop":  # a loop is reported whatever it is named: it may hide a tree
                    if language is None and (reason is None or not PurePosixPath(entry.path).suffix):
                        continue  # an extensionless file that is not a script (or cannot be read to tell)
                    if self.languages and language not in self.languages:
                        continue
                metadata = {"repo": entry.repo, "path": entry.path, "language": language, "size": size,
                            "license": entry.license}  # fmt: skip
                doc_id = stable_id(entry.repo, entry.path)
                if reason is not None:
                    self.stat_update("dropped", f"dropped_{reason}")
                    if writer is not None:
                        writer.write(Document(text="", id=doc_id, metadata={**metadata, "filter_reason": reason}), rank)
                    continue
                self.stat_update("documents")
                self.update_doc_stats(doc := Document(text=text, id=doc_id, metadata=metadata))
                yield doc
        finally:
            if writer is not None:
                writer.__exit__(None, None, None)
