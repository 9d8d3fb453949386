"""`train_stage`: everything the three recipes share, in the order that spends no compute before the checks.

1. argument checks (schedule, push settings, base checkpoint for stages 2 and 3);
2. tokenizer, then the vocabulary check against the model config (built from the preset or read from
   the base checkpoint, no weights loaded yet);
3. the data sources, the step count (from `max_steps`, the token budget, or one pass), and the
   too-few-tokens check;
4. only then the model, the Trainer and the run; resuming from the last checkpoint of `output_dir`;
5. the final checkpoint with its tokenizer and card (under FSDP gathered from the shards into one
   save_pretrained folder), an optional push through `snowcoder_hf.hub.client`, and a
   one-screen summary.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path

from snowcoder_hf.training import card as card_module
from snowcoder_hf.training.checks import (
    check_arguments,
    check_token_budget,
    check_vocabulary,
    check_warmup,
    steps_for_budget,
)
from snowcoder_hf.training.flops import flops_per_token, peak_tflops_for
from snowcoder_hf.training.fsdp import save_consolidated_model
from snowcoder_hf.training.packing import PackedSequences, attention_reset_note
from snowcoder_hf.training.presets import build_config, count_parameters
from snowcoder_hf.training.sources import load_sources, resolve_specs

logger = logging.getLogger(__name__)


def _model_config(stage: int, model_args, tokenizer):
    from transformers import AutoConfig

    if stage == 1:
        vocab = model_args.model_vocab_size
        if vocab is None and model_args.model_preset == "tiny":
            vocab = 64 * math.ceil(len(tokenizer) / 64)  # the tiny preset follows whatever tokenizer it gets
        return build_config(model_args.model_preset, vocab_size=vocab, bos_token_id=tokenizer.bos_token_id,
                            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)  # fmt: skip
    return AutoConfig.from_pretrained(model_args.model_name_or_path, revision=model_args.model_revision)


def _resume_checkpoint(resume: str, output_dir: str) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    if resume == "never":
        return None
    if resume == "auto":
        return get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None
    if not Path(resume).is_dir():
        raise FileNotFoundError(f"`resume` checkpoint {resume} does not exist (use `auto`, `never` or a folder).")
    return resume


def _peak_tflops(stage_args) -> float | None:
    if stage_args.peak_tflops:
        return stage_args.peak_tflops
    import torch

    return peak_tflops_for(torch.cuda.get_device_name()) if torch.cuda.is_available() else None


def train_stage(stage: int, stage_args, data_args, model_args, training_args, *, config_file: str | None = None,
                extra_callbacks: Sequence = ()) -> dict:  # fmt: skip
    """Run one pretraining stage; returns a summary dict (also written to `output_dir/train_summary.json`)."""
    import json

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, default_data_collator, set_seed

    from snowcoder_hf.training.callbacks import CheckpointCardCallback, ThroughputMeter
    from snowcoder_hf.training.trainer import PretrainingTrainer

    started = time.perf_counter()
    check_arguments(stage, stage_args, data_args, model_args, training_args)
    tokenizer_name = model_args.tokenizer_name_or_path or model_args.model_name_or_path
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_name, revision=model_args.tokenizer_revision)
    config = _model_config(stage, model_args, tokenizer)
    check_vocabulary(
        len(tokenizer), config.vocab_size, where=f" ({model_args.model_preset or model_args.model_name_or_path})"
    )

    # Data, step count and the budget check: still no model.
    world = training_args.world_size
    sequences_per_step = training_args.per_device_train_batch_size * training_args.gradient_accumulation_steps * world
    tokens_per_step = sequences_per_step * data_args.seq_len
    max_steps = training_args.max_steps
    if max_steps <= 0 and stage_args.token_budget:
        max_steps = steps_for_budget(stage_args.token_budget, tokens_per_step)
    needed_tokens = max_steps * tokens_per_step if max_steps > 0 else None
    specs = resolve_specs(data_args.dataset_path, data_args.dataset_format, data_args.repeat)
    sources = load_sources(specs, tokenizer, needed_tokens=needed_tokens, text_field=data_args.text_field,
                           revision=data_args.dataset_revision, split=data_args.dataset_split,
                           margin_tokens=2 * data_args.seq_len)  # fmt: skip
    for source in sources:
        check_vocabulary(len(tokenizer), config.vocab_size, source.stream.max_token_id())
    data_seed = training_args.data_seed if training_args.data_seed is not None else training_args.seed
    dataset = PackedSequences(sources, data_args.seq_len, seed=data_seed, attention_resets=data_args.attention_resets)
    if max_steps <= 0:
        max_steps = len(dataset) // sequences_per_step
        if max_steps < 1:
            check_token_budget(len(dataset), sequences_per_step, data_args.seq_len, max_steps=1,
                               sequences_per_step=sequences_per_step)  # fmt: skip
    detail = "" if len(sources) == 1 else f" (sequences per source: {dataset.sequence_counts()})"
    check_token_budget(len(dataset), max_steps * sequences_per_step, data_args.seq_len, max_steps=max_steps,
                       sequences_per_step=sequences_per_step, detail=detail)  # fmt: skip
    training_args.max_steps = max_steps
    check_warmup(training_args.warmup_steps, max_steps)

    # Compute starts here.
    set_seed(training_args.seed)
    if stage == 1:
        model = AutoModelForCausalLM.from_config(config, attn_implementation=model_args.attn_implementation)
    else:
        model = AutoModelForCausalLM.from_pretrained(model_args.model_name_or_path, revision=model_args.model_revision,
                                                     attn_implementation=model_args.attn_implementation,
                                                     dtype=torch.float32)  # fmt: skip
    # Without a KV cache: with one, transformers skips the packed-sequence mask and documents would leak.
    model.config.use_cache = False
    parameters = count_parameters(model.config)
    flops = flops_per_token(model.config, data_args.seq_len)
    logger.info("stage %d: %s, %s parameters (%s without embeddings), %.3g training FLOPs/token at seq %d", stage,
                model_args.model_preset or model_args.model_name_or_path, f"{parameters['total']:,}",
                f"{parameters['non_embedding']:,}", flops, data_args.seq_len)  # fmt: skip
    logger.info("data: %s sequences of %d tokens; %d steps x %s tokens/step = %s tokens; %s", f"{len(dataset):,}",
                data_args.seq_len, max_steps, f"{tokens_per_step:,}", f"{max_steps * tokens_per_step:,}",
                attention_reset_note(model_args.attn_implementation, data_args.attention_resets))  # fmt: skip

    command = card_module.launch_command()
    config_yaml = card_module.config_text(config_file, stage_args, data_args, model_args, training_args=training_args)
    base_revision = getattr(model.config, "_commit_hash", None)

    def context(step: int | None, loss: float | None, tokens: int) -> dict:
        return card_module.card_context(stage=stage, stage_args=stage_args, data_args=data_args, model_args=model_args,
                                        config=config_yaml, command=command, tokens=tokens, final_loss=loss,
                                        parameters=parameters["total"], base_revision=base_revision, step=step,
                                        output_root=str(Path(training_args.output_dir).resolve().parent))  # fmt: skip

    push = None
    if stage_args.push_repo_id and stage_args.push_checkpoints:
        from snowcoder_hf.hub.client import push_checkpoint

        def push(folder, card_context, revision):
            return push_checkpoint(folder, stage_args.push_repo_id, card_context=card_context,
                                   private=stage_args.hub_private, revision=revision)  # fmt: skip

    throughput = ThroughputMeter(tokens_per_step, world, flops, _peak_tflops(stage_args))
    callbacks = [throughput, CheckpointCardCallback(lambda step, loss: context(step, loss, step * tokens_per_step),
                                                    push), *extra_callbacks]  # fmt: skip
    trainer = PretrainingTrainer(model=model, args=training_args, train_dataset=dataset, processing_class=tokenizer,
                                 data_collator=default_data_collator, callbacks=callbacks,
                                 lr_schedule=stage_args.lr_schedule, min_learning_rate=stage_args.min_learning_rate,
                                 throughput=throughput)  # fmt: skip
    resume_from = _resume_checkpoint(stage_args.resume, training_args.output_dir)
    if resume_from:
        logger.info("resuming from %s; the data order continues where it stopped", resume_from)
    result = trainer.train(resume_from_checkpoint=resume_from)

    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    final_loss = losses[-1] if losses else result.training_loss
    speeds = [e for e in trainer.state.log_history if "tokens_per_second" in e]
    summary = {
        "stage": stage, "output_dir": training_args.output_dir, "parameters": parameters["total"],
        "steps": trainer.state.global_step, "tokens": trainer.state.global_step * tokens_per_step,
        "final_loss": final_loss, "train_loss": result.training_loss, "resumed_from": resume_from,
        "tokens_per_second": speeds[-1]["tokens_per_second"] if speeds else None,
        "mfu": speeds[-1].get("mfu") if speeds else None, "seconds": round(time.perf_counter() - started, 1),
        "attention": attention_reset_note(model_args.attn_implementation, data_args.attention_resets),
    }  # fmt: skip
    model.config.use_cache = True  # the published checkpoint generates with a cache
    if trainer.is_fsdp_enabled:  # SHARDED_STATE_DICT checkpoints: save_model would write no weights
        save_consolidated_model(trainer, training_args.output_dir)
    else:
        trainer.save_model(training_args.output_dir)  # weights, config and tokenizer
    if trainer.is_world_process_zero():
        from snowcoder_hf.hub.cards import write_card

        final_context = context(None, final_loss, summary["tokens"])
        write_card(training_args.output_dir, "model", final_context)
        if stage_args.push_repo_id:
            from snowcoder_hf.hub.client import push_checkpoint

            summary["pushed_revision"] = push_checkpoint(training_args.output_dir, stage_args.push_repo_id,
                                                         card_context=final_context, private=stage_args.hub_private)  # fmt: skip
        Path(training_args.output_dir, "train_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print_training_summary(summary)
    return summary


def print_training_summary(summary: dict) -> None:
    """One screen at the end of a stage: what was trained, on how much, how fast, and where it went."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Stage {summary['stage']} training", title_justify="left", show_header=False)
    rows = [("output", summary["output_dir"]), ("parameters", f"{summary['parameters']:,}"),
            ("optimizer steps", f"{summary['steps']:,}"), ("tokens", f"{summary['tokens']:,}"),
            ("final loss", f"{summary['final_loss']:.4f}" if summary["final_loss"] is not None else "-"),
            ("tokens/s", f"{summary['tokens_per_second']:,.0f}" if summary["tokens_per_second"] else "-"),
            ("MFU", f"{summary['mfu']:.1%}" if summary.get("mfu") is not None else "- (peak unknown)"),
            ("resumed from", summary["resumed_from"] or "-"), ("attention", summary["attention"]),
            ("pushed", summary.get("pushed_revision") or "-"), ("wall time", f"{summary['seconds']:,.1f}s")]  # fmt: skip
    for key, value in rows:
        table.add_row(key, str(value))
    Console().print(table)
