"""The recipes' entry point: parse strictly, check every key and path before compute, and fail in one line.

`accelerate launch recipes/stageN.py` starts one process per rank; a bad config would otherwise print the same
traceback from each of them. Here a parse or pre-compute check error prints one line from rank 0 only
(`stage1.py: error: ...`) and every rank exits with code 2 before any model or data is loaded.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from snowcoder_hf.common.preflight import explain_unknown_keys, fail, known_keys, raise_value_error


def recipe_parser():
    """The strict parser of the training recipes: the four argument dataclasses, YAML then command line."""
    from transformers import TrainingArguments
    from trl import TrlParser

    from snowcoder_hf.training.arguments import DataArguments, ModelArguments, StageArguments

    parser = TrlParser((StageArguments, DataArguments, ModelArguments, TrainingArguments), allow_abbrev=False)
    parser.error = raise_value_error  # argparse would print its usage and exit from every rank
    return parser


def parse_recipe_args(argv: list[str]) -> tuple:
    """`(stage_args, data_args, model_args, training_args)` from `argv`; unknown keys are one clear ValueError."""
    from snowcoder_hf.training.arguments import apply_cpu_distributed_defaults

    parser = recipe_parser()
    apply_cpu_distributed_defaults(parser)  # CPU processes under `accelerate launch` join one gloo job
    try:
        return tuple(parser.parse_args_and_config(args=argv))
    except ValueError as err:
        raise ValueError(explain_unknown_keys(str(err), known_keys(parser.dataclass_types))) from err


def run_recipe(stage: int, main: Callable[..., dict], argv: list[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv) into the four argument dataclasses, run every pre-compute check, then
    call `main(stage_args, data_args, model_args, training_args, config_file=...)`."""
    from snowcoder_hf.training.arguments import config_file_from_argv
    from snowcoder_hf.training.checks import check_arguments

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    script = f"stage{stage}.py"
    config_file = config_file_from_argv(argv)
    if config_file and not Path(config_file).is_file():
        return fail(script, f"`--config` {config_file} does not exist.")
    try:
        args = parse_recipe_args(argv)
        check_arguments(stage, *args)
    except (ValueError, FileNotFoundError) as err:
        return fail(script, str(err))
    main(*args, config_file=config_file)
    return 0
