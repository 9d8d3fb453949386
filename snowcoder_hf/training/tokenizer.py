"""Train the recipe's tokenizer: byte-level BPE (HF `tokenizers`) with the repo-level document markers.

Specials: `<|endoftext|>` (bos and eos), `<repo_name>`, `<file_sep>`, `<pad>`. The result is a
`PreTrainedTokenizerFast` folder that `AutoTokenizer.from_pretrained` and DataTrove's tokenizer load.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

SPECIAL_TOKENS = ("<|endoftext|>", "<repo_name>", "<file_sep>", "<pad>")


def iter_document_texts(path: str | Path, max_chars: int | None = None) -> Iterator[str]:
    """Texts of the documents at `path` (JSONL, JSONL.GZ or Parquet file or folder), up to `max_chars` in all.
    One row in memory at a time: a document file of repo-level documents can hold gigabytes."""
    from snowcoder_hf.pipeline.document_files import find_document_files

    seen = 0
    for file in find_document_files(path):
        for text in _file_texts(file):
            if not isinstance(text, str) or not text:
                continue
            yield text
            seen += len(text)
            if max_chars is not None and seen >= max_chars:
                return


def _file_texts(file: Path) -> Iterator[str | None]:
    if file.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(file).iter_batches(columns=["text"], batch_size=64):
            yield from batch.column("text").to_pylist()
        return
    opener = gzip.open if file.name.endswith(".gz") else open
    with opener(file, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                yield _text(line)


def _text(line: str) -> str | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None  # the curated documents are ours; a broken line is skipped, not fatal for training
    return record.get("text") if isinstance(record, dict) else None


def train_tokenizer(texts: Iterable[str], output_dir: str | Path, vocab_size: int = 64_000, min_frequency: int = 2):
    """Train byte-level BPE on `texts` and save a `PreTrainedTokenizerFast` to `output_dir`; returns it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(
            f"`vocab_size` must be at least {256 + len(SPECIAL_TOKENS)} (bytes + specials), got {vocab_size}."
        )
    if min_frequency < 1:
        raise ValueError(f"`min_frequency` must be at least 1, got {min_frequency}.")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=True)  # fmt: skip
    count = 0

    def counted():
        nonlocal count
        for text in texts:
            count += 1
            yield text

    tokenizer.train_from_iterator(counted(), trainer=trainer)
    if count == 0:
        raise ValueError("`--input` holds no documents to train the tokenizer on.")
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                                   pad_token="<pad>", additional_special_tokens=["<repo_name>", "<file_sep>"])  # fmt: skip
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(output_dir)
    return fast
