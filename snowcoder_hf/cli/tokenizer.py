"""`snowcoder tokenizer train`: byte-level BPE with the repo-level markers, trained on curated documents."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tokenizer",
        help="Train the recipe's byte-level BPE tokenizer on curated documents.",
        description="Tokenizer tools. `train` fits byte-level BPE with the specials <|endoftext|>, <repo_name>, "
        "<file_sep> and <pad>, and saves a PreTrainedTokenizerFast folder.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="Train on a JSONL / JSONL.GZ / Parquet file or folder of documents.",
                               description="Train byte-level BPE on the `text` of every document in --input.")  # fmt: skip
    train.add_argument("--input", required=True, help="Documents, e.g. a stage-1 OUT/documents folder.")
    train.add_argument("--output", required=True, help="Folder for the tokenizer (save_pretrained layout).")
    train.add_argument("--vocab-size", type=int, default=64_000, help="Vocabulary size (paper: 64000).")
    train.add_argument("--min-frequency", type=int, default=2, help="Minimum pair frequency to merge.")
    train.add_argument("--max-chars", type=int, default=None, help="Train on at most this many characters.")
    train.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from snowcoder_hf.training.tokenizer import iter_document_texts, train_tokenizer

    start = time.perf_counter()
    tokenizer = train_tokenizer(iter_document_texts(args.input, args.max_chars), args.output, args.vocab_size,
                                args.min_frequency)  # fmt: skip
    Console().print(f"tokenizer: vocab {len(tokenizer):,} (specials {', '.join(tokenizer.all_special_tokens)}) "
                    f"saved to {args.output} in {time.perf_counter() - start:,.1f}s")  # fmt: skip
    return 0
