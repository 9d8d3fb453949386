"""Near-dedup benchmark corpora: real source files with planted near-duplicates, as one gzip JSONL file.

Two sources:
- `--source python`: this interpreter's standard library and site-packages (the project's own corpus);
- `--source tree --root DIR ...`: any unpacked source trees, e.g. Debian's `golang-1.19-src`, `rust-src`,
  `openjdk-17-source` and `linux-source-6.1` unpacked with `dpkg -x` (a real multi-language corpus).

Every document has `id`, `text` and `metadata` (`path`, `repo_name`: the file's top two folders under its
root, `language` from the suffix). Planted copies replace a fraction of an original's code tokens with fresh
identifiers, at the rates in `EDIT_RATES`; `planted.json` beside the corpus lists `(original, copy, rate)`.
A few exact copies (line endings changed) exercise exact dedup.

Usage:
    python benchmarks/dedup_corpus.py --source python --files 10000 --planted 800 --out CORPUS_DIR
    python benchmarks/dedup_corpus.py --source tree --root SRC1 --root SRC2 --files 95000 --planted 5000 --out DIR
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sysconfig
from pathlib import Path

LANGUAGES = {
    ".py": "Python", ".pyi": "Python", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++",
    ".js": "JavaScript", ".ts": "TypeScript", ".sh": "Shell", ".rs": "Rust", ".go": "Go", ".java": "Java",
    ".S": "Assembly", ".rb": "Ruby", ".pl": "Perl",
}  # fmt: skip
EDIT_RATES = (0.005, 0.01, 0.02, 0.04)
MIN_BYTES, MAX_BYTES = 200, 100_000


def python_roots() -> list[str]:
    return list(dict.fromkeys(os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "purelib")))


def collect_files(roots: list[str], limit: int, seed: int) -> list[tuple[str, str, str]]:
    """`limit` readable UTF-8 source files under `roots`, drawn at random (seeded): (root, path, text)."""
    found = []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", ".git"))
            for name in sorted(names):
                path = os.path.join(folder, name)
                wanted = os.path.splitext(name)[1] in LANGUAGES and not os.path.islink(path)
                if wanted and MIN_BYTES <= os.path.getsize(path) <= MAX_BYTES:
                    found.append((root, path))
    random.Random(seed).shuffle(found)
    files = []
    for root, path in found:
        try:
            files.append((root, path, Path(path).read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue  # a benchmark corpus needs text; bad files are the curate chain's concern, not this one
        if len(files) == limit:
            break
    if len(files) < limit:
        raise ValueError(f"`--files` {limit}: only {len(files)} readable source files found under {roots}.")
    return files


def mutate(text: str, rate: float, rng: random.Random) -> str:
    """Replace a fraction `rate` of the code tokens with fresh identifiers."""
    return re.sub(r"\w+", lambda m: f"edit{rng.randrange(10**6)}" if rng.random() < rate else m.group(), text)


def build(roots: list[str], n_files: int, n_planted: int, out: Path, seed: int = 0, exact_copies: int = 0) -> dict:
    rng = random.Random(seed)
    docs = []
    for i, (root, path, text) in enumerate(collect_files(roots, n_files, seed)):
        relative = os.path.relpath(path, root)
        repo = "/".join([os.path.basename(root.rstrip("/")), *relative.split(os.sep)[:2]][:3])
        metadata = {"path": relative, "repo_name": repo, "language": LANGUAGES[os.path.splitext(path)[1]]}
        docs.append({"id": f"f{i:06d}", "text": text, "metadata": metadata})
    candidates = [d for d in docs if len(re.findall(r"\w+", d["text"])) >= 200]
    planted = []
    for k, original in enumerate(rng.sample(candidates, n_planted)):
        rate = EDIT_RATES[k % len(EDIT_RATES)]
        metadata = {**original["metadata"], "repo_name": f"fork{k % 97}/{original['metadata']['repo_name']}"}
        docs.append({"id": f"planted{k:06d}", "text": mutate(original["text"], rate, rng), "metadata": metadata})
        planted.append((original["id"], f"planted{k:06d}", rate))
    for k, original in enumerate(rng.sample(docs[:n_files], exact_copies)):
        docs.append({"id": f"exact{k:06d}", "text": original["text"].replace("\n", "\r\n"),
                     "metadata": dict(original["metadata"])})  # fmt: skip
    rng.shuffle(docs)
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "corpus.jsonl.gz", "wt", encoding="utf-8", compresslevel=6) as f:
        for doc in docs:
            f.write(json.dumps(doc) + "\n")
    info = {"documents": len(docs), "real_files": n_files, "planted": planted, "exact_copies": exact_copies,
            "roots": [os.path.basename(r.rstrip("/")) for r in roots], "bytes": sum(len(d["text"]) for d in docs)}  # fmt: skip
    (out / "planted.json").write_text(json.dumps(info))
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", choices=("python", "tree"), required=True)
    parser.add_argument("--root", action="append", default=[], help="A source tree (with --source tree).")
    parser.add_argument("--files", type=int, default=10_000, help="Real files in the corpus (default 10000).")
    parser.add_argument("--planted", type=int, default=800, help="Planted near-duplicates (default 800).")
    parser.add_argument("--exact-copies", type=int, default=100, help="Planted exact copies (default 100).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="Folder for corpus.jsonl.gz and planted.json.")
    args = parser.parse_args()
    roots = python_roots() if args.source == "python" else args.root
    if not roots:
        parser.error("--source tree needs at least one --root")
    info = build(roots, args.files, args.planted, Path(args.out), args.seed, args.exact_copies)
    print(f"{info['documents']:,} documents, {info['bytes'] / 1e6:.1f} MB of text -> {args.out}/corpus.jsonl.gz")


if __name__ == "__main__":
    main()
