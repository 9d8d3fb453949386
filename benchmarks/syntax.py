"""Syntax-validity benchmark: SyntaxValidityFilter's throughput and drop rate per language on real code, with
Python's own `ast.parse` on the same Python files as the reference for speed and for what "valid" means.

Real code found on the machine that runs it: this interpreter's standard library and site-packages (Python),
`node_modules` (JavaScript, TypeScript declarations), `/usr/include` (C and C++ headers), `/usr/share` and
`/usr/lib` (SQL, shell, PHP, ...), and any folders passed with `--root` (for example Debian packages unpacked
with `apt-get download` + `dpkg -x`: Go, Rust, Ruby, Java sources). Files are sampled per language (seeded),
read once, then run through the block one at a time in one process. The block's time covers encoding,
parsing and the error-span walk; `end to end` adds reading the files and loading the grammars.

Usage (the extra roots as measured: Debian packages of Go, Rust and Ruby sources, OpenJDK's Java sources, and
npm packages with TypeScript, Kotlin and Swift):
    apt-get download golang-github-google-go-cmp-dev golang-github-pkg-errors-dev golang-github-spf13-pflag-dev \
        golang-github-spf13-cobra-dev golang-github-stretchr-testify-dev librust-itoa-dev librust-memchr-dev \
        librust-regex-syntax-dev librust-serde-dev librust-syn-dev libruby3.1 openjdk-17-source
    for f in *.deb; do dpkg -x "$f" debian-packages; done
    unzip -q debian-packages/usr/lib/jvm/openjdk-17/lib/src.zip 'java.base/java/util/*' 'java.base/java/io/*' \
        'java.net.http/*' -d openjdk-src
    (mkdir npm-packages && cd npm-packages && npm pack rxjs@7 expo-modules-core @types/node && for f in *.tgz; do
        mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done)
    python benchmarks/syntax.py --root debian-packages --root openjdk-src --root npm-packages \
        --per-language 300 --results benchmarks/results/syntax.md
"""

from __future__ import annotations

import argparse
import ast
import collections
import os
import platform
import random
import statistics
import sys
import sysconfig
import time
import warnings

from datatrove.data import Document

from snowcoder_hf.common.languages import detect_language
from snowcoder_hf.pipeline.syntax import GRAMMARS, SyntaxValidityFilter, grammar_installed

DEFAULT_ROOTS = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"], "/usr/lib/node_modules",
                 "/usr/include", "/usr/share", "/usr/lib")  # fmt: skip
SKIP_DIRS = {"__pycache__", ".git", "test_data", "bad_syntax"}
MAX_BYTES = 1_000_000
MIN_FILES = 20  # fewer real files of a language than this measure nothing (and are often misnamed: `.cs` Czech)


def collect(roots: list[str], per_language: int, seed: int) -> dict[str, list[str]]:
    """Paths per language (those with a grammar), at most `per_language` each, sampled with `seed`."""
    found: dict[str, list[str]] = collections.defaultdict(list)
    seen: set[str] = set()
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for name in sorted(names):
                path = os.path.join(folder, name)
                real = os.path.realpath(path)
                if real in seen or os.path.islink(path) or "." not in name:
                    continue
                seen.add(real)
                try:
                    size = os.path.getsize(path)
                except OSError:
                    continue
                if not 64 <= size <= MAX_BYTES:
                    continue
                head = None
                if name.endswith(".h"):  # C, C++ or Objective-C: the content decides
                    with open(path, "rb") as f:
                        head = f.read(8192).decode("utf-8", "replace")
                language = detect_language(path, head)
                if language in GRAMMARS and language != "Jupyter Notebook":
                    found[language].append(path)
    rng = random.Random(seed)
    return {lang: sorted(rng.sample(paths, min(per_language, len(paths)))) for lang, paths in sorted(found.items())}


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "surrogateescape")
    except OSError:
        return None


def ast_accepts(text: str) -> bool:
    """`ast.parse` as the reference for valid Python (warnings silenced, as a compiler run would)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", action="append", default=[], help="more folders of real code (repeatable)")
    parser.add_argument("--per-language", type=int, default=300)
    parser.add_argument("--max-error-fraction", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", default="benchmarks/results/syntax.md")
    args = parser.parse_args()
    if args.per_language < 1:
        raise SystemExit("`--per-language` must be at least 1.")
    missing = [r for r in args.root if not os.path.isdir(r)]
    if missing:
        raise SystemExit(f"`--root` folders not found: {missing}")

    wall_start = time.perf_counter()
    paths = collect([*DEFAULT_ROOTS, *args.root], args.per_language, args.seed)
    read_start = time.perf_counter()
    texts = {lang: [(p, t) for p in ps if (t := _read(p)) is not None] for lang, ps in paths.items()}
    read_s = time.perf_counter() - read_start
    step = SyntaxValidityFilter(
        max_error_fraction=args.max_error_fraction,
        max_bytes=MAX_BYTES,
        languages=[lang for lang in GRAMMARS if grammar_installed(lang)],
    )  # SQL too
    too_few = {lang: len(items) for lang, items in texts.items() if len(items) < MIN_FILES}
    texts = {lang: items for lang, items in texts.items() if lang not in too_few}
    rows, fractions, block_s = {}, {}, {}
    ast_ok: list[bool] = []
    ast_s = 0.0
    for language, items in texts.items():
        if not grammar_installed(language):
            continue
        step.filter(Document(text="", id="warmup", metadata={"language": language}))  # loads the grammar
        results, seconds = [], 0.0
        for path, text in items:  # Python files alternate with ast.parse, so machine noise hits both alike
            doc = Document(text=text, id=path, metadata={"language": language, "path": path})
            start = time.perf_counter()
            results.append((step.filter(doc), doc.metadata.get("syntax_error_fraction")))
            seconds += time.perf_counter() - start
            if language == "Python":
                start = time.perf_counter()
                ast_ok.append(ast_accepts(text))
                ast_s += time.perf_counter() - start
        block_s[language] = seconds
        fractions[language] = [(f, p) for (_, f), (p, _) in zip(results, items, strict=True) if f is not None]
        rows[language] = (len(items), sum(len(t.encode("utf-8", "surrogateescape")) for _, t in items), results)
        print(f"{language}: {len(items)} files, {block_s[language]:.2f}s", file=sys.stderr)
    wall_s = time.perf_counter() - wall_start
    python = texts.get("Python", [])
    write_report(args, rows, fractions, block_s, python, ast_s, ast_ok, read_s, wall_s, too_few, step)


def write_report(args, rows, fractions, block_s, python, ast_s, ast_ok, read_s, wall_s, too_few, step) -> None:
    total_mb = sum(size for _, size, _ in rows.values()) / 1e6
    total_files = sum(n for n, _, _ in rows.values())
    lines = [
        "# Syntax validity: tree-sitter error share per file, on real code",
        "",
        (
            f"Measured by `benchmarks/syntax.py` on {platform.machine()} (Python {platform.python_version()}), one "
            f"process on one core, {total_files} real files ({total_mb:.1f} MB), at most {args.per_language} per "
            f"language (seed {args.seed}), the block's default thresholds (`max_error_fraction={args.max_error_fraction}`, "
            f"per language {step.per_language}), SQL checked too. Extra roots: "
            f"{len(args.root)} folder(s) of unpacked Debian / npm packages."
        ),
        "",
        (
            "| language | files | MB | MB/s per core | drop rate | any error | error share p95 | "
            "median error share of dropped | unchecked (too large / timeout) |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for language, (n, size, results) in rows.items():
        dropped = [f for (keep, f) in results if keep is not True]
        any_error = sum(1 for _, f in results if f)
        unchecked = sum(1 for _, f in results if f is None)
        median = f"{statistics.median(dropped):.3f}" if dropped else "-"
        shares = sorted(f for _, f in results if f is not None)
        p95 = f"{shares[int(0.95 * (len(shares) - 1))]:.3f}" if shares else "-"
        lines.append(f"| {language} | {n} | {size / 1e6:.2f} | {size / 1e6 / block_s[language]:.1f} | "
                     f"{len(dropped) / n:.1%} | {any_error / n:.1%} | {p95} | {median} | {unchecked} |")  # fmt: skip
    block_total = sum(block_s.values())
    lines += ["", (f"All languages: {total_mb / block_total:.1f} MB/s per core in the block; end to end (walking "
              f"the folders, reading {total_mb:.1f} MB in {read_s:.1f}s, loading grammars, filtering) "
              f"{wall_s:.1f}s.")]  # fmt: skip
    if python:
        py_mb = sum(len(t.encode("utf-8", "surrogateescape")) for _, t in python) / 1e6
        ts_keep = [keep is True for keep, _ in rows["Python"][2]]
        table = collections.Counter(zip(ast_ok, ts_keep, strict=True))
        lines += [
            "",
            "## Python: tree-sitter against `ast.parse` on the same files",
            "",
            "| parser | seconds | MB/s | files rejected |",
            "|---|---|---|---|",
            (
                f"| SyntaxValidityFilter (tree-sitter-python) | {block_s['Python']:.2f} | {py_mb / block_s['Python']:.1f} | "
                f"{sum(not k for k in ts_keep)} |"
            ),
            (
                f"| ast.parse (CPython's own parser, builds the AST; same files, interleaved) | {ast_s:.2f} | {py_mb / ast_s:.1f} | "
                f"{sum(not k for k in ast_ok)} |"
            ),
            "",
            f"Speed ratio tree-sitter / ast.parse: {ast_s / block_s['Python']:.2f}x.",
            (
                f"Agreement: both keep {table[(True, True)]}, both reject {table[(False, False)]}; "
                f"ast accepts but the filter drops {table[(True, False)]} (grammar gaps: false drops); "
                f"ast rejects but the filter keeps {table[(False, True)]} (errors under the threshold, or Python 2)."
            ),
        ]
        false_drops = [p for (ok, (keep, _)), (p, _) in zip(zip(ast_ok, rows["Python"][2], strict=True), python,
                                                            strict=True) if ok and keep is not True]  # fmt: skip
        if false_drops:
            lines += ["", "Valid Python the filter drops (first 8): " + ", ".join(
                f"`{os.path.basename(p)}`" for p in false_drops[:8])]  # fmt: skip
    lines += ["", "## Highest error shares per language (what a drop looks like)", ""]
    for language, pairs in fractions.items():
        worst = sorted(pairs, reverse=True)[:3]
        if worst and worst[0][0] > 0:
            lines.append(f"- {language}: " + ", ".join(f"`{os.path.basename(p)}` {f:.2f}" for f, p in worst))
    if too_few:
        lines += [
            "",
            "Too few real files to measure (files found): " + ", ".join(f"{k} {v}" for k, v in too_few.items()),
        ]
    not_found = sorted(set(GRAMMARS) - set(rows) - set(too_few) - {"Jupyter Notebook"})
    if not_found:
        lines += ["", f"Not measured (no real files of these languages were found): {', '.join(not_found)}."]
    roots = " ".join(f"--root {os.path.basename(os.path.normpath(r))}" for r in args.root)
    lines += ["", "## Reproduce", "", "```",
              f"python benchmarks/syntax.py {roots} --per-language {args.per_language} --results {args.results}".replace(
                  "  ", " "), "```", ""]  # fmt: skip
    os.makedirs(os.path.dirname(args.results) or ".", exist_ok=True)
    with open(args.results, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
