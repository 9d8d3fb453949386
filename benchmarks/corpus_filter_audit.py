"""Stage 1's reader + language id + heuristic filters on a corpus built by benchmarks/corpus.py, per language.

Draws up to --per-language files of each language (seeded), runs them through `hub_code_reader` ->
`LanguageIdentifier` -> `CodeHeuristicFilter` on DataTrove's local executor, and reports kept and dropped
files per language and reason, with --examples drops per language and the evidence each rule saw (the
matched header line, the longest line, the fractions), for checking by hand which drops are false.

Usage:
    python benchmarks/corpus_filter_audit.py --corpus corpus-large --work-dir corpus-audit \
        --per-language 2000 --examples 10 --results benchmarks/results/corpus_filter_audit.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `corpus_builder` sits beside this script

from corpus_builder.audit import markdown_table, run_stage1_filters, sample_corpus, summarize

from snowcoder_hf.common.languages import PAPER_LANGUAGES


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True, type=Path, help="a folder written by benchmarks/corpus.py")
    parser.add_argument("--work-dir", required=True, type=Path, help="sample, removed/ and logs go here (replaced)")
    parser.add_argument("--per-language", type=int, default=2000)
    parser.add_argument("--examples", type=int, default=10, help="drops per language kept with their evidence")
    parser.add_argument("--languages", nargs="+", default=list(PAPER_LANGUAGES), help="default: the paper's 18")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=None, help="write the report as JSON here")
    args = parser.parse_args(argv)
    if not (args.corpus / "data").is_dir():
        raise SystemExit(f"error: --corpus {args.corpus} has no data/ folder; build one with benchmarks/corpus.py.")
    if args.per_language < 1 or args.examples < 0:
        raise SystemExit("error: --per-language must be at least 1 and --examples at least 0.")
    shutil.rmtree(args.work_dir, ignore_errors=True)
    start = time.perf_counter()
    sampled = sample_corpus(args.corpus, args.work_dir / "sample", args.per_language, args.seed, args.languages)
    sampled_at = time.perf_counter()
    run_stage1_filters(args.work_dir / "sample", args.work_dir)
    filtered_at = time.perf_counter()
    report = summarize(args.work_dir / "sample", args.work_dir, sampled, args.examples, args.seed)
    result = {"corpus": args.corpus.name, "per_language": args.per_language, "seed": args.seed,
              "seconds": {"sample": round(sampled_at - start, 1), "filters": round(filtered_at - sampled_at, 1)},
              "languages": report}  # fmt: skip
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    print(markdown_table(report))
    return result


if __name__ == "__main__":
    main()
