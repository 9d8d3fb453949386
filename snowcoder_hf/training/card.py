"""The card context of a checkpoint: lineage with revisions, the exact command and config, tokens, loss, evals.

`snowcoder_hf.hub.cards.write_card(folder, "model", context)` renders it with the `model_cards/` templates.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

STAGE_NAMES = {1: "alpha", 2: "beta", 3: "final"}
STAGE_SUMMARIES = {
    1: "Phase 1 of Arctic-SnowCoder: general code pretraining from scratch on repo-level documents "
    "(linear warmup, then cosine decay to a floor).",
    2: "Phase 2 of Arctic-SnowCoder: continued pretraining of alpha on the top-scored, repeated files "
    "(fresh optimizer, re-warmup, then linear decay).",
    3: "Phase 3 of Arctic-SnowCoder: continued pretraining of beta on the synthetic problem-solving code mix.",
}
# Training arguments worth recording in the card, beside the recipe's own dataclasses.
TRAINING_KEYS = ("output_dir", "max_steps", "learning_rate", "warmup_steps", "per_device_train_batch_size",
                 "gradient_accumulation_steps", "weight_decay", "adam_beta1", "adam_beta2", "max_grad_norm",
                 "bf16", "seed", "data_seed", "save_steps", "logging_steps")  # fmt: skip


def launch_command(argv: list[str] | None = None) -> str:
    """The command line as typed: `accelerate launch ...` when run under accelerate, else `python ...`."""
    argv = list(sys.argv if argv is None else argv)
    launcher = "accelerate launch" if any(k.startswith("ACCELERATE_") for k in os.environ) else "python"
    return f"{launcher} {shlex.join(argv)}"


def config_text(config_file: str | None, *dataclass_args: Any, training_args: Any = None) -> str:
    """The YAML config file verbatim, then every resolved value (CLI overrides included)."""
    parts = []
    if config_file and Path(config_file).is_file():
        parts.append(f"# {config_file}\n" + Path(config_file).read_text(encoding="utf-8").rstrip())
    resolved: dict[str, Any] = {}
    for args in dataclass_args:
        resolved.update(dataclasses.asdict(args))
    if training_args is not None:
        resolved.update({key: getattr(training_args, key, None) for key in TRAINING_KEYS})
    parts.append("# resolved values\n" + yaml.safe_dump(resolved, sort_keys=False).rstrip())
    return "\n\n".join(parts) + "\n"


def read_eval_results(path: str | None) -> list[dict] | None:
    if not path:
        return None
    file = Path(path)
    if not file.is_file():
        return None  # not evaluated yet; the card says so
    results = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(results, list) or not all(isinstance(r, dict) and {"task", "metric", "value"} <= set(r)
                                                for r in results):  # fmt: skip
        raise ValueError(f"`eval_results_path` {path} must hold a JSON list of {{task, metric, value}}.")
    return [{"task": r["task"], "metric": r["metric"], "value": r["value"]} for r in results]


def card_context(*, stage: int, stage_args, data_args, model_args, config: str, command: str, tokens: int,
                 final_loss: float | None, parameters: int, base_revision: str | None = None,
                 step: int | None = None, extra: dict[str, Any] | None = None,
                 output_root: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The `model` card context agreed with `snowcoder_hf.hub.cards` for a stage's checkpoint."""
    lineage = []
    if model_args.model_name_or_path:
        lineage.append({"role": "base model", "id": model_args.model_name_or_path,
                        "revision": model_args.model_revision or base_revision or "local"})  # fmt: skip
    else:
        lineage.append({"role": "architecture", "id": f"preset {model_args.model_preset}", "revision": "-"})
    lineage.append({"role": "dataset", "id": data_args.dataset_path, "revision": data_args.dataset_revision or "local"})
    if model_args.tokenizer_name_or_path:
        lineage.append({"role": "tokenizer", "id": model_args.tokenizer_name_or_path,
                        "revision": model_args.tokenizer_revision or "local"})  # fmt: skip
    facts = [f"- parameters: {parameters:,}", f"- training tokens: {tokens:,}",
             f"- final training loss: {final_loss:.4f}" if final_loss is not None else "- final training loss: -",
             f"- learning-rate schedule: `{stage_args.lr_schedule}` (floor {stage_args.min_learning_rate})"]  # fmt: skip
    if step is not None:
        facts.insert(0, f"- checkpoint at optimizer step {step:,}")
    facts += [f"- {key}: {value}" for key, value in (extra or {}).items()]
    name = STAGE_NAMES.get(stage, f"stage {stage}")
    base = model_args.model_name_or_path
    return {
        "title": stage_args.card_title or f"Arctic-SnowCoder {name}",
        "summary": STAGE_SUMMARIES.get(stage, "A snowcoder_hf pretraining checkpoint."),
        "license": stage_args.license,
        "tags": ["code", "snowcoder_hf", "arctic-snowcoder", f"stage-{stage}", "pretraining"],
        "lineage": lineage,
        "command": command,
        "config": config,
        "base_model": base if base and not _is_local(base) else None,
        "datasets": [data_args.dataset_path] if not _is_local(data_args.dataset_path) else [],
        "tokens": tokens,
        "eval_results": read_eval_results(stage_args.eval_results_path),
        "extra_sections": [{"title": "Training", "body": "\n".join(facts)}],
        "output_root": output_root,  # paths under it are written $OUT/... (see snowcoder_hf.hub.portable)
    }


def _is_local(name: str | None) -> bool:
    return not name or Path(name).exists() or name.startswith((".", "/", "~")) or name.count("/") != 1
