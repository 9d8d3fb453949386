"""`snowcoder synth oss-instruct|textbook|exercises`: stage-3 synthetic data against an OpenAI-compatible server."""

from __future__ import annotations

import argparse

from snowcoder_hf.cli.api_flags import add_api_flags, native_overrides

KINDS = {"oss-instruct": "oss_instruct", "textbook": "textbook", "exercises": "exercises"}
LOCAL = "local"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="Generate stage-3 synthetic data (OSS-Instruct files, textbook sections, exercises).",
        description="Plan requests, generate them against a TGI/vLLM/`transformers serve` endpoint with retries, "
        "checkpoints and a replay cache, then validate, deduplicate and decontaminate. Writes OUT/synthetic/, "
        "OUT/mixture.yaml and OUT/report.md. `--endpoint local` serves SmolLM2-135M-Instruct offline.",
    )
    parser.add_argument("kind", choices=sorted(KINDS), help="What to generate.")
    parser.add_argument("--input", help="Seed documents (stage-2 selected/ or jsonl/parquet); oss-instruct only.")
    parser.add_argument("--output", required=True, help="Output folder.")
    parser.add_argument("--config", help="A stage3_data.yaml; the flags below override its keys.")
    parser.add_argument("--endpoint", help=f"Server URL, e.g. http://127.0.0.1:8080, or `{LOCAL}` (default).")
    parser.add_argument("--model", help="Served model name, sent with every request.")
    parser.add_argument("--token-env", help="Environment variable holding the API token (default HF_TOKEN).")
    parser.add_argument("--num-samples", type=int, help="Number of requests to plan.")
    parser.add_argument("--concurrency", type=int, help="Requests in flight (<= the server's limit; TGI 128).")
    parser.add_argument("--max-tokens", type=int, help="max_tokens of every request (TGI defaults to 1024).")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--seed-policy", choices=["document", "snippet"])
    parser.add_argument("--benchmark-dir", help="Offline benchmark files for decontamination.")
    parser.add_argument("--decontaminate", help="Comma-separated benchmark names; `none` to skip.")
    parser.add_argument("--no-progress", action="store_true", help="Hide the live progress line.")
    add_api_flags(parser)
    parser.set_defaults(func=handle)


def _overrides(args: argparse.Namespace) -> dict:
    decont = None
    if args.decontaminate is not None:
        decont = [] if args.decontaminate == "none" else [b.strip() for b in args.decontaminate.split(",") if b.strip()]
    return {"kind": KINDS[args.kind], "input": args.input, "output": args.output, "model": args.model,
            "token_env": args.token_env, "num_samples": args.num_samples, "concurrency": args.concurrency,
            "max_tokens": args.max_tokens, "temperature": args.temperature, "seed_policy": args.seed_policy,
            "benchmark_dir": args.benchmark_dir, "decontaminate": decont, "api": args.api,
            "show_progress": False if args.no_progress else None}  # fmt: skip


def handle(args: argparse.Namespace) -> int:
    import dataclasses
    import sys
    from pathlib import Path

    from loguru import logger as loguru_logger

    from snowcoder_hf.stages.stage3_data import run_stage3
    from snowcoder_hf.synth.config import Stage3Config
    from snowcoder_hf.synth.report import print_stage3_summary

    loguru_logger.remove()  # DataTrove's per-step logs would bury the progress line
    loguru_logger.add(sys.stderr, level="WARNING")
    overrides = _overrides(args)
    endpoint = args.endpoint or LOCAL
    if args.config:
        config = Stage3Config.from_yaml(args.config, **overrides)
        endpoint = args.endpoint or config.endpoint
    else:
        config = Stage3Config(**{k: v for k, v in overrides.items() if v is not None})
    if native_overrides(args):  # merged into the config file's `tgi_native`, then checked again
        config = dataclasses.replace(config, tgi_native={**config.tgi_native, **native_overrides(args)})
    if endpoint == LOCAL and config.api != "chat":
        raise ValueError("`--endpoint local` serves the chat API only (`transformers serve`); pass a TGI URL "
                         "with `--api tgi-native`.")  # fmt: skip
    if endpoint != LOCAL:
        config.endpoint = endpoint
        print_stage3_summary(run_stage3(config))
        return 0
    from snowcoder_hf.standins.transformers_serve import serve_local_model

    cache = Path(config.output) / ".cache"
    with serve_local_model(cache) as server:
        config.endpoint, config.model = server.base_url, server.model
        print_stage3_summary(run_stage3(config))
    return 0
