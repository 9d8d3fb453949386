"""Pack token streams into fixed `seq_len` training sequences with document-boundary attention resets.

`PackedSequences` is a map-style dataset: sequence `i` is a fixed slice of one source's token stream,
so the order is a pure function of the seed and resuming after a kill continues the same order (the
Trainer skips the batches it has already consumed). Each item carries `position_ids` that restart at 0
at every document start inside the sequence (and at the sequence start). With no `attention_mask`,
transformers (>= 4.56) reads restarting position ids as packed documents: SDPA, eager and flex
attention get a block-diagonal causal mask, and flash-attention 2/3 run their variable-length kernels,
so no token attends across a document boundary. `attention_resets=False` gives plain `0..seq_len-1`
positions and full causal attention (the unpacked-style baseline).

Order: each source is cut into `len(stream) // seq_len` sequences (the tail is dropped). A source used
`repeat` times contributes `repeat` independently shuffled passes, one after the other (stage 2's
"top tokens repeated 4 times", shuffled across repetitions). Several sources are mixed by weight
(stage 3): each contributes `round(weight * total)` sequences, interleaved by a seeded shuffle. A mixture
source shorter than one sequence (a toy synthetic set) is repeated whole until it fills one, with a
warning, rather than silently contributing nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from snowcoder_hf.training.data import TokenStream

logger = logging.getLogger(__name__)

SUPPORTED_RESET_BACKENDS = ("sdpa", "eager", "flex_attention", "flash_attention_2", "flash_attention_3")


@dataclass
class PackedSource:
    stream: TokenStream
    weight: float = 1.0
    repeat: int = 1
    name: str = ""


def tiled_to(stream: TokenStream, min_tokens: int) -> TokenStream:
    """`stream` repeated whole until it holds at least `min_tokens` tokens; every copy keeps its documents."""
    if len(stream) == 0:
        raise ValueError(f"cannot tile the empty stream {stream.name!r}.")
    copies = -(-min_tokens // len(stream))
    tokens = np.concatenate([stream.slice(0, len(stream))] * copies)
    doc_ends = np.concatenate([stream.doc_ends + i * len(stream) for i in range(copies)])
    return TokenStream([tokens], doc_ends, name=stream.name, tokenizer_name=stream.tokenizer_name)


def position_ids_for(doc_ends: np.ndarray, start: int, seq_len: int) -> np.ndarray:
    """Positions of tokens `[start, start + seq_len)` that restart at 0 at each document start and at `start`."""
    inside = doc_ends[(doc_ends > start) & (doc_ends < start + seq_len)] - start
    resets = np.zeros(seq_len, dtype=np.int64)
    resets[inside] = inside
    return np.arange(seq_len, dtype=np.int64) - np.maximum.accumulate(resets)


def attention_reset_note(attn_implementation: str | None, enabled: bool) -> str:
    """One line saying whether this run's attention is reset at document boundaries, and how."""
    if not enabled:
        return "attention resets: off (`attention_resets: false`); packed documents attend to each other."
    backend = attn_implementation or "sdpa"
    if backend in SUPPORTED_RESET_BACKENDS:
        how = "variable-length kernels" if backend.startswith("flash") else "a block-diagonal causal mask"
        return f"attention resets: on ({backend} with {how}, from position ids)."
    return (f"attention resets: NOT applied: attention backend {backend!r} ignores packed position ids; "
            f"use one of {', '.join(SUPPORTED_RESET_BACKENDS)}.")  # fmt: skip


class PackedSequences:
    """A torch-style map dataset of `{"input_ids", "labels", "position_ids"}` int64 tensors of length `seq_len`."""

    def __init__(self, sources: list[PackedSource], seq_len: int, *, seed: int = 0, num_sequences: int | None = None,
                 attention_resets: bool = True):  # fmt: skip
        if seq_len < 2:
            raise ValueError(f"`seq_len` must be at least 2, got {seq_len}.")
        if not sources:
            raise ValueError("`sources` must hold at least one token stream.")
        for source in sources:
            if source.repeat < 1:
                raise ValueError(f"`repeat` must be at least 1, got {source.repeat} for {source.name!r}.")
            if source.weight <= 0:
                raise ValueError(f"mixture `weight` must be positive, got {source.weight} for {source.name!r}.")
        if len(sources) > 1:
            sources = [self._fill_one_sequence(s, seq_len) for s in sources]
        self.sources, self.seq_len, self.seed, self.attention_resets = sources, seq_len, seed, attention_resets
        self.chunks_per_pass = [len(s.stream) // seq_len for s in sources]
        self.available = [c * s.repeat for c, s in zip(self.chunks_per_pass, sources, strict=True)]
        self.source_ids, self.chunk_ids = self._build_order(num_sequences)

    @staticmethod
    def _fill_one_sequence(source: PackedSource, seq_len: int) -> PackedSource:
        if not 0 < len(source.stream) < seq_len:
            return source
        logger.warning("mixture source %s has %d tokens, less than one %d-token sequence: repeating it whole to "
                       "fill one", source.name or "?", len(source.stream), seq_len)  # fmt: skip
        return replace(source, stream=tiled_to(source.stream, seq_len))

    def _passes(self, source_index: int, count: int, rng: np.random.Generator) -> np.ndarray:
        """`count` chunk ids of one source: whole shuffled passes, a fresh permutation per repetition."""
        per_pass = self.chunks_per_pass[source_index]
        passes, taken = [], 0
        while taken < count:
            permutation = rng.permutation(per_pass).astype(np.int64)
            passes.append(permutation[: count - taken])
            taken += len(passes[-1])
        return np.concatenate(passes) if passes else np.zeros(0, dtype=np.int64)

    def _build_order(self, num_sequences: int | None) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        if len(self.sources) == 1:
            count = self.available[0] if num_sequences is None else min(num_sequences, self.available[0])
            return np.zeros(count, dtype=np.uint8), self._passes(0, count, rng)
        weights = np.array([s.weight for s in self.sources], dtype=np.float64)
        weights /= weights.sum()
        if num_sequences is None:  # as many as the scarcest source allows at its weight
            num_sequences = int(min(a / w for a, w in zip(self.available, weights, strict=True)))
        counts = [min(int(round(w * num_sequences)), a) for w, a in zip(weights, self.available, strict=True)]
        source_ids = np.concatenate([np.full(c, i, dtype=np.uint8) for i, c in enumerate(counts)])
        chunk_ids = np.concatenate([self._passes(i, c, rng) for i, c in enumerate(counts)])
        mix = rng.permutation(len(source_ids))
        # Interleave sources, but keep each source's own chunk order (its passes stay in sequence).
        source_ids = source_ids[mix]
        ordered_chunks = np.empty_like(chunk_ids)
        starts = np.concatenate([[0], np.cumsum(counts)])
        for i in range(len(self.sources)):
            ordered_chunks[source_ids == i] = chunk_ids[starts[i] : starts[i + 1]]
        return source_ids, ordered_chunks

    def __len__(self) -> int:
        return len(self.chunk_ids)

    @property
    def num_tokens(self) -> int:
        return len(self) * self.seq_len

    def sequence_counts(self) -> dict[str, int]:
        """Sequences drawn from each source, by name."""
        counts = np.bincount(self.source_ids, minlength=len(self.sources))
        return {s.name or str(i): int(c) for i, (s, c) in enumerate(zip(self.sources, counts, strict=True))}

    def window(self, index: int) -> tuple[int, int]:
        """(source index, first token offset) of sequence `index`."""
        if not 0 <= index < len(self):
            raise IndexError(f"sequence {index} is outside a dataset of {len(self)}")
        return int(self.source_ids[index]), int(self.chunk_ids[index]) * self.seq_len

    def __getitem__(self, index: int) -> dict:
        import torch

        source_index, start = self.window(index)
        stream = self.sources[source_index].stream
        tokens = torch.from_numpy(stream.slice(start, start + self.seq_len))
        if self.attention_resets:
            positions = torch.from_numpy(position_ids_for(stream.doc_ends, start, self.seq_len))
        else:
            positions = torch.arange(self.seq_len, dtype=torch.int64)
        return {"input_ids": tokens, "labels": tokens.clone(), "position_ids": positions}
