"""Token streams: DataTrove `DocumentTokenizer` shards read with numpy memmaps, or text tokenized on the fly.

A `TokenStream` is one long token sequence with the end offset of every document. It is what
`packing.PackedSequences` cuts into `seq_len` training sequences. This module imports neither datatrove
nor datasets at the top: the shard format is read directly (so the GPU benchmark box without datatrove
can use it), and `datasets` is only imported to stream a Hub or `save_to_disk` dataset.

DataTrove's shard format (0.10): `NAME.ds` holds little-endian token ids (uint16, or uint32 when the
vocabulary exceeds 65,535), `NAME.ds.index` the uint64 end offset of each document, and
`NAME.ds.metadata` the lines `tokenizer|token_size`, the token count and a human-readable count.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)
TEXT_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".parquet")


@dataclass
class TokenStream:
    """Token ids in one or more arrays (shards), read as one sequence; `doc_ends` are global end offsets."""

    shards: list[np.ndarray]
    doc_ends: np.ndarray
    name: str = ""
    tokenizer_name: str | None = None
    offsets: np.ndarray = field(init=False)

    def __post_init__(self):
        self.offsets = np.concatenate([[0], np.cumsum([len(s) for s in self.shards], dtype=np.int64)])
        self.doc_ends = np.asarray(self.doc_ends, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @property
    def num_documents(self) -> int:
        return len(self.doc_ends)

    def slice(self, start: int, end: int) -> np.ndarray:
        """Tokens `[start, end)` as int64, gathered across shard boundaries."""
        if not 0 <= start <= end <= len(self):
            raise IndexError(f"token range [{start}, {end}) is outside a stream of {len(self)} tokens")
        first = int(np.searchsorted(self.offsets, start, side="right")) - 1
        pieces, position = [], start
        for index in range(first, len(self.shards)):
            if position >= end:
                break
            shard_start = int(self.offsets[index])
            take_end = min(end, int(self.offsets[index + 1]))
            pieces.append(self.shards[index][position - shard_start : take_end - shard_start])
            position = take_end
        return np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, dtype=np.int64)

    def max_token_id(self, sample_tokens: int = 1 << 20) -> int:
        """The largest id in the first `sample_tokens` of every shard (a cheap vocabulary check)."""
        return max((int(s[:sample_tokens].max()) for s in self.shards if len(s)), default=-1)


def find_token_shards(folder: str | Path) -> list[Path]:
    """The `*.ds` files under `folder`, sorted (DataTrove names them by rank, so this is a stable order)."""
    return sorted(p for p in Path(folder).rglob("*.ds") if p.is_file())


def _shard_token_size(path: Path) -> tuple[int, str | None]:
    metadata = Path(f"{path}.metadata")
    if metadata.exists():
        first_line = metadata.read_text(encoding="utf-8").splitlines()[0]
        name, _, size = first_line.rpartition("|")
        if size.isdigit() and int(size) in (2, 4):
            return int(size), name.removesuffix("|" + size) or None
        raise ValueError(f"{metadata} does not start with `tokenizer|token_size`: {first_line!r}.")
    return 2, None  # DataTrove's default token size when no metadata was saved


def read_token_shards(folder: str | Path) -> TokenStream:
    """Memory-map every DataTrove token shard under `folder` into one `TokenStream`."""
    paths = find_token_shards(folder)
    if not paths:
        raise ValueError(f"`dataset_path` {folder} holds no DataTrove token shards (`*.ds` files).")
    shards, ends, names = [], [], set()
    offset = 0
    for path in paths:
        token_size, tokenizer_name = _shard_token_size(path)
        names.add(tokenizer_name)
        if path.stat().st_size % token_size:
            raise ValueError(f"{path} is {path.stat().st_size} bytes, not a multiple of its token size {token_size}.")
        tokens = np.memmap(path, dtype=np.uint16 if token_size == 2 else np.uint32, mode="r")
        index = Path(f"{path}.index")
        if index.exists():
            doc_ends = np.fromfile(index, dtype="<u8").astype(np.int64)
            if len(doc_ends) and doc_ends[-1] != len(tokens):
                raise ValueError(f"{index} ends at token {doc_ends[-1]} but {path} holds {len(tokens)} tokens.")
        else:
            doc_ends = np.array([len(tokens)], dtype=np.int64)  # no index: one document per shard
        shards.append(tokens)
        ends.append(doc_ends + offset)
        offset += len(tokens)
    tokenizer_name = names.pop() if len(names) == 1 else None
    return TokenStream(shards, np.concatenate(ends), name=str(folder), tokenizer_name=tokenizer_name)


def _iter_jsonl(path: Path, text_field: str) -> Iterator[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        for line_number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as err:
                raise ValueError(f"{path}:{line_number} is not a JSON object: {err}") from err
            text = record.get(text_field) if isinstance(record, dict) else None
            if not isinstance(text, str):
                raise ValueError(f"{path}:{line_number} has no string `{text_field}` field (`text_field`).")
            yield text


def _iter_parquet(path: Path, text_field: str) -> Iterator[str]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    if text_field not in parquet.schema_arrow.names:
        raise ValueError(f"{path} has no `{text_field}` column (`text_field`); columns: {parquet.schema_arrow.names}.")
    for batch in parquet.iter_batches(columns=[text_field], batch_size=1024):
        yield from (t for t in batch.column(0).to_pylist() if isinstance(t, str))


def iter_texts(path: str, *, text_field: str = "text", revision: str | None = None, split: str = "train"):
    """Document texts from local JSONL/JSONL.GZ/Parquet files, a `save_to_disk` folder, or a Hub dataset.

    A Hub dataset is streamed at `revision` (pin it: stages chain by revision, not by copied numbers).
    """
    local = Path(path)
    if local.is_file() or (local.is_dir() and not (local / "dataset_info.json").exists()
                           and not (local / "state.json").exists()):  # fmt: skip
        files = [local] if local.is_file() else sorted(
            p for p in local.rglob("*") if p.is_file() and p.name.endswith(TEXT_SUFFIXES))  # fmt: skip
        if not files:
            raise ValueError(f"`dataset_path` {path} holds no {', '.join(TEXT_SUFFIXES)} files.")
        for file in files:
            yield from (_iter_parquet if file.name.endswith(".parquet") else _iter_jsonl)(file, text_field)
        return
    try:
        import datasets
    except ImportError as err:
        raise ImportError("reading a Hub or `save_to_disk` dataset needs `pip install 'snowcoder_hf[train]'`") from err
    if local.is_dir():
        dataset = datasets.load_from_disk(str(local))
        dataset = dataset[split] if isinstance(dataset, datasets.DatasetDict) else dataset
    else:
        dataset = datasets.load_dataset(path, revision=revision, split=split, streaming=True)
    for record in dataset:
        text = record.get(text_field)
        if isinstance(text, str):
            yield text


def _batched(items: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def tokenize_texts(
    texts: Iterable[str], tokenizer, *, max_tokens: int | None = None, batch_size: int = 256, name: str = ""
) -> TokenStream:
    """Tokenize documents (no special tokens added, an EOS appended unless present) into a `TokenStream`.

    Stops once `max_tokens` are collected, so a huge streamed dataset is read only as far as needed.
    """
    from tqdm.auto import tqdm

    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no `eos_token`; documents could not be separated.")
    chunks, ends, total = [], [], 0
    with tqdm(desc=f"tokenizing {name}".strip(), unit="tok", unit_scale=True, leave=False) as bar:
        for batch in _batched(texts, batch_size):
            for ids in tokenizer(batch, add_special_tokens=False)["input_ids"]:
                if not ids:
                    continue
                if ids[-1] != eos:
                    ids.append(eos)
                chunks.append(np.asarray(ids, dtype=np.int32))
                total += len(ids)
                ends.append(total)
                bar.update(len(ids))
            if max_tokens is not None and total >= max_tokens:
                break
    if not chunks:
        raise ValueError(f"`dataset_path` {name} holds no non-empty documents.")
    return TokenStream([np.concatenate(chunks)], np.asarray(ends), name=name,
                       tokenizer_name=getattr(tokenizer, "name_or_path", None))  # fmt: skip
