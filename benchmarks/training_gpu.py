"""GPU half of `benchmarks/training.py`: the 1.3B preset at seq 8192 with bf16 and SDPA on one GPU.

Imports only torch, transformers, accelerate and numpy (plus snowcoder_hf.training modules that need
nothing more), so it runs on a GPU box without datasets, datatrove or trl.

Measured per attention variant and micro-batch size (fail-soft: an out-of-memory size is recorded and
the next variant goes on): tokens/s per GPU, MFU against the dense bf16 peak (989 TFLOP/s on H100/H200),
peak memory and headroom, and the largest micro-batch that fits. Then the recipe's own path (the
`PretrainingTrainer` on `PackedSequences`, `bf16: true`) at the best micro-batch.
"""

from __future__ import annotations

import gc
import time

import numpy as np


def _free():
    import torch

    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()


def _synthetic_batch(micro_batch: int, seq_len: int, vocab: int, doc_len: int | None, device):
    import torch

    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (micro_batch, seq_len), generator=generator)
    # use_cache=False as in training: with a KV cache transformers skips the packed-sequence mask.
    batch = {"input_ids": ids.to(device), "labels": ids.to(device), "use_cache": False}
    if doc_len:  # documents of `doc_len` tokens: positions restart, so SDPA gets a block-diagonal mask
        positions = torch.arange(seq_len) % doc_len
        batch["position_ids"] = positions.unsqueeze(0).expand(micro_batch, -1).contiguous().to(device)
    return batch


def measure_loop(model, optimizer, micro_batch: int, seq_len: int, doc_len: int | None, warmup: int, steps: int,
                 flops_tok: float, peak: float | None) -> dict:  # fmt: skip
    """Plain training steps (autocast bf16, fp32 master weights, fused AdamW, clipping): the Trainer's math."""
    import torch

    from snowcoder_hf.training.flops import mfu

    batch = _synthetic_batch(micro_batch, seq_len, model.config.vocab_size, doc_len, "cuda")
    _free()
    times = []
    for i in range(warmup + steps):
        torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    step_s = float(np.median(times))
    tokens_per_s = micro_batch * seq_len / step_s
    total = torch.cuda.get_device_properties(0).total_memory
    peak_mem = torch.cuda.max_memory_allocated()
    return {"micro_batch": micro_batch, "step_s": round(step_s, 4), "tokens_per_s": round(tokens_per_s),
            "mfu": round(mfu(tokens_per_s, flops_tok, peak) or 0.0, 4), "peak_mem_gib": round(peak_mem / 2**30, 2),
            "headroom_gib": round((total - peak_mem) / 2**30, 2), "loss": round(float(loss), 3)}  # fmt: skip


def run_gpu(seq_len: int = 8192, micro_batches=(1, 2, 4, 8), warmup: int = 3, steps: int = 6,
            budget_s: float = 420.0, trainer_steps: int = 12, compile_best: bool = True) -> dict:  # fmt: skip
    import torch
    import transformers
    from transformers import LlamaForCausalLM

    from snowcoder_hf.training.flops import flops_per_token, peak_tflops_for
    from snowcoder_hf.training.presets import build_config, count_parameters

    started = time.perf_counter()
    name = torch.cuda.get_device_name()
    peak = peak_tflops_for(name)
    config = build_config("arctic-1.3b")
    flops_tok = flops_per_token(config, seq_len)
    result = {"mode": "gpu", "device": name, "torch": torch.__version__, "transformers": transformers.__version__,
              "preset": "arctic-1.3b", "parameters": count_parameters(config)["total"], "seq_len": seq_len,
              "flops_per_token": flops_tok, "peak_tflops": peak, "variants": {},
              "fsdp": "not measured: on one GPU FSDP shards nothing (world size 1) and only adds its gather/"
                      "scatter bookkeeping; per-GPU throughput with FSDP on 8 GPUs is bounded by these numbers "
                      "at the same micro-batch, while sharding the 16 bytes/parameter of weights, gradients and "
                      "Adam state frees memory for larger micro-batches."}  # fmt: skip
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM._from_config(config, attn_implementation="sdpa")
    model.train()
    model.config.use_cache = False
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1, fused=True)
    variants = {"sdpa_causal": ("sdpa", None), "sdpa_doc_resets_2048": ("sdpa", 2048),
                "flex_doc_resets_2048": ("flex_attention", 2048)}  # fmt: skip
    for variant, (backend, doc_len) in variants.items():
        rows = []
        try:
            model.set_attn_implementation(backend)
        except Exception as err:  # a backend this torch/transformers pair lacks: record it, go on
            result["variants"][variant] = {"rows": [], "error": f"{type(err).__name__}: {err}"[:300]}
            continue
        for micro_batch in micro_batches:
            if time.perf_counter() - started > budget_s:
                rows.append({"micro_batch": micro_batch, "status": "skipped: time budget"})
                continue
            try:
                row = measure_loop(model, optimizer, micro_batch, seq_len, doc_len, warmup, steps, flops_tok, peak)
                row["status"] = "ok"
            except torch.cuda.OutOfMemoryError:
                row = {"micro_batch": micro_batch, "status": "oom"}
            except Exception as err:  # e.g. a kernel that does not compile here: record it, go on
                row = {"micro_batch": micro_batch, "status": f"failed: {type(err).__name__}: {err}"[:300]}
            optimizer.zero_grad(set_to_none=True)
            _free()
            rows.append(row)
            print(variant, row, flush=True)
            if row["status"] != "ok":
                break
        fits = [r for r in rows if r["status"] == "ok"]
        result["variants"][variant] = {"rows": rows, "largest_micro_batch": max((r["micro_batch"] for r in fits),
                                                                                default=0),
                                       "best": max(fits, key=lambda r: r["tokens_per_s"], default=None)}  # fmt: skip
    model.set_attn_implementation("sdpa")
    best = result["variants"]["sdpa_causal"]["best"]
    if compile_best and best and time.perf_counter() - started < budget_s - 120:
        try:
            compiled = torch.compile(model)
            row = measure_loop(compiled, optimizer, best["micro_batch"], seq_len, None, 4, steps, flops_tok, peak)
            row["status"] = "ok"
        except Exception as err:  # compile failures differ by version; record and go on
            row = {"micro_batch": best["micro_batch"], "status": f"failed: {type(err).__name__}: {err}"[:300]}
        result["variants"]["sdpa_causal_compiled"] = {"rows": [row], "best": row if row["status"] == "ok" else None}
        print("compiled", row, flush=True)
        optimizer.zero_grad(set_to_none=True)
        _free()
    del optimizer
    result["trainer"] = []
    for resets, variant in ((True, "flex_doc_resets_2048"), (True, "sdpa_doc_resets_2048"), (False, "sdpa_causal")):
        fits = result["variants"].get(variant, {}).get("best")
        if fits and time.perf_counter() - started < budget_s:
            model.set_attn_implementation(variants[variant][0])
            try:
                row = run_recipe_trainer(model, fits["micro_batch"], seq_len, trainer_steps, flops_tok, peak,
                                         attention_resets=resets)  # fmt: skip
                row["attention"] = f"{variants[variant][0]}: {row['attention']}"
            except torch.cuda.OutOfMemoryError:
                row = {"micro_batch": fits["micro_batch"], "attention_resets": resets, "status": "oom"}
            _free()
            result["trainer"].append(row)
            print("trainer", row, flush=True)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def run_recipe_trainer(model, micro_batch: int, seq_len: int, steps: int, flops_tok: float, peak,
                       attention_resets: bool = True) -> dict:  # fmt: skip
    """The recipe's own path: PretrainingTrainer over PackedSequences (doc resets on), bf16, fused AdamW."""
    import tempfile

    import torch
    from transformers import TrainingArguments, default_data_collator

    from snowcoder_hf.training.callbacks import ThroughputMeter
    from snowcoder_hf.training.data import TokenStream
    from snowcoder_hf.training.packing import PackedSequences, PackedSource
    from snowcoder_hf.training.trainer import PretrainingTrainer

    rng = np.random.default_rng(0)
    total = (steps + 2) * micro_batch * seq_len
    tokens = rng.integers(0, model.config.vocab_size, total, dtype=np.int64).astype(np.uint16)
    doc_ends = np.concatenate([np.cumsum(rng.integers(200, 6000, total // 200)), [total]])
    doc_ends = np.unique(doc_ends[doc_ends <= total])
    dataset = PackedSequences([PackedSource(TokenStream([tokens], doc_ends))], seq_len, seed=0,
                              attention_resets=attention_resets)  # fmt: skip
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, per_device_train_batch_size=micro_batch, max_steps=steps, bf16=True,
                                 learning_rate=5.3e-4, warmup_steps=2, max_grad_norm=1.0, optim="adamw_torch_fused", logging_steps=4,
                                 save_strategy="no", report_to="none", disable_tqdm=True,
                                 dataloader_num_workers=2)  # fmt: skip
        meter = ThroughputMeter(micro_batch * seq_len, 1, flops_tok, peak)
        trainer = PretrainingTrainer(model=model, args=args, train_dataset=dataset, data_collator=default_data_collator,
                                     callbacks=[meter], lr_schedule="warmup_linear", min_learning_rate=0.0,
                                     throughput=meter)  # fmt: skip
        _free()
        trainer.train()
    logs = [e for e in trainer.state.log_history if "tokens_per_second" in e]
    last = logs[-1] if logs else {}
    return {"micro_batch": micro_batch, "steps": steps, "attention": "document resets" if attention_resets else "causal (positions 0..n-1)",
            "tokens_per_s": last.get("tokens_per_second"), "mfu": last.get("mfu"),
            "peak_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)}  # fmt: skip
