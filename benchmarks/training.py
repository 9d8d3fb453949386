"""Training throughput: the recipe's packed path against a plain Trainer, on CPU; the 1.3B preset on a GPU.

    python benchmarks/training.py cpu            # tiny and ~100M presets, packed vs unpacked-padded Trainer
    python benchmarks/training.py gpu            # arctic-1.3b at seq 8192, bf16 + SDPA, micro-batch sweep

Both print one `RESULT_JSON {...}` line. The GPU mode imports only torch, transformers, accelerate and
numpy, so it runs on a box without datasets, datatrove or trl; it stays under 8 minutes (`--budget-s`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout, not installed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    gpu = modes.add_parser("gpu", help="arctic-1.3b at seq 8192 on one GPU")
    gpu.add_argument("--seq-len", type=int, default=8192)
    gpu.add_argument("--micro-batches", type=int, nargs="+", default=[1, 2, 4, 8])
    gpu.add_argument("--steps", type=int, default=6, help="measured steps per size (after 3 warm-up steps)")
    gpu.add_argument("--budget-s", type=float, default=420.0, help="stop starting new measurements after this")
    gpu.add_argument("--no-compile", action="store_true", help="skip the torch.compile variant")
    cpu = modes.add_parser("cpu", help="tiny and ~100M presets on CPU, packed vs plain padded Trainer")
    cpu.add_argument("--presets", nargs="+", default=["tiny", "arctic-100m"])
    cpu.add_argument("--steps", type=int, default=0, help="measured steps per arm (0: preset default)")
    cpu.add_argument("--threads", type=int, default=2)
    cpu.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.mode == "gpu":
        from training_gpu import run_gpu

        result = run_gpu(args.seq_len, tuple(args.micro_batches), steps=args.steps, budget_s=args.budget_s,
                         compile_best=not args.no_compile)  # fmt: skip
    else:
        from training_cpu import run_cpu

        result = run_cpu(args.presets, steps=args.steps, threads=args.threads)
    line = json.dumps(result)
    print("RESULT_JSON " + line, flush=True)
    if getattr(args, "output", None):
        args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
