"""Bits per byte of a causal LM on benchmark canonical programs, and on any reference text.

A tiny model's pass@1 is 0 everywhere, but its loss on the benchmarks' own code still moves, so the
loss says whether a stage moved the model towards the benchmarks' distribution. A text's bits per byte
is the summed next-token NLL (nats) of all its tokens, each predicted from what precedes it and the
first from a leading BOS (EOS where there is none, as packed training data separates documents),
divided by ln 2 times its UTF-8 byte count. The text is the whole canonical program, prompt plus
reference solution (`snowcoder_hf.evalsets.programs`), the same text the annotator's validation
uses as a positive. Texts longer than the model's context are scored in windows, every token once and
each with at least half a window of context. Batched by token count, in `torch.no_grad`, on the
model's device. Imports torch lazily and nothing from datatrove or datasets.
"""

from __future__ import annotations

import gzip
import hashlib
import heapq
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from snowcoder_hf.common.jsonl import json_records

LN2 = math.log(2)
DEFAULT_CONTEXT = 2048  # when neither the model config nor the tokenizer states one


@dataclass
class TextLoss:
    """Summed NLL (nats) over a text's tokens, with the token and UTF-8 byte counts it was summed over."""

    nats: float = 0.0
    tokens: int = 0
    bytes: int = 0

    def add(self, other: TextLoss) -> None:
        self.nats, self.tokens, self.bytes = (
            self.nats + other.nats,
            self.tokens + other.tokens,
            self.bytes + other.bytes,
        )

    @property
    def bits_per_byte(self) -> float | None:
        return self.nats / (LN2 * self.bytes) if self.bytes else None


def context_length(model, tokenizer) -> int:
    """The longest window the model was built for: its config's `max_position_embeddings`, else the tokenizer's."""
    length = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if not isinstance(length, int) or length < 2:
        length = getattr(tokenizer, "model_max_length", None)
    return length if isinstance(length, int) and 2 <= length <= 1_000_000 else DEFAULT_CONTEXT


def windows(length: int, window: int) -> list[tuple[int, int, int]]:
    """`(start, end, first_scored)` spans over a sequence of `length` ids: the tokens at `first_scored..end-1`
    are predicted in the window `start..end-1`; together they score positions 1..length-1 exactly once."""
    if window < 2:
        raise ValueError(f"`window` must be at least 2, got {window}.")
    spans, start, scored_until = [], 0, 1
    stride = max(1, window // 2)
    while scored_until < length:
        end = min(start + window, length)
        spans.append((start, end, max(scored_until, start + 1)))
        scored_until = end
        start += stride
    return spans


def text_losses(texts: list[str], tokenizer, model, *, max_batch_tokens: int = 8192, window: int | None = None,
                progress: Callable[[int], None] | None = None) -> list[TextLoss]:  # fmt: skip
    """The `TextLoss` of every text, in order. An empty text scores zero tokens and zero bytes."""
    import torch

    if max_batch_tokens < 1:
        raise ValueError(f"`max_batch_tokens` must be at least 1, got {max_batch_tokens}.")
    start_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    if start_id is None:
        raise ValueError("the tokenizer has neither a BOS nor an EOS token to predict a text's first token from.")
    window = window or context_length(model, tokenizer)
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    losses = [TextLoss(bytes=len(text.encode("utf-8", errors="replace")) if ids else 0)
              for text, ids in zip(texts, encoded, strict=True)]  # fmt: skip
    pieces = []  # (text index, ids of one window, first scored position inside it)
    for index, ids in enumerate(encoded):
        sequence = [start_id, *ids]
        for start, end, first in windows(len(sequence), window) if ids else []:
            pieces.append((index, sequence[start:end], first - start))
    pieces.sort(key=lambda piece: -len(piece[1]))  # longest first, so a batch pads little
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else start_id
    device = next(model.parameters()).device
    at = 0
    with torch.no_grad():
        while at < len(pieces):
            width = len(pieces[at][1])
            batch = pieces[at : at + max(1, max_batch_tokens // width)]
            at += len(batch)
            input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
            scored = torch.zeros((len(batch), width), dtype=torch.bool)
            for row, (_, ids, first) in enumerate(batch):
                input_ids[row, : len(ids)] = torch.tensor(ids)
                scored[row, first : len(ids)] = True
            attention = (torch.arange(width)[None, :] < torch.tensor([len(p[1]) for p in batch])[:, None]).long()
            logits = model(input_ids=input_ids.to(device), attention_mask=attention.to(device)).logits
            nll = torch.nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), input_ids[:, 1:].to(device),
                                                    reduction="none")  # fmt: skip
            mask = scored[:, 1:].to(device)
            sums, counts = (nll * mask).sum(dim=1).tolist(), mask.sum(dim=1).tolist()
            for (index, _, _), nats, count in zip(batch, sums, counts, strict=True):
                losses[index].nats += nats
                losses[index].tokens += int(count)
            if progress:
                progress(len(batch))
    return losses


def benchmark_bits_per_byte(model, tokenizer, benchmarks: list[str], benchmark_dir: str | Path | None, *,
                            limit: int | None = None, max_batch_tokens: int = 8192) -> dict[str, dict]:  # fmt: skip
    """`{benchmark: {"bits_per_byte", "items", "tokens", "bytes", "no_solution"}}` over each benchmark's canonical
    programs (the first `limit` of each), plus pooled entries for groups (e.g. `evoeval`) with several members."""
    from tqdm import tqdm

    from snowcoder_hf.evalsets.programs import canonical_program
    from snowcoder_hf.evalsets.registry import GROUPS, expand_benchmarks, load_benchmark

    members = expand_benchmarks(benchmarks)
    texts: dict[str, list[str]] = {}
    missing: dict[str, int] = {}
    for name in members:
        items = load_benchmark(name, benchmark_dir)[:limit]
        texts[name] = [canonical_program(item) for item in items if (item.solution or "").strip()]
        missing[name] = len(items) - len(texts[name])  # LiveCodeBench-style items ship no reference solution
    flat = [text for name in members for text in texts[name]]
    with tqdm(total=len(flat), desc="bits per byte", unit="program") as bar:
        losses = iter(text_losses(flat, tokenizer, model, max_batch_tokens=max_batch_tokens, progress=bar.update))
    totals = {}
    for name in members:
        total = TextLoss()
        for _ in texts[name]:
            total.add(next(losses))
        totals[name] = total
    result = {name: _entry(totals[name], len(texts[name]), missing[name]) for name in members}
    for group, group_members in GROUPS.items():
        present = [m for m in group_members if m in totals]
        if len(present) > 1:
            pooled = TextLoss()
            for member in present:
                pooled.add(totals[member])
            result[group] = _entry(pooled, sum(len(texts[m]) for m in present), sum(missing[m] for m in present))
    return result


def _entry(total: TextLoss, items: int, no_solution: int) -> dict:
    value = total.bits_per_byte
    return {"bits_per_byte": None if value is None else round(value, 5), "items": items, "tokens": total.tokens,
            "bytes": total.bytes, "no_solution": no_solution}  # fmt: skip


def read_reference_texts(path: str | Path, limit: int) -> tuple[list[str], dict[str, int]]:
    """Up to `limit` texts from a JSONL(.gz) file or folder of them (a `text` field per line), a stable sample
    by content hash, and the counts of lines dropped by reason."""
    if limit < 1:
        raise ValueError(f"`reference_limit` must be at least 1, got {limit}.")
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.name.endswith((".jsonl", ".jsonl.gz")))
    if not files:
        raise FileNotFoundError(f"`reference_dir` {path} holds no .jsonl or .jsonl.gz file.")
    dropped: dict[str, int] = {}
    heap: list[tuple[int, str]] = []  # the `limit` smallest content hashes, as (-hash, text)
    for text in _texts(files, dropped):
        key = int.from_bytes(hashlib.blake2b(text.encode("utf-8", errors="replace"), digest_size=8).digest(), "big")
        if len(heap) < limit:
            heapq.heappush(heap, (-key, text))
        elif -heap[0][0] > key:
            heapq.heapreplace(heap, (-key, text))
    return [text for _, text in sorted(heap, reverse=True)], dropped


def _texts(files: list[Path], dropped: dict[str, int]) -> Iterator[str]:
    for file in files:
        opener = gzip.open if file.name.endswith(".gz") else open
        with opener(file, "rb") as handle:
            for record in json_records(handle, dropped):
                text = record.get("text") if isinstance(record, dict) else None
                if not isinstance(text, str) or not text.strip():
                    dropped["no_text"] = dropped.get("no_text", 0) + 1
                    continue
                yield text


# Benchmark programs are a few hundred to a few thousand characters; a reference file is cut to its head of
# this size (at a line end), so the control measures code of the same length, not long-context loss, and a
# 400k-character file does not cost a hundred programs' time.
REFERENCE_MAX_CHARS = 4000


def head_of(text: str, max_chars: int) -> str:
    """The first `max_chars` characters of `text`, cut back to the last line end if there is one."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind("\n", 0, max_chars)
    return text[: cut + 1] if cut > 0 else text[:max_chars]


def reference_bits_per_byte(model, tokenizer, path: str | Path, *, limit: int = 200,
                            max_chars: int | None = REFERENCE_MAX_CHARS, max_batch_tokens: int = 8192) -> dict:  # fmt: skip
    """Bits per byte on a reference sample (e.g. held-out stage-1 files): the control that says whether a stage
    moved the model towards the benchmarks, or only lowered its loss on code in general. Each text is cut to
    its first `max_chars` characters (None: whole)."""
    texts, dropped = read_reference_texts(path, limit)
    if max_chars is not None:
        texts = [head_of(text, max_chars) for text in texts]
    total = TextLoss()
    for loss in text_losses(texts, tokenizer, model, max_batch_tokens=max_batch_tokens):
        total.add(loss)
    entry = _entry(total, len(texts), 0)
    entry.pop("no_solution")
    return {**entry, "pass@1": None, "source": Path(path).name, "dropped": dropped, "max_chars": max_chars}
