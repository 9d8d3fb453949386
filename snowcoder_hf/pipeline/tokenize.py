"""Tokenization into packed training shards: DataTrove's `DocumentTokenizer`, counting tokens per language.

The shards (`*.ds` token files with `.ds.index` document ends) are what DataTrove's `DatatroveFolderDataset`
and the training recipes stream. Each document ends with `<|endoftext|>`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from datatrove.pipeline.tokens import DocumentTokenizer

EOS_TOKEN = "<|endoftext|>"


class CodeDocumentTokenizer(DocumentTokenizer):
    """`DocumentTokenizer` that also counts `tokens_<language>` for every document it writes."""

    name = "✍️ Code tokenizer"

    def __init__(self, output_folder, tokenizer_path: str | Path, eos_token: str = EOS_TOKEN, seed: int = 0, **kwargs):
        path = Path(tokenizer_path)
        if path.is_dir():
            path = path / "tokenizer.json"
        if not path.is_file():
            raise FileNotFoundError(f"`tokenizer_path` {tokenizer_path} holds no tokenizer.json.")
        kwargs.setdefault("save_filename", "tokens")
        # A batch is held in memory as `tokenizers.Encoding`s, about 100 bytes per token (offsets, token strings).
        # DataTrove's default of 10,000 documents is a whole task's output when documents are repo-level (2.4 GB
        # of RSS for 60 MB of text, growing with the corpus); one document at a time bounds it by the largest
        # document. Tokenizing is not faster in batches here: DataTrove's tasks are the parallelism.
        kwargs.setdefault("batch_size", 1)
        super().__init__(output_folder, tokenizer_name_or_path=str(path), eos_token=eos_token, seed=seed, **kwargs)
        self.seed = seed

    def run(self, data, rank: int = 0, world_size: int = 1):
        # One generator per task, seeded by the task: a resumed run that redoes only some tasks shuffles
        # them exactly as an uninterrupted run did (a shared generator would depend on which ran before).
        self.rand = np.random.default_rng((self.seed, rank))
        return super().run(data, rank, world_size)

    def get_loss_values(self, document, encoded):
        # Called once per document with its encoding: the one place that sees both language and length.
        # `len(encoded)`, not `len(encoded.ids)`, which would build a second list of every token id.
        self.stat_update(f"tokens_{document.metadata.get('language') or 'unknown'}", value=len(encoded))
        return super().get_loss_values(document, encoded)
