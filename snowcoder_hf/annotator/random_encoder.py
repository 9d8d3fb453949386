"""Sentence encoders with random weights, built from a config: for benchmarks and tests without the Hub.

`bert-base-random` has the shape of Snowflake/snowflake-arctic-embed-m (BERT-base: 12 layers, 768
wide, 512 positions, about 110M parameters), so its speed is the real encoder's speed. Its scores mean
nothing. Imports only torch, transformers, tokenizers and sentence-transformers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PRESETS = {
    "bert-base-random": dict(hidden=768, layers=12, heads=12, intermediate=3072, max_seq_length=512),
    "bert-tiny-random": dict(hidden=32, layers=2, heads=2, intermediate=64, max_seq_length=64),
}


def _wordpiece_tokenizer(corpus: Iterable[str], vocab_size: int):
    from tokenizers.implementations import BertWordPieceTokenizer
    from transformers import PreTrainedTokenizerFast

    tokenizer = BertWordPieceTokenizer(lowercase=True)
    tokenizer.train_from_iterator(corpus, vocab_size=vocab_size, min_frequency=1, show_progress=False)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer._tokenizer, unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]")  # fmt: skip


def build_random_encoder(
    folder: str | Path,
    preset: str = "bert-base-random",
    *,
    tokenizer_dir: str | Path | None = None,
    corpus: Iterable[str] | None = None,
    vocab_size: int = 30522,
    seed: int = 0,
    **overrides,
) -> Path:
    """Save a SentenceTransformer (BERT + mean pooling + normalize) with random weights to `folder`.

    The tokenizer is copied from `tokenizer_dir`, or trained as WordPiece on `corpus` in-process.
    """
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import AutoTokenizer, BertConfig, BertModel

    if preset not in PRESETS:
        raise ValueError(f"`preset` must be one of {', '.join(PRESETS)}, got {preset!r}.")
    shape = {**PRESETS[preset], **overrides}
    if tokenizer_dir is not None:
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    elif corpus is not None:
        tokenizer = _wordpiece_tokenizer(corpus, vocab_size)
    else:
        raise ValueError("Pass `tokenizer_dir` (a tokenizer folder) or `corpus` (texts to train one on).")
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=shape["hidden"], num_hidden_layers=shape["layers"],
                        num_attention_heads=shape["heads"], intermediate_size=shape["intermediate"],
                        max_position_embeddings=max(512, shape["max_seq_length"]),
                        pad_token_id=tokenizer.pad_token_id or 0)  # fmt: skip
    folder = Path(folder)
    backbone = folder / "backbone"
    BertModel(config).save_pretrained(backbone)
    tokenizer.save_pretrained(backbone)
    transformer = models.Transformer(str(backbone), max_seq_length=shape["max_seq_length"])
    pooling = models.Pooling(shape["hidden"], pooling_mode="mean")
    SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu").save(str(folder))
    return folder
