"""The `snowcoder` command: thin subcommands over the library modules.

Each subcommand lives in `snowcoder_hf.cli.<name>` and exposes `register(subparsers)`. Command
modules import their heavy dependencies inside the handler, so `snowcoder --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from snowcoder_hf import __version__

# Order is the order `--help` lists them in: the recipe's own order, data to evaluation.
COMMAND_MODULES = (
    "curate",
    "dedup",
    "decontaminate",
    "tokenizer",
    "annotator",
    "score",
    "select",
    "synth",
    "eval",
    "hub",
    "demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snowcoder",
        description="Arctic-SnowCoder's data, training and evaluation recipe on the Hugging Face stack.",
    )
    parser.add_argument("--version", action="version", version=f"snowcoder_hf {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="Log at DEBUG level.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"snowcoder_hf.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"snowcoder_hf.cli.{name}":
                raise
            continue  # a command not shipped in this build
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError) as err:
        # User errors get one clear line, not a traceback; `-v` keeps the traceback for debugging.
        if args.verbose:
            raise
        print(f"snowcoder {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
