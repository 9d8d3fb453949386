"""Fail-before-compute validation: every check here runs before a model is built or a step is taken."""

from __future__ import annotations

import math
from pathlib import Path

from snowcoder_hf.common.preflight import RUN_FIRST, STAGE_DATA, WEIGHT_FILES, stage_output_kind
from snowcoder_hf.training.schedules import SCHEDULES


def check_arguments(stage: int, stage_args, data_args, model_args, training_args) -> None:
    """Argument combinations that can never work, caught before anything is loaded."""
    if getattr(training_args, "push_to_hub", False):
        raise ValueError("`push_to_hub` must stay false: the recipes push through snowcoder_hf.hub.client with a card; "
                         "set `push_repo_id` instead.")  # fmt: skip
    if stage_args.push_checkpoints and not stage_args.push_repo_id:
        raise ValueError("`push_checkpoints: true` needs `push_repo_id` (the Hub repo to push to).")
    if stage_args.lr_schedule not in SCHEDULES:
        raise ValueError(f"`lr_schedule` must be one of {', '.join(SCHEDULES)}, got {stage_args.lr_schedule!r}.")
    if not data_args.dataset_path:
        raise ValueError(
            "`dataset_path` is required: a stage output folder, a JSONL/Parquet file or folder, or a Hub id."
        )
    if data_args.seq_len < 2:
        raise ValueError(f"`seq_len` must be at least 2, got {data_args.seq_len}.")
    if data_args.repeat is not None and data_args.repeat < 1:
        raise ValueError(f"`repeat` must be at least 1, got {data_args.repeat}.")
    if stage_args.token_budget is not None and stage_args.token_budget < 1:
        raise ValueError(f"`token_budget` must be a positive number of tokens, got {stage_args.token_budget}.")
    if stage == 1:
        if not model_args.model_preset:
            raise ValueError("stage 1 trains from scratch: set `model_preset` (arctic-1.3b, arctic-100m or tiny).")
        if model_args.model_name_or_path:
            raise ValueError("stage 1 trains from scratch: drop `model_name_or_path` and set `model_preset`.")
    else:
        if model_args.model_preset:
            raise ValueError(f"stage {stage} continues a checkpoint: drop `model_preset`, set `model_name_or_path`.")
        check_base_checkpoint(stage, model_args.model_name_or_path, model_args.model_revision)
        if getattr(stage_args, "check_lineage", True):
            check_base_stage(stage, model_args.model_name_or_path)
    check_dataset_path(stage, data_args, check_lineage=getattr(stage_args, "check_lineage", True))
    resolve_tokenizer(stage, data_args, model_args)


def check_dataset_path(stage: int, data_args, *, check_lineage: bool = True) -> None:
    """A local `dataset_path` must exist and, read as a stage output, be this stage's data."""
    name = data_args.dataset_path
    wanted = STAGE_DATA.get(stage, "training data")
    if not _looks_local(name):
        return  # a Hub id: resolved by `datasets` when the data loads
    path = Path(name).expanduser()
    if not path.exists():
        hint = RUN_FIRST.get(wanted, "").format(path=name)
        raise FileNotFoundError(f"`dataset_path` {name} does not exist: write the {wanted} there first"
                                + (f" (`{hint}`)." if hint else "."))  # fmt: skip
    kind = stage_output_kind(path)
    if check_lineage and data_args.dataset_format == "auto" and kind is not None and kind != wanted:
        raise ValueError(f"`dataset_path` {name} holds {kind}, but stage {stage} trains on {wanted}: point it at "
                         f"the {wanted} folder (or set `dataset_format` to train on this folder anyway).")  # fmt: skip


def check_base_stage(stage: int, name: str) -> None:
    """A local base checkpoint written by this project's recipes records its stage; stage N continues N-1."""
    summary = Path(name).expanduser() / "train_summary.json"
    if not summary.is_file():
        return  # a checkpoint from elsewhere: nothing to check
    import json

    try:
        trained = int(json.loads(summary.read_text()).get("stage"))
    except (ValueError, TypeError, AttributeError):
        return
    if trained != stage - 1:
        previous = {2: "alpha (stage 1)", 3: "beta (stage 2)"}[stage]
        raise ValueError(f"`model_name_or_path` {name} is the stage-{trained} checkpoint, but stage {stage} "
                         f"continues {previous}: point it at that output_dir (or set `check_lineage: false`).")  # fmt: skip


def resolve_tokenizer(stage: int, data_args, model_args) -> None:
    """Stage 1 reads the tokenizer that the stage-1 data step trained (`dataset_path/tokenizer`) unless one is
    named; a named local tokenizer must exist. Stages 2 and 3 default to the base checkpoint's own."""
    name = model_args.tokenizer_name_or_path
    if not name:
        if stage != 1:
            return
        candidate = Path(data_args.dataset_path).expanduser() / "tokenizer"
        if not candidate.is_dir():
            raise FileNotFoundError(f"stage 1 needs `tokenizer_name_or_path`: none is set and {candidate} does not "
                                    "exist (the stage-1 data step writes it with `tokenizer.train: true`).")  # fmt: skip
        model_args.tokenizer_name_or_path = str(candidate)
        return
    if _looks_local(name) and not Path(name).expanduser().is_dir():
        raise FileNotFoundError(f"`tokenizer_name_or_path` {name} does not exist: the stage-1 data step writes "
                                "the tokenizer to its output_dir/tokenizer; point at that folder.")  # fmt: skip


def _looks_local(name: str) -> bool:
    """A path rather than a Hub `org/name` id: anything but one slash, or an `a/b` whose `a` is a local folder."""
    path = Path(name).expanduser()
    return name.startswith((".", "/", "~")) or name.count("/") != 1 or path.exists() or path.parent.is_dir()


def check_base_checkpoint(stage: int, name: str | None, revision: str | None = None) -> None:
    """Stages 2 and 3 start from the previous stage's weights; a missing checkpoint fails here, not mid-load."""
    previous = {2: "alpha (stage 1)", 3: "beta (stage 2)"}.get(stage, "the base model")
    if not name:
        raise ValueError(f"stage {stage} needs `model_name_or_path`: the {previous} checkpoint.")
    if _looks_local(name):
        path = Path(name).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"base checkpoint `model_name_or_path` {name} does not exist: "
                                    f"train {previous} first, or point at its output_dir.")  # fmt: skip
        missing = [n for n in ("config.json",) if not (path / n).exists()]
        if missing or not any((path / w).exists() for w in WEIGHT_FILES):
            raise FileNotFoundError(f"base checkpoint `model_name_or_path` {name} is not a saved model "
                                    f"(needs config.json and one of {', '.join(WEIGHT_FILES)}).")  # fmt: skip
        return
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(name, revision=revision)
    except OSError as err:
        raise FileNotFoundError(f"base checkpoint `model_name_or_path` {name}@{revision or 'main'} could not be "
                                f"fetched from the Hub: {err}") from err  # fmt: skip


def check_vocabulary(
    tokenizer_size: int, model_vocab_size: int, max_data_token_id: int = -1, *, where: str = ""
) -> None:
    """The model must have a row for every id the tokenizer and the token shards can produce."""
    if tokenizer_size > model_vocab_size:
        raise ValueError(f"vocabulary mismatch: the tokenizer has {tokenizer_size:,} tokens but the model's "
                         f"`vocab_size` is {model_vocab_size:,}{where}; use the tokenizer the model was built for "
                         "or set `model_vocab_size`.")  # fmt: skip
    if max_data_token_id >= model_vocab_size:
        raise ValueError(f"vocabulary mismatch: the token shards hold id {max_data_token_id:,} but the model's "
                         f"`vocab_size` is {model_vocab_size:,}; the shards were tokenized with another tokenizer.")  # fmt: skip


def check_token_budget(available_sequences: int, needed_sequences: int, seq_len: int, *, max_steps: int,
                       sequences_per_step: int, detail: str = "") -> None:  # fmt: skip
    """Enough packed sequences for `max_steps`; otherwise say how many tokens are missing."""
    if needed_sequences <= available_sequences:
        return
    have, need = available_sequences * seq_len, needed_sequences * seq_len
    short = need - have
    can_do = available_sequences // sequences_per_step
    raise ValueError(f"too few tokens: `max_steps` {max_steps:,} x {sequences_per_step:,} sequences x `seq_len` "
                     f"{seq_len:,} needs {need:,} tokens but the dataset gives {have:,}{detail}: short by "
                     f"{short:,} tokens ({short / need:.1%}). Lower `max_steps`/`token_budget` to at most "
                     f"{can_do:,} steps, or add data.")  # fmt: skip


def check_warmup(warmup_steps: float, max_steps: int) -> None:
    """A warmup longer than the run is caught once the step count is known, before the model is built."""
    if warmup_steps is not None and warmup_steps >= 1 and warmup_steps > max_steps:
        raise ValueError(f"`warmup_steps` {int(warmup_steps):,} is longer than the run's {max_steps:,} steps: "
                         "lower it (a float below 1 is a ratio of max_steps) or train longer.")  # fmt: skip


def steps_for_budget(token_budget: int, tokens_per_step: int) -> int:
    """Optimizer steps that consume `token_budget` tokens (rounded up): 500B / (512 x 8192) = 119,210."""
    return math.ceil(token_budget / tokens_per_step)
