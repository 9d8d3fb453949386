"""The whole build: fetched packages -> repositories -> rows -> shards, and `manifest.json` describing it.

Order is fixed (packages as listed, repositories by name, files by path), so the same packages at the same
versions give the same shards. Each repository is `<registry>/<package>`; a `split` folder of a package is
`<registry>/<package>/<folder>`. Every left-out file is counted per package under its reason.
"""

from __future__ import annotations

import json
import platform
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa

from corpus_builder.files import RepoFile, read_repo
from corpus_builder.registries import FetchedPackage, PackageCache, sha256_of
from corpus_builder.shards import SCHEMA, ShardWriter

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class Repository:
    name: str
    root: Path
    exclude: frozenset[str]  # folders under `root` that are repositories of their own


def repository_name(registry: str, package: str, subfolder: str = "") -> str:
    """`debian/linux-source-6.1`, `npm/@angular__core` (a scope's `/` would read as an owner), and
    `debian/mediawiki/skins/Vector` for a split folder."""
    name = f"{registry}/{package.replace('/', '__')}"
    return f"{name}/{subfolder}" if subfolder else name


def repositories(package: FetchedPackage) -> list[Repository]:
    """The package root as one repository, minus its `split` folders, which come first as their own."""
    spec, root = package.spec, package.root
    splits = sorted({p.relative_to(root).as_posix() for pattern in spec.split for p in root.glob(pattern)
                     if p.is_dir() and not p.is_symlink()})  # fmt: skip
    repos = [Repository(repository_name(spec.registry, spec.name, sub), root / sub, frozenset()) for sub in splits]
    repos.append(Repository(repository_name(spec.registry, spec.name), root, frozenset(splits)))
    return repos


def write_corpus(
    packages: Iterable[FetchedPackage],
    output_dir: str | Path,
    *,
    target_shard_bytes: int = 150_000_000,
    row_group_bytes: int = 32_000_000,
    max_file_bytes: int = 10_000_000,
    languages: set[str] | None = None,
    progress: bool = True,
) -> dict:
    """Write the shards of `packages` under `output_dir/data/` and `output_dir/manifest.json`; returns the
    manifest. `languages` keeps only those languages (the others are counted as `language_not_selected`)."""
    from tqdm import tqdm

    output_dir = Path(output_dir)
    writer = ShardWriter(output_dir, target_shard_bytes, row_group_bytes)
    entries = []
    for package in packages:
        spec = package.spec
        files: Counter = Counter()
        content: Counter = Counter()
        skipped: Counter = Counter()
        repo_names = []
        with tqdm(desc=f"{spec.key} {package.version}", unit="file", disable=not progress, leave=False) as bar:
            for repo in repositories(package):
                repo_names.append(repo.name)
                for item in read_repo(repo.root, exclude=repo.exclude, max_file_bytes=max_file_bytes,
                                      extensionless_language=spec.extensionless_language):  # fmt: skip
                    bar.update()
                    if not isinstance(item, RepoFile):
                        skipped[item.reason] += 1
                        continue
                    if languages is not None and item.language not in languages:
                        skipped["language_not_selected"] += 1
                        continue
                    files[item.language] += 1
                    content[item.language] += item.size
                    writer.add({"content": item.text, "max_stars_repo_name": repo.name,
                                "max_stars_repo_path": item.path, "lang": item.language,
                                "max_stars_repo_licenses": package.license.ids, "size": item.size,
                                "max_stars_count": 0, "package_version": package.version})  # fmt: skip
        entries.append(_package_entry(package, repo_names, files, content, skipped))
    shards = writer.close()
    manifest = _manifest(entries, shards, output_dir, max_file_bytes)
    (output_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return manifest


def _package_entry(package: FetchedPackage, repos: list[str], files: Counter, content: Counter, skipped: Counter):
    spec = package.spec
    return {
        "registry": spec.registry,
        "name": spec.name,
        "version": package.version,
        "pinned": spec.version == package.version,
        "archive": package.archive.name,
        "archive_sha256": package.archive_sha256,
        "root": spec.root,
        "repositories": repos,
        "license": package.license.ids,
        "license_source": package.license.source,
        "licenses_in_copyright": package.license.all_ids,
        "files": sum(files.values()),
        "bytes": sum(content.values()),
        "languages": {lang: {"files": files[lang], "bytes": content[lang]} for lang in sorted(files)},
        "skipped": dict(sorted(skipped.items())),
        "skipped_archive_members": package.skipped_archive_members,
    }


def _manifest(entries: list[dict], shards, output_dir: Path, max_file_bytes: int) -> dict:
    languages: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "bytes": 0, "packages": 0})
    skipped: Counter = Counter()
    for entry in entries:
        skipped.update(entry["skipped"])
        for lang, counts in entry["languages"].items():
            languages[lang]["files"] += counts["files"]
            languages[lang]["bytes"] += counts["bytes"]
            languages[lang]["packages"] += 1
    return {
        "manifest_version": MANIFEST_VERSION,
        "format": "the-stack (parquet, data/<language>/train-*.parquet)",
        "columns": SCHEMA.names,
        "max_file_bytes": max_file_bytes,
        "builder": {"python": platform.python_version(), "pyarrow": pa.__version__},
        "totals": {
            "packages": len(entries),
            "repositories": sum(len(e["repositories"]) for e in entries),
            "files": sum(e["files"] for e in entries),
            "bytes": sum(e["bytes"] for e in entries),
            "languages": len(languages),
            "shards": len(shards),
            "shard_bytes": sum(s.file_bytes for s in shards),
            "skipped": dict(sorted(skipped.items())),
        },
        "languages": dict(sorted(languages.items(), key=lambda item: -item[1]["bytes"])),
        "packages": entries,
        "shards": [{**asdict(s), "sha256": sha256_of(output_dir / s.path)} for s in shards],
    }


def fetch_all(specs, cache: PackageCache, log: Callable[[str], None] | None = None) -> list[FetchedPackage]:
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    fetched = []
    for number, spec in enumerate(specs, 1):
        package = cache.fetch(spec)
        log(f"[{number}/{len(specs)}] {spec.key} {package.version} ({', '.join(package.license.ids) or 'no licence'})")
        fetched.append(package)
    return fetched
