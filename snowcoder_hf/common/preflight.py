"""Fail before compute: one clear line (from rank 0 only) for a bad key or path, and what each stage's output is.

Every recipe script checks its config and the folders it reads before it loads a model or data; a user error
prints `SCRIPT: error: MESSAGE` once and exits with code 2. The message names the key, the path and the step to
run first, so nobody reads a traceback from every rank to learn that a folder is missing.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)

# What each stage trains on, the step that writes it, and how to run that step.
STAGE_DATA = {1: "stage-1 data", 2: "stage-2 data", 3: "stage-3 data"}
RUN_FIRST = {
    "stage-1 data": "python recipes/stage1_data.py --config CONFIG --output_dir {path}",
    "stage-2 data": "python recipes/stage2_data.py --config CONFIG --stage1_dir STAGE1 --output_dir {path}",
    "stage-3 data": "python recipes/stage3_data.py --config CONFIG --input STAGE2/selected --output {path}",
    "alpha (stage 1)": "accelerate launch recipes/stage1.py --config CONFIG --output_dir {path}",
    "beta (stage 2)": "accelerate launch recipes/stage2.py --config CONFIG --output_dir {path}",
}


def is_checkpoint(path: Path) -> bool:
    return (path / "config.json").is_file() and any((path / w).exists() for w in WEIGHT_FILES)


def stage_output_kind(path: str | Path) -> str | None:
    """Which step wrote the folder `path`: `stage-N data`, `a model checkpoint`, or None for anything else."""
    path = Path(path)
    if not path.is_dir():
        return None
    if (path / "mixture.yaml").is_file():
        return "stage-3 data"
    if (path / "selection.json").is_file():
        return "stage-2 data"
    if (path / "tokens").is_dir() or ((path / "summary.json").is_file() and (path / "documents").is_dir()):
        return "stage-1 data"
    if is_checkpoint(path):
        return "a model checkpoint"
    return None


EXIT_USAGE = 2


def is_main_rank() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def known_keys(dataclass_types) -> list[str]:
    return sorted({f.name for cls in dataclass_types for f in fields(cls)})


def explain_unknown_keys(message: str, known: list[str]) -> str:
    """TrlParser's 'unknown arguments' errors, rewritten to name each key and its closest valid spelling."""
    if "nknown arguments" not in message and "not used by the HfArgumentParser" not in message:
        return message
    keys = [k.lstrip("-").split("=", 1)[0] for k in re.findall(r"'(--[^']+)'", message)]
    if not keys:
        return message
    parts = []
    for key in keys:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        parts.append(f"`{key}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
    return f"unknown config key {', '.join(parts)}: the recipe accepts only the keys of its argument dataclasses."


def raise_value_error(message: str):
    raise ValueError(message)


def fail(script: str, message: str) -> int:
    if is_main_rank():
        print(f"{script}: error: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def run_checked(script: str, parse: Callable[[], Any], main: Callable[[Any], Any]) -> int:
    """`main(parse())`, where a ValueError or FileNotFoundError raised while parsing and checking is one line and
    exit code 2; errors raised once `main` computes keep their traceback."""
    try:
        config = parse()
    except (ValueError, FileNotFoundError) as err:
        return fail(script, str(err))
    main(config)
    return 0


def require_folder(key: str, value: str, wanted: str, run_first: str) -> Path:
    """`value` (the config key `key`) must be an existing folder, and not another stage's output than `wanted`;
    else say which step writes it (`run_first`)."""
    path = Path(value).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"`{key}` {value} does not exist: it is written by the {wanted} step; run "
                                f"`{run_first}` first.")  # fmt: skip
    kind = stage_output_kind(path)
    if kind is not None and kind != wanted:
        raise ValueError(f"`{key}` {value} holds {kind}, not the {wanted} this step reads.")
    return path
