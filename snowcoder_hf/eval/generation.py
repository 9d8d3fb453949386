"""Greedy generation for the execution benchmarks: batched `transformers` generate (left padding,
stop sequences) or an OpenAI-compatible chat endpoint (TGI, vLLM, `transformers serve`).

Imports torch/transformers lazily and nothing from lighteval, datatrove or datasets, so it runs on a
bare GPU machine.
"""

from __future__ import annotations

import sys
import time

from snowcoder_hf.eval.prompts import INSTRUCTION_PREFIX, build_prompt, stop_sequences, task_text, truncate_at_stop


def load_model(model: str, gguf_file: str | None, device: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(model, **kwargs)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=dtype, **kwargs).to(device).eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, lm


def generate(items, tokenizer, lm, style: str, batch_size: int, max_new_tokens: int, paper: bool) -> list[dict]:
    """Greedy completions for `items`, longest prompts first so batches pad little."""
    import torch

    prompts = [build_prompt(item, style, tokenizer, paper=paper) for item in items]
    order = sorted(range(len(items)), key=lambda i: -len(prompts[i]))
    rows: list[dict | None] = [None] * len(items)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        encoded = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True,
                            add_special_tokens=style == "completion").to(lm.device)  # fmt: skip
        with torch.no_grad():
            out = lm.generate(**encoded, do_sample=False, max_new_tokens=max_new_tokens,
                              pad_token_id=tokenizer.pad_token_id, stop_strings=["\n```\n"] if style == "chat"
                              else None, tokenizer=tokenizer)  # fmt: skip
        texts = tokenizer.batch_decode(out[:, encoded["input_ids"].shape[1] :], skip_special_tokens=True)
        for i, raw in zip(batch, texts, strict=True):
            item = items[i]
            rows[i] = {"task_id": item.task_id, "benchmark": item.benchmark, "prompt_style": style,
                       "completion": truncate_at_stop(raw, stop_sequences(item, style)), "raw": raw}  # fmt: skip
        print(f"  {min(start + batch_size, len(order))}/{len(order)}", file=sys.stderr, flush=True)
    return rows  # type: ignore[return-value]


def generate_endpoint(items, base_url: str, model: str = "tgi", max_new_tokens: int = 768,
                      retries: int = 4, client=None) -> list[dict]:  # fmt: skip
    """Greedy chat completions from an OpenAI-compatible server, bounded retries with backoff."""
    from huggingface_hub import InferenceClient

    client = client or InferenceClient(base_url=base_url)
    rows = []
    for item in items:
        user = f"{INSTRUCTION_PREFIX}\n```\n{task_text(item).strip()}\n```\n"
        for attempt in range(retries):
            try:
                reply = client.chat_completion(messages=[{"role": "user", "content": user}], model=model,
                                               max_tokens=max_new_tokens, temperature=0.0)  # fmt: skip
                text = reply.choices[0].message.content or ""
                break
            except Exception as err:  # HTTP 429/5xx, garbage bodies: retried, then reported
                if attempt == retries - 1:
                    raise RuntimeError(f"endpoint {base_url} failed on {item.task_id}: {err}") from err
                time.sleep(min(2**attempt, 30))
        rows.append({"task_id": item.task_id, "benchmark": item.benchmark, "prompt_style": "chat",
                     "completion": text, "raw": text})  # fmt: skip
    return rows
