"""`snowcoder annotator build-data|train|validate|rate`: train and compare quality annotators, rate files."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from snowcoder_hf.cli.api_flags import add_api_flags, native_overrides


def _command_line() -> str:
    return "snowcoder " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _build_data(args: argparse.Namespace) -> int:
    from snowcoder_hf.annotator.sources import DEFAULT_SOURCES
    from snowcoder_hf.annotator.training import build_training_data

    if args.sources:
        import yaml

        sources = yaml.safe_load(Path(args.sources).read_text())
    elif args.offline:
        sources = {"hq": [{"type": "stdlib_hq"}], "ins": [{"type": "package_instructions"}]}
    else:
        sources = DEFAULT_SOURCES
    manifest = build_training_data(args.output, stage1_files=args.stage1_files, sources=sources,
                                   limits={"hq": args.limit, "ins": args.limit}, negatives=args.negatives,
                                   heldout_negatives=args.heldout, ratings=args.ratings, seed=args.seed)  # fmt: skip
    for source, splits in manifest["counts"].items():
        print(f"{source:>10}: {splits['train']:>6} train, {splits['heldout']:>6} held out")
    print(f"training data: {Path(args.output) / 'records.jsonl.gz'}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from snowcoder_hf.annotator.training import train_annotator

    annotator = train_annotator(args.data, args.variant, args.output, encoder=args.encoder,
                                encoder_revision=args.encoder_revision, cache_dir=args.cache, chunks=args.chunks,
                                c=args.c, seed=args.seed, device=args.device, command=_command_line(),
                                config_text=json.dumps(vars(args) | {"func": None}, default=str))  # fmt: skip
    print(json.dumps(annotator.config.metrics, indent=2))
    print(f"annotator: {args.output}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from snowcoder_hf.annotator.validate import run_validation

    table = run_validation(args.annotators, args.data, args.benchmarks.split(","), args.benchmark_dir, args.output,
                           cache_dir=args.cache, device=args.device, command=_command_line())  # fmt: skip
    print((Path(args.output) / "validation.md").read_text())
    return 0 if table else 1


def _rate(args: argparse.Namespace) -> int:
    from snowcoder_hf.annotator.edu_rating import RatingSettings, rate_files
    from snowcoder_hf.common.reporting import BlockCounts, print_summary
    from snowcoder_hf.synth.client import EndpointConfig, EndpointUnreachable

    endpoint = EndpointConfig(url=args.endpoint, model=args.model, token_env=args.token_env,
                              max_retries=args.max_retries, timeout_s=args.timeout_s, api=args.api or "chat",
                              native=native_overrides(args))  # fmt: skip
    settings = RatingSettings(max_chars=args.max_chars, max_tokens=args.max_tokens,
                              unparsed_retries=args.unparsed_retries, seed=args.seed)  # fmt: skip
    try:
        summary = rate_files(args.input, args.output, endpoint, settings=settings, concurrency=args.concurrency,
                             cache_dir=args.cache, show_progress=not args.no_progress)  # fmt: skip
    except EndpointUnreachable as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    block = BlockCounts(name="EDU rating", forwarded=summary.written, dropped=summary.unparsed + summary.failed,
                        reasons={k: v for k, v in (("unparsed_answer", summary.unparsed),
                                                   ("request_failed", summary.failed)) if v})  # fmt: skip
    print_summary("snowcoder annotator rate", [block], summary.elapsed_s)
    histogram = ", ".join(f"{score:g}: {n:,}" for score, n in sorted(summary.scores.items())) or "-"
    print(f"scores: {histogram}")
    print(f"resumed from cache: {summary.resumed:,}; answers without a score (retried): {summary.unparsed_answers:,}; "
          f"request retries: {summary.request_retries:,} {summary.retry_reasons or ''}")  # fmt: skip
    for error in summary.errors:
        print(f"failed: {error}", file=sys.stderr)
    print(f"ratings: {args.output}")
    return 1 if summary.failed else 0


def register(subparsers) -> None:
    from snowcoder_hf.annotator.encoder import DEFAULT_ENCODER_ID

    parser = subparsers.add_parser(
        "annotator",
        help="Build annotator training data, train heads from cached embeddings, report ROC-AUC alignment.",
        description="The paper's quality annotators (ANN-HQ, HQINS, INS, EDU): a linear head on a frozen "
        "sentence encoder. `validate` compares annotators by ROC-AUC on benchmark solutions vs random files.",
    )
    sub = parser.add_subparsers(dest="annotator_command", metavar="STEP", required=True)

    build = sub.add_parser("build-data", help="Pool positives (HQ, instructions) and random stage-1 negatives.")
    build.add_argument("--stage1-files", required=True, help="Stage-1 `files/` folder: where negatives are drawn.")
    build.add_argument("--output", required=True)
    group = build.add_mutually_exclusive_group()
    group.add_argument("--sources", help="YAML {hq: [source...], ins: [source...]} (hub id+revision or local path).")
    group.add_argument("--offline", action="store_true", help="Use the documented offline stand-ins for positives.")
    build.add_argument("--limit", type=int, default=1000, help="At most this many records per positive source.")
    build.add_argument("--negatives", type=int, default=1000, help="Random stage-1 files for training.")
    build.add_argument("--heldout", type=int, default=300, help="Disjoint random stage-1 files held out.")
    build.add_argument(
        "--ratings",
        default=None,
        help="EDU ratings JSONL, one {id, text, score 1-5} per line (for the ins/edu variants).",
    )
    build.add_argument("--seed", type=int, default=0)
    build.set_defaults(func=_build_data)

    train = sub.add_parser("train", help="Train one variant's head from cached chunk embeddings.")
    train.add_argument("--data", required=True, help="Folder written by `annotator build-data`.")
    train.add_argument("--variant", choices=("hq", "hqins", "ins", "edu"), default="hqins")
    train.add_argument("--output", required=True, help="Annotator folder to write.")
    train.add_argument("--encoder", default=DEFAULT_ENCODER_ID, help="Sentence-transformers encoder id or folder.")
    train.add_argument("--encoder-revision", default=None)
    train.add_argument("--cache", default=None, help="Embedding cache folder (default: DATA/embeddings).")
    train.add_argument("--chunks", choices=("top_middle_bottom", "first", "all"), default="top_middle_bottom")
    train.add_argument("--c", type=float, default=1.0, help="Inverse regularization strength of the head.")
    train.add_argument("--device", default=None)
    train.add_argument("--seed", type=int, default=0)
    train.set_defaults(func=_train)

    validate = sub.add_parser("validate", help="ROC-AUC per benchmark for one or more annotators, with a plot.")
    validate.add_argument("--annotators", nargs="+", required=True, help="Annotator folders to compare.")
    validate.add_argument("--data", required=True, help="Training-data folder (its held-out negatives are used).")
    validate.add_argument("--benchmarks", default="humaneval,mbpp_plus,evoeval,bigcodebench",
                          help="Comma-separated benchmark names (see snowcoder_hf.evalsets.registry).")  # fmt: skip
    validate.add_argument("--benchmark-dir", default=None, help="Folder of offline benchmark release files.")
    validate.add_argument("--output", required=True, help="Where validation.md, validation.json and roc.png go.")
    validate.add_argument("--cache", default=None, help="Embedding cache folder (default: DATA/embeddings).")
    validate.add_argument("--device", default=None)
    validate.set_defaults(func=_validate)

    rate = sub.add_parser("rate", help="ANN-EDU: an LLM rates each file's educational value 1-5 (cached, resumable).",
                          description="Ask an OpenAI-compatible server (TGI, vLLM, `transformers serve`, ...) to rate "
                          "each file's educational value for a student learning basic coding concepts (phi-1). "
                          "Writes the {id, text, score} JSONL that `build-data --ratings` reads. Rerun the same "
                          "command to resume: finished ratings are cached per (id, prompt, model).")  # fmt: skip
    rate.add_argument("--input", required=True, help="JSONL/JSONL.GZ/Parquet file or folder of documents.")
    rate.add_argument("--output", required=True, help="Ratings JSONL to write.")
    rate.add_argument("--endpoint", required=True, help="Server URL, e.g. http://127.0.0.1:8080.")
    rate.add_argument("--model", required=True, help="Served model name (sent with every request).")
    rate.add_argument("--concurrency", type=int, default=16, help="Requests in flight.")
    rate.add_argument("--cache", default=None, help="Rating cache folder (default: OUTPUT.cache).")
    rate.add_argument("--max-chars", type=int, default=6000, help="Characters of each file shown to the model.")
    rate.add_argument("--max-tokens", type=int, default=128, help="Answer length limit.")
    rate.add_argument("--unparsed-retries", type=int, default=2, help="New tries for an answer without a score.")
    rate.add_argument("--max-retries", type=int, default=8, help="Retries of 429/5xx/timeouts per request.")
    rate.add_argument("--timeout-s", type=float, default=300.0, help="Per-request timeout.")
    rate.add_argument("--token-env", default="HF_TOKEN", help="Environment variable holding the bearer token.")
    rate.add_argument("--seed", type=int, default=0)
    rate.add_argument("--no-progress", action="store_true", help="No progress bar.")
    add_api_flags(rate)
    rate.set_defaults(func=_rate)
