"""CPU half of `benchmarks/training.py`: the recipe's packed path against a plain Trainer on padded documents.

Both arms train the same preset from the same seed on the same real code (standard-library modules, the
files many are shorter than `seq_len`), with the same micro-batch and step count:
- packed: `PackedSequences` (documents concatenated, cut to `seq_len`, attention reset at boundaries)
  through `PretrainingTrainer`;
- baseline: the classic recipe without `group_texts`: each document tokenized and truncated to
  `seq_len`, batches padded to their longest document by `DataCollatorForLanguageModeling`, plain `Trainer`.
The score is real (non-padding) training tokens per second. The data path alone (building and collating
every batch the run uses) is timed too, to show it is not the bottleneck.
"""

from __future__ import annotations

import sys
import sysconfig
import tempfile
import time
from pathlib import Path

SETTINGS = {"tiny": {"seq_len": 256, "batch": 8, "warmup": 5, "steps": 30},
            "arctic-100m": {"seq_len": 256, "batch": 4, "warmup": 1, "steps": 4}}  # fmt: skip


def _texts(limit: int = 400) -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py") if 200 < p.stat().st_size < 60_000)[:limit]
    return [p.read_text(encoding="utf-8", errors="replace") for p in files]


def _tokenizer(texts: list[str], out: Path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2048, special_tokens=["<|endoftext|>", "<repo_name>", "<file_sep>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    tokenizer.train_from_iterator(texts[:80], trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                                   pad_token="<pad>")  # fmt: skip
    fast.save_pretrained(out)
    return fast


class _StepTimer:
    def __init__(self, warmup: int):
        from transformers import TrainerCallback

        timer = self

        class Callback(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step == warmup:
                    timer.start = time.perf_counter()
                timer.end = time.perf_counter()

        self.callback, self.start, self.end = Callback(), 0.0, 0.0


def _model(preset: str, tokenizer):
    from transformers import AutoModelForCausalLM, set_seed

    from snowcoder_hf.training.presets import build_config

    vocab = 64 * -(-len(tokenizer) // 64) if preset == "tiny" else None
    config = build_config(preset, vocab_size=vocab, pad_token_id=tokenizer.pad_token_id,
                          eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.bos_token_id)  # fmt: skip
    config.use_cache = False
    set_seed(0)
    return AutoModelForCausalLM.from_config(config, attn_implementation="sdpa")


def _args(out: str, settings: dict):
    from transformers import TrainingArguments

    return TrainingArguments(output_dir=out, per_device_train_batch_size=settings["batch"], use_cpu=True,
                             max_steps=settings["warmup"] + settings["steps"], learning_rate=1e-3, report_to="none",
                             save_strategy="no", logging_steps=10_000, disable_tqdm=True, dataloader_num_workers=0,
                             seed=0)  # fmt: skip


def _packed_arm(preset: str, tokenizer, texts: list[str], settings: dict) -> dict:
    from transformers import default_data_collator

    from snowcoder_hf.training.callbacks import ThroughputMeter
    from snowcoder_hf.training.data import tokenize_texts
    from snowcoder_hf.training.packing import PackedSequences, PackedSource
    from snowcoder_hf.training.trainer import PretrainingTrainer

    stream = tokenize_texts(texts, tokenizer)
    dataset = PackedSequences([PackedSource(stream)], settings["seq_len"], seed=0)
    timer = _StepTimer(settings["warmup"])
    with tempfile.TemporaryDirectory() as out:
        meter = ThroughputMeter(settings["batch"] * settings["seq_len"], 1, 1.0, None)
        trainer = PretrainingTrainer(model=_model(preset, tokenizer), args=_args(out, settings), train_dataset=dataset,
                                     data_collator=default_data_collator, callbacks=[timer.callback],
                                     lr_schedule="constant", min_learning_rate=0.0, throughput=meter)  # fmt: skip
        trainer.train()
    real = settings["steps"] * settings["batch"] * settings["seq_len"]
    start = time.perf_counter()  # the data path alone, for every batch this run used
    batches = settings["warmup"] + settings["steps"]
    for b in range(batches):
        default_data_collator([dataset[b * settings["batch"] + i] for i in range(settings["batch"])])
    data_s = time.perf_counter() - start
    return {"real_tokens_per_s": round(real / (timer.end - timer.start), 1), "padding_fraction": 0.0,
            "data_path_batches_per_s": round(batches / data_s, 1),
            "train_batches_per_s": round(settings["steps"] / (timer.end - timer.start), 2)}  # fmt: skip


def _padded_arm(preset: str, tokenizer, texts: list[str], settings: dict) -> dict:
    import datasets
    from transformers import DataCollatorForLanguageModeling, Trainer

    dataset = datasets.Dataset.from_dict({"text": texts}).map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=settings["seq_len"]),
        batched=True, remove_columns=["text"])  # fmt: skip
    collator = DataCollatorForLanguageModeling(tokenizer, mlm=False)
    counted = {"real": 0, "padded": 0}

    def counting_collator(features):
        batch = collator(features)
        counted["real"] += int(batch["attention_mask"].sum())
        counted["padded"] += batch["attention_mask"].numel()
        return batch

    timer = _StepTimer(settings["warmup"])
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(model=_model(preset, tokenizer), args=_args(out, settings), train_dataset=dataset,
                          data_collator=counting_collator, callbacks=[timer.callback])  # fmt: skip
        trainer.train()
    real_fraction = counted["real"] / max(1, counted["padded"])
    full = sum(len(ids) for ids in tokenizer(texts)["input_ids"])
    kept = sum(len(ids) for ids in dataset["input_ids"])
    padded_tokens = settings["steps"] * settings["batch"] * settings["seq_len"]  # upper bound per step
    return {"real_tokens_per_s": round(real_fraction * counted["padded"] / (settings["warmup"] + settings["steps"])
                                       * settings["steps"] / (timer.end - timer.start), 1),
            "padding_fraction": round(1 - real_fraction, 3), "truncated_away_fraction": round(1 - kept / full, 3),
            "max_tokens_per_step": padded_tokens // settings["steps"],
            "train_batches_per_s": round(settings["steps"] / (timer.end - timer.start), 2)}  # fmt: skip


def run_cpu(presets: list[str], steps: int = 0, threads: int = 2) -> dict:
    import torch

    torch.set_num_threads(threads)
    texts = _texts()
    result = {"mode": "cpu", "threads": threads, "torch": torch.__version__, "documents": len(texts), "presets": {}}
    with tempfile.TemporaryDirectory() as tok_dir:
        tokenizer = _tokenizer(texts, Path(tok_dir))
        for preset in presets:
            settings = dict(SETTINGS[preset])
            if steps:
                settings["steps"] = steps
            packed = _packed_arm(preset, tokenizer, texts, settings)
            padded = _padded_arm(preset, tokenizer, texts, settings)
            result["presets"][preset] = {"settings": settings, "packed": packed, "padded_trainer": padded,
                                         "speedup_real_tokens": round(packed["real_tokens_per_s"]
                                                                      / padded["real_tokens_per_s"], 2)}  # fmt: skip
            print(preset, result["presets"][preset], file=sys.stderr, flush=True)
    return result
