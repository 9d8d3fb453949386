"""lighteval's own command line, run with one narrowly scoped fix so that it works offline on huggingface_hub 2.

    SNOWCODER_BENCHMARK_DIR=BENCH python -m snowcoder_hf.eval.lighteval_cli accelerate \\
        "model_name=path/to/checkpoint" "humaneval_plus|0" --custom-tasks snowcoder_hf/eval/lighteval_tasks.py

The arguments are lighteval's, unchanged (`lighteval --help` lists them); this runs lighteval's CLI
function (`lighteval.__main__.app`). The fix: lighteval 0.13 imports every built-in task module
before it reads `--custom-tasks`, and a module that fails to import aborts the whole run. Three do
on this stack: `tiny_benchmarks` downloads a pickle from GitHub at import (offline: a
ConnectionError), and `mt_bench` and `mix_eval` build judge metrics at import that call
`HfApi.list_models(model_name=...)`, an argument huggingface_hub 1.0 removed (a TypeError, online or
not). Within `tolerant_task_registry()` a built-in module that fails to import is skipped with a
warning naming it and the error, as lighteval already treats its community tasks; every other
built-in task and the custom tasks load exactly as lighteval loads them. Nothing else is changed.
"""

from __future__ import annotations

import importlib
import logging
import sys
from contextlib import contextmanager

logger = logging.getLogger(__name__)


def _import_or_skip(module_name: str, skipped: list[str]):
    try:
        return importlib.import_module(module_name)
    except Exception as err:  # any import-time failure of one built-in task module: skip that module only
        skipped.append(module_name)
        logger.warning("lighteval task module %s failed to import and is skipped (%s: %s)", module_name,
                       type(err).__name__, str(err).splitlines()[0][:200] if str(err) else "")  # fmt: skip
        return None


@contextmanager
def tolerant_task_registry():
    """Within it, lighteval's registry skips built-in task modules that fail to import; yields the skipped names."""
    from lighteval.tasks.registry import Registry

    saved = Registry.__dict__["_load_from_files"], Registry.__dict__["_load_from_subdirs"]
    skipped: list[str] = []

    # The same loops as lighteval's `Registry._load_from_files` / `_load_from_subdirs`, with the import guarded.
    def load_from_files(files, module_prefix: str) -> dict:
        configs = {}
        for path in files:
            module = _import_or_skip(f"{module_prefix}.{path.stem}", skipped)
            if module is not None:
                configs.update(Registry._extract_configs(module))
        return configs

    def load_from_subdirs(subdirs) -> dict:
        configs = {}
        for path in subdirs:
            module = _import_or_skip(f"lighteval.tasks.tasks.{path.name}.main", skipped)
            if module is not None:
                configs.update(Registry._extract_configs(module))
        return configs

    Registry._load_from_files = staticmethod(load_from_files)
    Registry._load_from_subdirs = staticmethod(load_from_subdirs)
    try:
        yield skipped
    finally:
        Registry._load_from_files, Registry._load_from_subdirs = saved


def run_cli(argv: list[str], *, standalone: bool = False):
    """Run lighteval's CLI with `argv` (lighteval's own arguments); returns (what the command returned, the
    built-in task modules skipped). `standalone`: exit as a command line does, with click's exit codes."""
    import torch
    from lighteval.__main__ import app

    logger.disabled = False  # lighteval's CLI module configures logging at import and disables existing loggers
    grad_enabled = torch.is_grad_enabled()  # lighteval turns gradients off process-wide; give them back
    try:
        with tolerant_task_registry() as skipped:
            try:
                return app(list(argv), prog_name="lighteval", standalone_mode=standalone), skipped
            finally:
                if skipped:
                    print(f"lighteval_cli: skipped built-in task modules that cannot import here: "
                          f"{', '.join(name.removesuffix('.main').rsplit('.', 1)[-1] for name in skipped)}",
                          file=sys.stderr)  # fmt: skip
    finally:
        torch.set_grad_enabled(grad_enabled)


def main() -> None:
    run_cli(sys.argv[1:], standalone=True)


if __name__ == "__main__":
    main()
