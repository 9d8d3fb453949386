"""Chunk-averaged scoring throughput: this project's ChunkEncoder vs a plain SentenceTransformer.encode.

Both score the same files with the same head, in the same run:
- baseline: each batch of files is tokenized whole, its top/middle/bottom chunk strings are cut from
  that tokenization, and `SentenceTransformer.encode(chunks)` embeds them in fp32 (encode sorts only
  within its call, one call per batch of files);
- ours: chunks cut from small character windows, token ids fed straight to the model, chunks from a
  large buffer of files sorted by length and packed under a token budget; bf16 on GPU.
Reports chunks/s, files/s, the speedup, the largest score difference and the lowest per-chunk cosine
between the two paths' embeddings (the bar for "equal scores": >= 0.999). `--dtype bfloat16` runs ours
in bf16 on CPU too. On GPU it also prints the FLOP-bound ceiling: peak bf16 FLOP/s / (2 *
non-embedding params * tokens per chunk). `benchmarks/scoring_backends.py` compares CPU inference
backends (ONNX Runtime, OpenVINO, torch.compile) on the forward pass alone.

Usage:
    python benchmarks/scoring.py --device cpu --files 200 --rounds 2 [--dtype bfloat16]
    python benchmarks/scoring.py --device cuda --encoder bert-base-random --files 4000
Imports only torch, numpy, transformers and sentence-transformers (no datatrove/datasets).
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from snowcoder_hf.annotator.chunks import _Window, _word_aligned_end, _word_aligned_start, starts_mid_word
from snowcoder_hf.annotator.encoder import MINILM_ID, ChunkEncoder, clean_text

PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L4": 121.0}


def corpus(n: int) -> list[str]:
    """Standard-library and site-packages source files: real code of every size, on every machine."""
    roots = [Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])]
    files = []
    for root in roots:
        files += sorted(p for p in root.rglob("*.py") if p.is_file() and p.stat().st_size > 0)
    rng = np.random.default_rng(0)
    rng.shuffle(files)
    return [clean_text(p.read_text(encoding="utf-8", errors="replace")) for p in files[:n]]


def baseline_chunks(text: str, encoder: ChunkEncoder) -> list[str]:
    """The same word-aligned top/middle/bottom rule, computed from a tokenization of the whole file."""
    window = _Window(text, 0, len(text), encoder.tokenize)
    n, total = encoder.max_tokens, len(window.ids)
    if total == 0:
        return []
    if total <= n:
        return [text[window.offsets[0][0] : window.offsets[-1][1]]]
    top_hi = _word_aligned_end(window, 0, n)
    bottom_lo = _word_aligned_start(window, max(0, total - n), total)
    spans = [(0, top_hi)]
    top_chars = window.offsets[top_hi - 1][1] - window.offsets[0][0]
    if window.offsets[bottom_lo][0] > window.offsets[top_hi - 1][1]:
        middle_start = max(0, len(text) // 2 - top_chars // 2)
        lo = next(i for i, (s, _) in enumerate(window.offsets) if s >= middle_start)
        if window.offsets[lo][0] == middle_start and starts_mid_word(text, middle_start):
            lo = next(i for i in range(lo, total) if window.words[i] != window.words[lo])  # may begin mid-word
        lo = _word_aligned_start(window, lo, total)
        spans.append((lo, _word_aligned_end(window, lo, min(total, lo + n))))
    spans.append((bottom_lo, total))
    return [text[window.offsets[lo][0] : window.offsets[hi - 1][1]] for lo, hi in spans]


def run_baseline(texts, encoder, head, batch_files):
    scores, chunks, vectors = [], 0, []
    for start in range(0, len(texts), batch_files):
        batch = texts[start : start + batch_files]
        per_file = [baseline_chunks(t, encoder) for t in batch]
        flat = [c for cs in per_file for c in cs]
        embeddings = encoder.model.encode(flat, batch_size=32, convert_to_numpy=True) if flat else np.zeros((0, 1))
        chunks += len(flat)
        vectors.append(np.asarray(embeddings, dtype=np.float32).reshape(len(flat), -1))
        position = 0
        for cs in per_file:
            rows = embeddings[position : position + len(cs)]
            position += len(cs)
            scores.append(float(np.mean(head(rows))) if len(cs) else None)
    return scores, chunks, np.concatenate(vectors) if vectors else np.zeros((0, 1), np.float32)


def run_ours(texts, encoder, head, buffer_files):
    scores, chunks, vectors = [], 0, []
    for start in range(0, len(texts), buffer_files):
        for rows in encoder.embed_documents(texts[start : start + buffer_files]):
            chunks += len(rows)
            vectors.append(rows)
            scores.append(float(np.mean(head(rows))) if len(rows) else None)
    return scores, chunks, np.concatenate(vectors) if vectors else np.zeros((0, 1), np.float32)


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    """The lowest cosine between matching rows (the same chunk embedded by both paths)."""
    if a.shape != b.shape:
        raise ValueError(f"the two paths embedded different chunks: {a.shape} vs {b.shape}")
    dots = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(dots.min()) if len(dots) else 1.0


def build_encoder(name: str, workdir: Path, texts: list[str]) -> str:
    if name == "minilm":
        return MINILM_ID
    if name == "bert-base-random":
        from snowcoder_hf.annotator.random_encoder import build_random_encoder

        return str(build_random_encoder(workdir / "bert-base-random", "bert-base-random", corpus=texts[:2000]))
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--encoder", default="minilm", help="minilm, bert-base-random, or a model id/folder")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--batch-files", type=int, default=64, help="baseline: files per encode call")
    parser.add_argument("--buffer-files", type=int, default=1024, help="ours: files sorted together")
    parser.add_argument("--batch-tokens", type=int, default=None, help="ours: padded tokens per batch")
    parser.add_argument(
        "--dtype",
        default="auto",
        choices=("auto", "float32", "bfloat16", "float16"),
        help="ours: encoder precision (auto: bf16 on GPU, fp32 on CPU)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds (order alternates); best of each kept")
    parser.add_argument("--peak-tflops", type=float, default=None, help="bf16 dense peak (default: by GPU name)")
    args = parser.parse_args()

    import torch

    from snowcoder_hf.annotator.head import LinearHead

    texts = corpus(args.files)
    with tempfile.TemporaryDirectory() as tmp:
        encoder_id = build_encoder(args.encoder, Path(tmp), texts)
        fp32 = ChunkEncoder(encoder_id, device=args.device, dtype="float32")
        ours = ChunkEncoder(encoder_id, device=args.device, dtype=args.dtype, batch_tokens=args.batch_tokens)
        head = LinearHead("classification", np.random.default_rng(0).normal(size=ours.dim) * 3, 0.0)
        run_baseline(texts[:16], fp32, head, args.batch_files)  # warm-up both paths
        run_ours(texts[:16], ours, head, args.buffer_files)
        results = {}
        paths = [("baseline", run_baseline, fp32, args.batch_files), ("ours", run_ours, ours, args.buffer_files)]
        for round_index in range(args.rounds):  # alternating order; the best time of each is kept
            for name, fn, enc, size in paths if round_index % 2 == 0 else paths[::-1]:
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                start = time.perf_counter()
                scores, chunks, vectors = fn(texts, enc, head, size)
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                seconds = time.perf_counter() - start
                print(f"  round {round_index + 1} {name}: {seconds:.2f}s", flush=True)
                if name not in results or seconds < results[name][0]:
                    results[name] = (seconds, scores, chunks, vectors)
        base_s, base_scores, base_chunks, base_vectors = results["baseline"]
        our_s, our_scores, our_chunks, our_vectors = results["ours"]
        diffs = [abs(a - b) for a, b in zip(base_scores, our_scores, strict=True) if a is not None and b is not None]
        tokens = np.mean([len(c.token_ids) + 2 for cs in ours.chunk(texts[:500], "top_middle_bottom") for c in cs])
        print(f"device={args.device} ({torch.cuda.get_device_name() if args.device.startswith('cuda') else 'cpu'}) "
              f"encoder={args.encoder} window={ours.window} dtype={ours.dtype} files={len(texts)} "
              f"threads={torch.get_num_threads()}")  # fmt: skip
        for name, (seconds, _, chunks, _) in results.items():
            print(f"{name:>8}: {seconds:8.2f}s  {chunks / seconds:9.1f} chunks/s  {len(texts) / seconds:8.1f} files/s")
        print(
            f" speedup: {base_s / our_s:.2f}x   chunks: {base_chunks} vs {our_chunks}   "
            f"max |score diff|: {max(diffs):.2e}   mean: {np.mean(diffs):.2e}   tokens/chunk: {tokens:.0f}   "
            f"min per-chunk cosine: {min_cosine(base_vectors, our_vectors):.5f}"
        )
        params = sum(p.numel() for n, p in ours.model.named_parameters() if "embeddings" not in n)
        if args.device.startswith("cuda"):
            name = torch.cuda.get_device_name()
            peak = args.peak_tflops or next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)
            if peak:
                ceiling = peak * 1e12 / (2 * params * tokens)
                print(f"FLOP-bound ceiling: {ceiling:,.0f} chunks/s (2 x {params / 1e6:.1f}M non-embedding params x "
                      f"{tokens:.0f} tokens at {peak:.0f} TFLOP/s bf16); ours reaches "
                      f"{our_chunks / our_s / ceiling:.1%} of it")  # fmt: skip


if __name__ == "__main__":
    main()
