"""Greedy samples for the execution benchmarks with plain batched `transformers` generation.

Writes one JSONL per benchmark (`task_id`, `benchmark`, `prompt_style`, `completion`, `raw`) that
`snowcoder eval --samples FILE` scores, so generation (GPU) and execution (CPU) can run on different
machines. Imports only torch, transformers (gguf for GGUF files) and the standard-library prompt and
registry modules: no lighteval, datatrove or datasets.

Usage:
    python benchmarks/generate_samples.py --model DIR [--gguf-file NAME] --benchmark-dir BENCH \
        --benchmarks humaneval_plus,mbpp_plus,evoeval,bigcodebench --output samples/ [--limit N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from snowcoder_hf.eval.generation import generate, load_model
from snowcoder_hf.eval.prompts import default_style
from snowcoder_hf.evalsets.registry import expand_benchmarks, load_benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--gguf-file", default=None)
    parser.add_argument("--benchmark-dir", required=True)
    parser.add_argument("--benchmarks", default="humaneval_plus,mbpp_plus,evoeval,bigcodebench")
    parser.add_argument("--output", required=True, help="folder for <benchmark>.jsonl")
    parser.add_argument("--style", choices=("auto", "completion", "chat"), default="auto")
    parser.add_argument("--paper-prompts", action="store_true", help="strip the prompt's trailing newline")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=768)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer, lm = load_model(args.model, args.gguf_file, device)
    style = default_style(tokenizer) if args.style == "auto" else args.style
    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in expand_benchmarks(args.benchmarks):
        items = load_benchmark(name, args.benchmark_dir)[: args.limit]
        start = time.perf_counter()
        rows = generate(items, tokenizer, lm, style, args.batch_size, args.max_new_tokens, args.paper_prompts)
        with open(out_dir / f"{name}.jsonl", "w") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
        print(f"{name}: {len(rows)} samples in {time.perf_counter() - start:.1f}s on {device} ({style})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
