"""`snowcoder decontaminate`: remove, annotate or audit benchmark leaks in a document set."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

DEFAULT_BENCHMARKS = "humaneval_plus,mbpp_plus,evoeval,bigcodebench"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "decontaminate",
        help="Remove or annotate documents that contain benchmark problems; audit nearest benchmark problems.",
        description=(
            "Match documents against benchmark prompts, solutions and tests (verbatim, renamed or reformatted, "
            "or a problem statement pasted as prose). `filter` writes OUT/kept and OUT/removed, `annotate` keeps "
            "everything with `metadata.contamination`, `audit` writes OUT/matches.md (every flagged document's "
            "matches: benchmark, task, channel, span and an excerpt) and OUT/audit.md with the nearest benchmark "
            "problems by embedding similarity and AST match rate (phi-1's pruning)."
        ),
    )
    parser.add_argument("--input", required=True, help="JSONL, JSONL.GZ or Parquet file, or a folder of them.")
    parser.add_argument("--output", required=True, help="Output folder.")
    parser.add_argument(
        "--benchmarks", default=DEFAULT_BENCHMARKS, help=f"Comma-separated (default {DEFAULT_BENCHMARKS})."
    )
    parser.add_argument("--benchmark-dir", help="Folder of the benchmarks' release files; default: the Hub.")
    parser.add_argument("--mode", choices=("filter", "annotate", "audit"), default="filter")
    parser.add_argument("--allowlist", help="A file of snippets never counted as evidence, separated by lines `---`.")
    parser.add_argument("--ignore-task", action="append", default=[], metavar="BENCHMARK:TASK_ID",
                        help="A task whose matches are ignored (repeatable).")  # fmt: skip
    parser.add_argument("--reference", default="stdlib", help="Ordinary code to learn boilerplate n-grams from: "
                        "`stdlib` (a sample of the standard library and installed packages), `none`, or a folder.")  # fmt: skip
    parser.add_argument("--cache-dir", help="Where built indexes are cached (default ~/.cache/snowcoder_hf/decont).")
    parser.add_argument("--tasks", type=int, default=1, help="DataTrove tasks (filter/annotate).")
    parser.add_argument("--workers", type=int, default=1, help="DataTrove workers running at once.")
    parser.add_argument("--encoder", help="Sentence-transformers model folder for audit (default: offline MiniLM).")
    parser.add_argument("--top-k", type=int, default=5, help="Nearest benchmark problems per document (audit).")
    parser.add_argument("--prune-at", type=float, help="Audit: also write OUT/kept and OUT/removed, removing "
                        "documents whose best AST match rate is at least this.")  # fmt: skip
    parser.set_defaults(func=handler)


def read_allowlist(path: str | None) -> list[str]:
    if not path:
        return []
    text = Path(path).read_text(encoding="utf-8")
    return [block.strip("\n") for block in text.split("\n---\n") if block.strip()]


def handler(args: argparse.Namespace) -> int:
    from snowcoder_hf.evalsets.registry import expand_benchmarks

    benchmarks = expand_benchmarks(args.benchmarks)
    if args.tasks < 1 or args.workers < 1:
        raise ValueError("`--tasks` and `--workers` must be at least 1.")
    if args.mode == "audit":
        return run_audit(args, benchmarks)
    return run_filter(args, benchmarks)


def run_filter(args: argparse.Namespace, benchmarks: list[str]) -> int:
    from snowcoder_hf.common.executors import build_executor
    from snowcoder_hf.common.reporting import load_pipeline_stats, print_summary
    from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter
    from snowcoder_hf.pipeline.document_files import (
        DocumentFileReader,
        find_document_files,
        kept_writer,
        removed_writer,
    )

    find_document_files(args.input)
    output = Path(args.output)
    block = BenchmarkDecontaminationFilter(
        benchmarks, args.benchmark_dir, mode=args.mode, exclusion_writer=removed_writer(output, "decontaminate"),
        allowlist=read_allowlist(args.allowlist), ignore_tasks=args.ignore_task, cache_dir=args.cache_dir,
        reference=None if args.reference == "none" else args.reference,
    )  # fmt: skip
    start = time.time()
    block.index  # noqa: B018 - build (or load) once here, so every worker finds it in the cache
    pipeline = [DocumentFileReader(args.input, exclusion_writer=removed_writer(output, "reader")), block,
                kept_writer(output)]  # fmt: skip
    executor = build_executor(pipeline, {"type": "local", "tasks": args.tasks, "workers": args.workers},
                              str(output / "stats"))  # fmt: skip
    executor.run()
    blocks = load_pipeline_stats(output / "stats")
    print_summary(f"snowcoder decontaminate ({args.mode})", blocks, time.time() - start)
    table = match_table(output, args.mode)
    print_match_table(table)
    (output / "matches.json").write_text(json.dumps({f"{b}|{k}": n for (b, k), n in sorted(table.items())}, indent=1))
    return 0


def match_table(output: Path, mode: str) -> Counter:
    """Matches per (benchmark, kind), read back from the documents that carry `metadata.contamination`."""
    import gzip

    folder = output / ("removed" if mode == "filter" else "kept")
    pattern = "decontaminate_*.jsonl.gz" if mode == "filter" else "*.jsonl.gz"
    table: Counter = Counter()
    for path in sorted(folder.glob(pattern)):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                for match in json.loads(line).get("metadata", {}).get("contamination") or []:
                    table[(match["benchmark"], match["kind"])] += 1
    return table


def print_match_table(table: Counter) -> None:
    from rich.console import Console
    from rich.table import Table

    from snowcoder_hf.decont.matcher import MATCH_KINDS

    out = Table(title="Matches per benchmark and kind", title_justify="left")
    out.add_column("benchmark")
    for kind in MATCH_KINDS:
        out.add_column(kind, justify="right")
    for benchmark in sorted({b for b, _ in table}):
        out.add_row(benchmark, *(f"{table[(benchmark, kind)]:,}" for kind in MATCH_KINDS))
    if not table:
        out.add_row("(no matches)", *("0" for _ in MATCH_KINDS))
    Console().print(out)


def run_audit(args: argparse.Namespace, benchmarks: list[str]) -> int:
    import gzip

    from rich.console import Console
    from tqdm import tqdm

    from snowcoder_hf.decont.audit import audit, render_report, threshold_counts
    from snowcoder_hf.decont.match_report import render_match_report
    from snowcoder_hf.evalsets.registry import load_benchmark
    from snowcoder_hf.pipeline.document_files import DocumentFileReader, find_document_files

    if args.top_k < 1:
        raise ValueError(f"`--top-k` must be at least 1, got {args.top_k}.")
    if args.prune_at is not None and not 0 < args.prune_at <= 1:
        raise ValueError(f"`--prune-at` must be in (0, 1], got {args.prune_at}.")
    find_document_files(args.input)
    encode, encoder_name = load_encoder(args.encoder)
    items = [item for name in benchmarks for item in load_benchmark(name, args.benchmark_dir)]
    documents = list(tqdm(DocumentFileReader(args.input).run(), desc="reading", unit="doc"))
    rows = audit([(d.id, d.text) for d in documents], items, encode, top_k=args.top_k)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    found = match_documents(args, benchmarks, documents)
    flagged = [(d.id, d.text, m) for d, m in zip(documents, found, strict=True) if m]
    (output / "matches.md").write_text(render_match_report(flagged, benchmarks, len(documents)), encoding="utf-8")
    (output / "audit.md").write_text(render_report(rows, encoder_name, benchmarks), encoding="utf-8")
    with gzip.open(output / "audit.jsonl.gz", "wt", encoding="utf-8") as f:
        for row, matches in zip(rows, found, strict=True):
            neighbors = [{k: v for k, v in n.items() if k != "text"} for n in row.neighbors]
            f.write(json.dumps({"id": row.doc_id, "best_ast_match": row.best_ast_match, "neighbors": neighbors,
                                "contamination": matches}) + "\n")  # fmt: skip
    if args.prune_at is not None:
        _write_pruned(output, documents, rows, args.prune_at)
    console = Console()
    console.print(f"audited {len(rows):,} documents against {len(items):,} benchmark problems ({encoder_name})")
    for threshold, count in threshold_counts(rows).items():
        console.print(f"  AST match rate >= {threshold:.2f}: {count:,}")
    console.print(f"{len(flagged):,} documents match: {output / 'matches.md'}")
    console.print(f"report: {output / 'audit.md'}")
    return 0


def match_documents(args: argparse.Namespace, benchmarks: list[str], documents) -> list[list[dict]]:
    """The match records of every document, with the same settings `filter` and `annotate` use."""
    from tqdm import tqdm

    from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter

    block = BenchmarkDecontaminationFilter(
        benchmarks, args.benchmark_dir, mode="annotate", allowlist=read_allowlist(args.allowlist),
        ignore_tasks=args.ignore_task, cache_dir=args.cache_dir,
        reference=None if args.reference == "none" else args.reference,
    )  # fmt: skip
    return [block.matches(d.text) for d in tqdm(documents, desc="matching", unit="doc")]


def _write_pruned(output: Path, documents, rows, threshold: float) -> None:
    import gzip

    for sub in ("kept", "removed"):
        (output / sub).mkdir(parents=True, exist_ok=True)
    with (gzip.open(output / "kept" / "00000.jsonl.gz", "wt", encoding="utf-8") as kept,
          gzip.open(output / "removed" / "audit_00000.jsonl.gz", "wt", encoding="utf-8") as removed):  # fmt: skip
        for doc, row in zip(documents, rows, strict=True):
            metadata = {**doc.metadata, "benchmark_ast_match": row.best_ast_match}
            target = removed if row.best_ast_match >= threshold else kept
            if target is removed:
                metadata["filter_reason"] = "similar_to_benchmark"
            target.write(json.dumps({"id": doc.id, "text": doc.text, "metadata": metadata}) + "\n")


def load_encoder(path: str | None):
    """`(encode(texts) -> array, name)`; the offline MiniLM unless a folder is given."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as err:
        raise ImportError("The audit needs `pip install 'snowcoder_hf[annotate]'` (sentence-transformers).") from err
    from snowcoder_hf.common.offline_models import minilm_path

    folder = str(path or minilm_path())
    model = SentenceTransformer(folder, device="cpu")

    def encode(texts: list[str]):
        return model.encode(texts, batch_size=32, show_progress_bar=len(texts) > 256, convert_to_numpy=True)

    return encode, Path(folder).name if path else "all-MiniLM-L6-v2 (offline)"
