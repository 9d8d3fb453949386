"""Build a real multi-language code corpus in The Stack's parquet shape from Debian, npm and PyPI packages.

Every package in the size's table (benchmarks/corpus_builder/packages.py, versions pinned) is downloaded
with its registry's client, unpacked into a cache, and written as rows with The Stack's columns
(`content`, `max_stars_repo_name`, `max_stars_repo_path`, `lang`, `max_stars_repo_licenses`, `size`,
`max_stars_count`) plus `package_version`, as zstd parquet shards under OUT/data/<language>/, with
OUT/manifest.json listing every package, version, licence, and files and bytes per language.

Usage:
    python benchmarks/corpus.py --size small --output corpus-small
    python benchmarks/corpus.py --size large --output corpus-large --cache corpus-cache
Read it with stage 1's reader: `snowcoder_hf.pipeline.hub_readers.hub_code_reader("corpus-small")`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `corpus_builder` sits beside this script

from corpus_builder.build import fetch_all, write_corpus
from corpus_builder.packages import SIZES
from corpus_builder.registries import PackageCache, RegistryError


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "snowcoder_hf" / "corpus"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", required=True, choices=sorted(SIZES))
    parser.add_argument("--output", required=True, type=Path, help="folder for data/ and manifest.json")
    parser.add_argument("--cache", type=Path, default=None, help=f"downloads and unpacked trees ({default_cache()})")
    parser.add_argument("--latest", action="store_true", help="ignore the pinned versions and take the newest")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing corpus in --output")
    parser.add_argument("--shard-mb", type=float, default=150.0, help="close a shard at this many MB on disk")
    parser.add_argument("--max-file-mb", type=float, default=10.0, help="leave out files larger than this")
    parser.add_argument("--languages", nargs="+", default=None, help="keep only these languages (default: all)")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


CORPUS_ENTRIES = ("data", "manifest.json", "build_times.json")  # all that a build writes into --output


def _prepare_output(output: Path, overwrite: bool) -> None:
    if output.exists() and not output.is_dir():
        raise SystemExit(f"error: --output {output} is a file, not a folder.")
    if output.is_dir() and any(output.iterdir()):
        if not overwrite:
            raise SystemExit(f"error: --output {output} is not empty; pass --overwrite to replace the corpus in it.")
        foreign = sorted(p.name for p in output.iterdir() if p.name not in CORPUS_ENTRIES)
        if foreign:
            raise SystemExit(f"error: --output {output} also holds {foreign[:3]}, not written by a build; "
                             "refusing to delete it.")  # fmt: skip
        shutil.rmtree(output / "data", ignore_errors=True)
        for name in CORPUS_ENTRIES[1:]:
            (output / name).unlink(missing_ok=True)
    output.mkdir(parents=True, exist_ok=True)


def _summary(manifest: dict, seconds: dict[str, float]) -> str:
    totals = manifest["totals"]
    files_line = (
        f"{totals['files']:,} files, {totals['bytes'] / 1e6:,.1f} MB of content in {totals['languages']} languages"
    )
    repos_line = f"{totals['repositories']} repositories from {totals['packages']} packages"
    shards_line = f"{totals['shards']} shards, {totals['shard_bytes'] / 1e6:,.1f} MB on disk"
    lines = [f"{files_line}, {repos_line}; {shards_line}"]
    lines.append(f"fetch {seconds['fetch']:.1f} s, write {seconds['write']:.1f} s; skipped {totals['skipped']}")
    for language, counts in manifest["languages"].items():
        lines.append(f"  {language:<20} {counts['files']:>9,} files {counts['bytes'] / 1e6:>10,.1f} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.shard_mb <= 0 or args.max_file_mb <= 0:
        raise SystemExit("error: --shard-mb and --max-file-mb must be positive.")
    _prepare_output(args.output, args.overwrite)
    cache = PackageCache(args.cache or default_cache(), latest=args.latest)
    specs = SIZES[args.size]
    start = time.perf_counter()
    try:
        packages = fetch_all(specs, cache)
    except RegistryError as err:
        raise SystemExit(f"error: {err}") from None
    fetched = time.perf_counter()
    manifest = write_corpus(packages, args.output, target_shard_bytes=int(args.shard_mb * 1e6),
                            max_file_bytes=int(args.max_file_mb * 1e6),
                            languages=set(args.languages) if args.languages else None,
                            progress=not args.no_progress)  # fmt: skip
    seconds = {"fetch": fetched - start, "write": time.perf_counter() - fetched}
    (args.output / "build_times.json").write_text(json.dumps({"size": args.size, **seconds}, indent=2) + "\n")
    unpinned = [p for p in manifest["packages"] if not p["pinned"]]
    if unpinned:
        print("versions not pinned in packages.py (pin them for a byte-identical rebuild):", file=sys.stderr)
        for p in unpinned:
            print(f"  {p['registry']}:{p['name']} {p['version']}", file=sys.stderr)
    print(_summary(manifest, seconds))
    return manifest


if __name__ == "__main__":
    main()
