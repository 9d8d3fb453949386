"""The flags that pick a generation API (`--api chat|tgi-native`) and shape TGI-native prompts, shared by subcommands."""

from __future__ import annotations

import argparse

from snowcoder_hf.synth.native_settings import API_CHOICES, PROMPT_FORMATS


def add_api_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", choices=API_CHOICES, help="chat: /v1/chat/completions of any OpenAI-compatible "
                        "server (default); tgi-native: TGI's raw-prompt route, the prompt built on the client.")  # fmt: skip
    parser.add_argument("--tokenizer", help="tgi-native: tokenizer folder or Hub id whose chat template builds the "
                        "prompt (default: --model).")  # fmt: skip
    parser.add_argument("--prompt-format", choices=[f.replace("_", "-") for f in PROMPT_FORMATS],
                        help="tgi-native: auto (chat template if the tokenizer has one, else bare text), "
                        "chat-template, or raw.")  # fmt: skip
    parser.add_argument("--stream", action="store_true", default=None, help="tgi-native: stream tokens (SSE).")


def native_overrides(args: argparse.Namespace) -> dict:
    """The `tgi_native` keys the flags set (only those given)."""
    values = {"tokenizer": args.tokenizer, "stream": args.stream,
              "prompt_format": args.prompt_format.replace("-", "_") if args.prompt_format else None}  # fmt: skip
    return {key: value for key, value in values.items() if value is not None}
