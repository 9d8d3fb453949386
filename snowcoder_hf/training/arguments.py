"""The recipes' argument dataclasses, parsed strictly from YAML and the command line by `TrlParser`.

`TrlParser((StageArguments, DataArguments, ModelArguments, TrainingArguments)).parse_args_and_config()`:
a key that no dataclass declares fails, in the YAML file and on the command line alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelArguments:
    """What to train: a preset built from config (stage 1) or a base checkpoint (stages 2 and 3)."""

    model_preset: str | None = field(
        default=None, metadata={"help": "Build the model from a preset (arctic-1.3b, arctic-100m, tiny); stage 1 only."}
    )
    model_name_or_path: str | None = field(
        default=None, metadata={"help": "Base checkpoint (local folder or Hub id); required for stages 2 and 3."}
    )
    model_revision: str | None = field(default=None, metadata={"help": "Pinned Hub revision of the base checkpoint."})
    tokenizer_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Tokenizer folder or Hub id (e.g. what `snowcoder tokenizer train` wrote); defaults to the base checkpoint's."
        },
    )
    tokenizer_revision: str | None = field(default=None, metadata={"help": "Pinned Hub revision of the tokenizer."})
    model_vocab_size: int | None = field(
        default=None,
        metadata={"help": "Override the preset's vocabulary size; the tiny preset defaults to the tokenizer's size."},
    )
    attn_implementation: str = field(
        default="sdpa", metadata={"help": "sdpa, eager, flex_attention, flash_attention_2 or flash_attention_3."}
    )


@dataclass
class DataArguments:
    """Where the training tokens come from and how they are packed."""

    dataset_path: str | None = field(
        default=None,
        metadata={
            "help": "A stage output folder (tokens/, selection.json, mixture.yaml), a file/folder of JSONL/Parquet, or a Hub id."
        },
    )
    dataset_revision: str | None = field(default=None, metadata={"help": "Pinned Hub revision of the dataset."})
    dataset_format: str = field(default="auto", metadata={"help": "auto, tokens, text, selection or mixture."})
    dataset_split: str = field(default="train", metadata={"help": "Split of a Hub or save_to_disk dataset."})
    text_field: str = field(default="text", metadata={"help": "The text column of text datasets."})
    seq_len: int = field(default=8192, metadata={"help": "Packed sequence length."})
    repeat: int | None = field(
        default=None, metadata={"help": "Repetition factor; defaults to selection.json's `repeat` for stage 2, else 1."}
    )
    attention_resets: bool = field(
        default=True,
        metadata={"help": "Restart positions and attention at document boundaries inside a packed sequence."},
    )


@dataclass
class StageArguments:
    """The schedule, the token budget, resuming, publishing and the card."""

    lr_schedule: str = field(default="warmup_cosine", metadata={"help": "warmup_cosine, warmup_linear or constant."})
    min_learning_rate: float = field(
        default=0.0,
        metadata={
            "help": "LR at the end of the decay (5.3e-5 for stage 1's cosine, 0 for the re-warmup linear decay)."
        },
    )
    token_budget: int | None = field(
        default=None,
        metadata={"help": "Training tokens; sets max_steps = budget / (global batch x seq_len) when max_steps is -1."},
    )
    resume: str = field(
        default="auto",
        metadata={
            "help": "`auto` resumes from the last checkpoint in output_dir, `never` starts over, or a checkpoint path."
        },
    )
    peak_tflops: float | None = field(
        default=None,
        metadata={"help": "Per-device peak TFLOP/s for MFU; defaults to the GPU's dense bf16 peak, unknown on CPU."},
    )
    push_repo_id: str | None = field(
        default=None,
        metadata={"help": "Hub repo to push the final checkpoint (and its card) to through snowcoder_hf.hub.client."},
    )
    push_checkpoints: bool = field(
        default=False,
        metadata={"help": "Also push each periodic checkpoint to the revision branch `step-N` of push_repo_id."},
    )
    hub_private: bool = field(default=False, metadata={"help": "Create push_repo_id as a private repo."})
    check_lineage: bool = field(
        default=True,
        metadata={"help": "Fail when dataset_path or model_name_or_path is another stage's output (false: allow it)."},
    )
    eval_results_path: str | None = field(
        default=None,
        metadata={"help": "A JSON list of {task, metric, value} to put in the card, once evaluation has run."},
    )
    card_title: str | None = field(default=None, metadata={"help": "The card's title; defaults to the stage's name."})
    license: str = field(default="apache-2.0", metadata={"help": "The license written to the card."})


def config_file_from_argv(argv: list[str]) -> str | None:
    """The `--config` file named on a command line, so the card can record it verbatim."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


def apply_cpu_distributed_defaults(parser) -> bool:
    """Make several CPU processes one gloo job: without this, TrainingArguments on a machine with no GPU
    leaves every process of `accelerate launch --multi_gpu --num_processes N` training alone (world size 1).

    Sets the parser's defaults `use_cpu: true, ddp_backend: gloo` when launched with WORLD_SIZE > 1 and no
    CUDA device; a YAML or command-line value still wins. Returns whether it did.
    """
    import os

    import torch

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not torch.cuda.is_available():
        parser.set_defaults(use_cpu=True, ddp_backend="gloo")
        return True
    return False
