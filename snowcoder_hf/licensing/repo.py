"""A repository's licence from its top-level files: licence files first (LICENSE, LICENCE, COPYING,
UNLICENSE, REUSE's LICENSES/<id>.txt), then package metadata (package.json, pyproject.toml, Cargo.toml,
PKG-INFO / METADATA, debian/copyright), then the README's licence section."""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Mapping

from snowcoder_hf.licensing.identify import MAX_TEXT_CHARS, identify_text, is_readme
from snowcoder_hf.licensing.metadata import (
    LicenseResult,
    license_from_core_metadata,
    license_from_dep5,
    license_from_package_json,
    license_from_pyproject,
    load_toml,
)
from snowcoder_hf.licensing.spdx import KNOWN_IDS, normalize_expression, normalize_name

_LICENSE_FILE_RE = re.compile(
    r"^(?:un)?licen[cs]e(?:s)?(?:[-_.][\w.-]*)?$|^copying(?:[-_.][\w.-]*)?$|^[\w-]+[-_]licen[cs]e(?:\.\w+)?$", re.I
)
_PRIMARY_RE = re.compile(r"^(?:(?:un)?licen[cs]e|copying(?:\.lesser|\.lib)?)(?:\.(?:txt|md|rst|markdown))?$", re.I)
# Licence files of bundled or vendored code, not of the repository itself.
_THIRD_PARTY_RE = re.compile(r"third[-_. ]?party|bundled|external|vendor|notice|authors|contributors|patents", re.I)
_SUFFIX_NAME_RE = re.compile(r"^(?:licen[cs]e|copying)[-_.]([\w.-]+?)(?:\.(?:txt|md|rst))?$", re.I)
METADATA_FILES = ("package.json", "pyproject.toml", "Cargo.toml", "PKG-INFO", "METADATA", "debian/copyright")
EVIDENCE = ("license_file", "package_metadata", "readme")


def is_license_file(name: str) -> bool:
    """LICENSE, LICENCE.md, COPYING.LESSER, LICENSE-MIT, MIT-LICENSE.txt, UNLICENSE ..."""
    return bool(_LICENSE_FILE_RE.match(os.path.basename(name)))


def _cargo(content: str) -> LicenseResult | None:
    try:
        package = load_toml(content).get("package", {})
    except ValueError:
        return None
    value = package.get("license") if isinstance(package, dict) else None
    spdx = normalize_expression(value) if isinstance(value, str) else None
    return LicenseResult(spdx, "Cargo.toml") if spdx else None


_METADATA_READERS = {
    "package.json": license_from_package_json,
    "pyproject.toml": license_from_pyproject,
    "Cargo.toml": _cargo,
    "PKG-INFO": lambda text: license_from_core_metadata(text, "PKG-INFO"),
    "METADATA": lambda text: license_from_core_metadata(text, "METADATA"),
    "debian/copyright": license_from_dep5,
}


def _combine(results: list[tuple[str, str]]) -> str:
    """One expression for several licence files: `LICENSE-MIT` + `LICENSE-APACHE` is a choice (OR),
    anything else applies together (AND)."""
    ids = list(dict.fromkeys(spdx for _, spdx in results))
    if len(ids) == 1:
        return ids[0]
    named = all(_SUFFIX_NAME_RE.match(os.path.basename(name)) and normalize_name(
        _SUFFIX_NAME_RE.match(os.path.basename(name)).group(1)) for name, _ in results)  # fmt: skip
    joined = " OR ".join(f"({i})" if " " in i else i for i in ids) if named else " AND ".join(
        f"({i})" if " " in i else i for i in ids)  # fmt: skip
    return normalize_expression(joined) or ids[0]


def license_from_files(files: Mapping[str, str], order: tuple[str, ...] = EVIDENCE) -> LicenseResult:
    """The licence of a repository given its top-level files as `{relative path: text}`."""
    for evidence in order:
        if evidence == "license_file":
            found = _from_license_files(files)
        elif evidence == "package_metadata":
            found = _from_metadata(files)
        elif evidence == "readme":
            found = _from_readme(files)
        else:
            raise ValueError(f"`order` entries must be among {', '.join(EVIDENCE)}, got {evidence!r}.")
        if found is not None:
            return found
    return LicenseResult(None, "none")


def _from_license_files(files: Mapping[str, str]) -> LicenseResult | None:
    reuse = [os.path.splitext(os.path.basename(n))[0] for n in files if re.match(r"^LICENSES/[^/]+\.txt$", n)]
    reuse = [KNOWN_IDS[r.lower()] for r in reuse if r.lower() in KNOWN_IDS]
    if reuse:  # REUSE names each licence file by its SPDX id
        return LicenseResult(normalize_expression(" AND ".join(sorted(reuse))), "LICENSES/")
    results, kinds = [], []
    for name in sorted(files):
        if "/" in name or not is_license_file(name) or _THIRD_PARTY_RE.search(name):
            continue
        match = identify_text(files[name], name)
        if match:
            results.append((name, match.spdx))
            kinds.append(f"{name}:{match.kind}")
    if not results:
        return None
    primary = [(n, s) for n, s in results if _PRIMARY_RE.match(n)]
    if primary:  # LICENSE / COPYING speak for the repository; LICENSE-MIT beside them is a vendored part's
        kinds = [k for k in kinds if _PRIMARY_RE.match(k.split(":")[0])]
        results = primary
    ids = {spdx for _, spdx in results}
    if "LGPL-3.0-only" in ids:  # COPYING (GPL-3.0) + COPYING.LESSER (LGPL-3.0) is LGPL-3.0
        results = [(n, s) for n, s in results if s != "GPL-3.0-only"]
    return LicenseResult(_combine(results), ",".join(kinds))


def _from_metadata(files: Mapping[str, str]) -> LicenseResult | None:
    for name in METADATA_FILES:
        if name not in files:
            continue
        found = _METADATA_READERS[name](files[name])
        if found is not None and found.spdx is None and found.pointer and found.pointer in files:
            match = identify_text(files[found.pointer], found.pointer)
            if match:
                return LicenseResult(match.spdx, f"{name}->{found.pointer}:{match.kind}")
        if found is not None and found.spdx:
            return found
    return None


def _from_readme(files: Mapping[str, str]) -> LicenseResult | None:
    for name in sorted(files):
        if "/" not in name and is_readme(name):
            match = identify_text(files[name], name)
            if match:
                return LicenseResult(match.spdx, f"{name}:{match.kind}")
    return None


def read_text_file(path: str, max_bytes: int = MAX_TEXT_CHARS) -> str | None:
    """The head of a text file, or None when it is unreadable or binary (a NUL byte in its head)."""
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes)
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def repository_files(directory: str) -> dict[str, str]:
    """The top-level files of a repository that can carry its licence, read as text."""
    out: dict[str, str] = {}
    try:
        names = os.listdir(directory)
    except OSError:
        return out
    wanted = [n for n in names if is_license_file(n) or is_readme(n) or n in METADATA_FILES]
    wanted += ["debian/copyright"] if os.path.isfile(os.path.join(directory, "debian", "copyright")) else []
    if os.path.isdir(os.path.join(directory, "LICENSES")):
        wanted += [f"LICENSES/{n}" for n in sorted(os.listdir(os.path.join(directory, "LICENSES")))[:50]]
    for name in wanted[:200]:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            text = read_text_file(path)
            if text is not None:
                out[name] = text
    for name, text in list(out.items()):  # a `SEE LICENSE IN x` pointer needs x too
        if name == "package.json" and (found := license_from_package_json(text)) and found.pointer:
            pointed = read_text_file(os.path.join(directory, found.pointer))
            if pointed is not None:
                out.setdefault(found.pointer, pointed)
    return out


class RepoLicenseResolver:
    """The licence of each repository, found under `root` (layout `repos`: one sub-folder per repository,
    named like the documents' `repo`; `repo`: `root` is the one repository). With `name`, the layout of a
    `SourceRoot` of that name: its documents' `repo` is `name/<sub-folder>` (or `name` for layout `repo`).
    Results are cached per repository, so one resolver serves a whole shard; it pickles for Slurm/Ray."""

    def __init__(self, root: str, layout: str = "repos", name: str | None = None, order: tuple[str, ...] = EVIDENCE,
                 cache_size: int = 4096):  # fmt: skip
        if layout not in ("repos", "repo"):
            raise ValueError(f"`layout` must be `repos` or `repo`, got {layout!r}.")
        unknown = set(order) - set(EVIDENCE)
        if unknown:
            raise ValueError(f"`order` entries must be among {', '.join(EVIDENCE)}, got {sorted(unknown)}.")
        self.root, self.layout, self.name, self.order, self.cache_size = root, layout, name, tuple(order), cache_size
        self._cache: OrderedDict[str, LicenseResult] = OrderedDict()

    def directory(self, repo: str | None) -> str | None:
        """The folder of `repo`, or None when it is not one of this root's repositories."""
        if self.layout == "repo":
            return self.root if self.name is None or repo == self.name else None
        if self.name is not None:
            if not repo or not repo.startswith(f"{self.name}/"):
                return None
            repo = repo[len(self.name) + 1 :]
        if not repo or os.path.isabs(repo) or ".." in repo.split("/"):
            return None
        return os.path.join(self.root, repo)

    def __call__(self, metadata: Mapping) -> LicenseResult:
        repo = str(metadata.get("repo") or "")
        if repo in self._cache:
            self._cache.move_to_end(repo)
            return self._cache[repo]
        directory = self.directory(repo)
        if directory is None or not os.path.isdir(directory):
            result = LicenseResult(None, "repo_not_found")
        else:
            result = license_from_files(repository_files(directory), self.order)
        self._cache[repo] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def __getstate__(self):
        return {**self.__dict__, "_cache": OrderedDict()}
