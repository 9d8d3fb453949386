"""CPU inference backends for the annotator's encoder, on the forward pass alone: the same packed chunks, the same model.

The chunks are the project's (top/middle/bottom of real source files, ~245 tokens each for
all-MiniLM-L6-v2), packed by length under the same token budget as `ChunkEncoder`. Each backend embeds
them; the table gives chunks/s, the ratio to torch fp32, the lowest per-chunk cosine to torch fp32
(the bar for equal scores: >= 0.999) and the one-off cost before the first batch (conversion,
export or compilation). Backends whose packages are missing are reported as skipped.

- torch fp32 / bf16: eager PyTorch, SDPA attention (bf16 runs on oneDNN's AVX512-BF16/AMX kernels);
- torch.compile fp32 / bf16: inductor, dynamic shapes;
- ONNX Runtime fp32: `torch.onnx.export` then an ORT session with every graph optimization on (the
  `onnx` package it needs wants protobuf >= 6.31);
- OpenVINO f32 / bf16: `openvino.convert_model` of the same module, then the CPU plugin with that
  inference precision.

sentence-transformers' own `backend="onnx"`/`"openvino"` need optimum / optimum-intel, whose releases
pin transformers < 5 (or reinstall torch), so they cannot be installed beside this stack.

Usage:
    OMP_NUM_THREADS=1 python benchmarks/scoring_backends.py --chunks 32 --rounds 2 \\
        --backends torch-fp32,torch-bf16,openvino-f32,openvino-bf16,onnxruntime-fp32
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BACKENDS = ("torch-fp32", "torch-bf16", "torch.compile-fp32", "torch.compile-bf16", "onnxruntime-fp32",
            "openvino-f32", "openvino-bf16")  # fmt: skip
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def packed_batches(sequences, prefix, suffix, pad_id, budget):
    """(indices, ids, mask, token types) per batch: longest first, padded tokens under `budget`, as ChunkEncoder."""
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    out, position = [], 0
    while position < len(order):
        longest = len(sequences[order[position]]) + len(prefix) + len(suffix)
        size = max(1, min(256, budget // longest, len(order) - position))
        batch = order[position : position + size]
        rows = [prefix + list(sequences[i]) + suffix for i in batch]
        ids = np.full((len(rows), max(map(len, rows))), pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for j, row in enumerate(rows):
            ids[j, : len(row)], mask[j, : len(row)] = row, 1
        out.append((batch, ids, mask, np.zeros_like(ids)))
        position += size
    return out


def _module(sentence_transformer):
    import torch

    class Embed(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
            return self.model.forward(features)["sentence_embedding"]

    return Embed(sentence_transformer).eval()


def _torch(module):
    import torch

    def run(ids, mask, types):
        with torch.inference_mode():
            return module(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(types)).float().numpy()

    return run


def build(name: str, model, example, work: Path):
    """A function (ids, mask, types) -> embeddings for backend `name`."""
    import torch

    if name.startswith("torch"):
        module = _module(copy.deepcopy(model).to(torch.bfloat16 if name.endswith("bf16") else torch.float32))
        if name.startswith("torch.compile"):
            module = torch.compile(module, dynamic=True)
        run = _torch(module)
        run(*example)  # compiles here, for torch.compile
        return run
    tensors = tuple(torch.from_numpy(x) for x in example)
    if name == "onnxruntime-fp32":
        import onnxruntime as ort

        path = work / "encoder.onnx"
        torch.onnx.export(_module(model), tensors, str(path), input_names=list(INPUTS), output_names=["embedding"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in INPUTS}, dynamo=False, opset_version=17)  # fmt: skip
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = torch.get_num_threads()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return lambda ids, mask, types: session.run(None, dict(zip(INPUTS, (ids, mask, types), strict=True)))[0]
    if name.startswith("openvino"):
        import openvino as ov

        converted = ov.convert_model(_module(model), example_input=tensors, input=[ov.PartialShape([-1, -1])] * 3)
        compiled = ov.Core().compile_model(converted, "CPU", {
            "INFERENCE_PRECISION_HINT": name.rsplit("-", 1)[1], "INFERENCE_NUM_THREADS": torch.get_num_threads(),
            "PERFORMANCE_HINT": "LATENCY"})  # fmt: skip
        request = compiled.create_infer_request()
        return lambda ids, mask, types: request.infer([ids, mask, types])[0].copy()
    raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds, order alternating; best kept")
    parser.add_argument("--backends", default="torch-fp32,torch-bf16,openvino-f32,openvino-bf16,onnxruntime-fp32")
    parser.add_argument("--batch-tokens", type=int, default=8192)
    args = parser.parse_args()
    import tempfile

    import torch

    from benchmarks.scoring import corpus
    from snowcoder_hf.annotator.encoder import MINILM_ID, ChunkEncoder

    encoder = ChunkEncoder(MINILM_ID, device="cpu", dtype="float32")
    chunks = []
    for texts in (corpus(40), corpus(400)):
        chunks = [c.token_ids for cs in encoder.chunk(texts, "top_middle_bottom") for c in cs]
        if len(chunks) >= args.chunks:
            break
    chunks = chunks[: args.chunks]
    batches = packed_batches(chunks, encoder.prefix, encoder.suffix, encoder.pad_id, args.batch_tokens)
    reference = encoder.embed_token_ids(chunks)
    runs, setup, skipped = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backends.split(","):
            started = time.perf_counter()
            try:
                runs[name] = build(name, encoder.model, batches[0][1:], Path(tmp))
            except ImportError as err:
                skipped[name] = f"not installed ({err.name})"
                continue
            setup[name] = time.perf_counter() - started
        best: dict[str, tuple[float, np.ndarray]] = {}
        for round_index in range(args.rounds):
            names = list(runs) if round_index % 2 == 0 else list(runs)[::-1]
            for name in names:
                out = np.zeros_like(reference)
                started = time.perf_counter()
                for batch, ids, mask, types in batches:
                    out[batch] = runs[name](ids, mask, types)
                seconds = time.perf_counter() - started
                print(f"  round {round_index + 1} {name}: {seconds:.2f}s", flush=True)
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, out)
    base = best.get("torch-fp32", (None,))[0]
    tokens = np.mean([len(c) for c in chunks])
    print(f"\n{len(chunks)} chunks, {tokens:.0f} tokens each on average, threads={torch.get_num_threads()}")
    print("| backend | chunks/s | vs torch fp32 | min cosine to fp32 | one-off setup s |")
    print("|---|---:|---:|---:|---:|")
    for name, (seconds, out) in best.items():
        cosine = (out * reference).sum(1) / (np.linalg.norm(out, axis=1) * np.linalg.norm(reference, axis=1))
        ratio = f"{base / seconds:.2f}x" if base else "-"
        print(f"| {name} | {len(chunks) / seconds:.2f} | {ratio} | {cosine.min():.6f} | {setup[name]:.1f} |")
    for name, why in skipped.items():
        print(f"| {name} | skipped: {why} | | | |")


if __name__ == "__main__":
    main()
