"""A repository folder as a sorted stream of files, each with its language and UTF-8 text or a skip reason.

The language comes from `snowcoder_hf.common.languages` (the names stage 1 uses): from the file name, and from
the first 8 KB for `.h`, `.m` and extensionless scripts. Like The Stack, which decoded every file as
UTF-8, a file that is binary (a NUL byte in its first 8 KB) or not valid UTF-8 is left out, and so is a
file in no known language; each is counted under its reason. Symbolic links are not followed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from snowcoder_hf.common.languages import FILENAMES, detect_language

SNIFF_BYTES = 8192
SKIP_REASONS = ("symlink", "not_regular_file", "unknown_language", "too_large", "unreadable", "binary", "invalid_utf8")
_CONTENT_DECIDES = (".h", ".m")


@dataclass(frozen=True)
class RepoFile:
    path: str  # relative to the repository root, with `/`
    language: str
    text: str
    size: int  # bytes


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str
    size: int


def name_language(path: str) -> tuple[str | None, bool]:
    """(language from the name alone, whether the content has to decide instead)."""
    name = PurePosixPath(path).name
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in _CONTENT_DECIDES or (not suffix and name not in FILENAMES):
        return None, True
    return detect_language(path), False


def file_language(path: str, head: str, extensionless_language: str | None = None) -> str | None:
    """The language of `path` given its first characters; `extensionless_language` names files that have
    no extension, no known name and no shebang (the package's convention, e.g. bash-completion)."""
    language = detect_language(path, head[:SNIFF_BYTES])
    if language is None and extensionless_language and not PurePosixPath(path).suffix:
        return extensionless_language
    return language


def walk_sorted(root: Path, exclude: frozenset[str] = frozenset()) -> Iterator[tuple[str, os.DirEntry]]:
    """(relative path, entry) of everything under `root` except folders in `exclude`, in path order;
    links to folders are yielded, never entered."""
    stack = [(root, "")]
    found: list[tuple[str, os.DirEntry]] = []
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                relpath = f"{prefix}{entry.name}"
                if relpath in exclude:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append((Path(entry.path), relpath + "/"))
                else:
                    found.append((relpath, entry))
    found.sort(key=lambda item: item[0])
    yield from found


def read_repo(
    root: Path,
    *,
    exclude: frozenset[str] = frozenset(),
    extensionless_language: str | None = None,
    max_file_bytes: int = 10_000_000,
) -> Iterator[RepoFile | SkippedFile]:
    """Every file under `root` (sorted by path) as a `RepoFile`, or a `SkippedFile` with its reason."""
    for relpath, entry in walk_sorted(root, exclude):
        if entry.is_symlink():
            yield SkippedFile(relpath, "symlink", 0)
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            yield SkippedFile(relpath, "unreadable", 0)
            continue
        if not stat.S_ISREG(info.st_mode):
            yield SkippedFile(relpath, "not_regular_file", 0)
            continue
        language, content_decides = name_language(relpath)
        if language is None and not content_decides:
            yield SkippedFile(relpath, "unknown_language", info.st_size)
            continue
        if info.st_size > max_file_bytes:
            yield SkippedFile(relpath, "too_large", info.st_size)
            continue
        try:
            with open(entry.path, "rb") as f:
                raw = f.read()
        except OSError:
            yield SkippedFile(relpath, "unreadable", info.st_size)
            continue
        if b"\0" in raw[:SNIFF_BYTES]:
            yield SkippedFile(relpath, "binary", len(raw))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield SkippedFile(relpath, "invalid_utf8", len(raw))
            continue
        if content_decides:
            language = file_language(relpath, text, extensionless_language)
            if language is None:
                yield SkippedFile(relpath, "unknown_language", len(raw))
                continue
        yield RepoFile(relpath, language, text, len(raw))
