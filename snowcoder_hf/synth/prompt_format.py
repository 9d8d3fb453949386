"""Chat messages as one raw prompt string, for TGI's native API: the model's chat template applied on the client, or the bare text.

A chat server applies the model's chat template itself; TGI's native route does not, so the client
must. `auto` uses the template when the tokenizer has one and the bare text otherwise (base models);
`chat_template` insists on one; `raw` needs no tokenizer at all. Two details of TGI matter:

- TGI tokenizes native prompts with the tokenizer's special tokens added, so a template that writes
  the BOS token itself would get it twice: the rendered BOS is removed when the tokenizer adds one;
- templates that have no system role (Gemma's raise on one) get the system text folded into the
  first user message.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

RAW_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class PromptFormat:
    """What a run's prompts are built with; `identity()` goes into fingerprints and cache keys."""

    kind: str  # "chat_template" | "raw"
    tokenizer: Any = None  # a transformers tokenizer, or None for `raw` without one
    strip_bos: str | None = None

    def render(self, messages: list[dict]) -> str:
        if self.kind == "raw":
            return RAW_SEPARATOR.join(str(m["content"]) for m in messages if m.get("content"))
        try:
            text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception as err:  # jinja's TemplateError: "System role not supported" and kin
            if not messages or messages[0].get("role") != "system" or "system" not in str(err).lower():
                raise ValueError(f"the chat template cannot render these messages: {err}") from err
            text = self.tokenizer.apply_chat_template(_fold_system(messages), tokenize=False,
                                                      add_generation_prompt=True)  # fmt: skip
        if self.strip_bos and text.startswith(self.strip_bos):
            text = text[len(self.strip_bos) :]
        return text

    def count_tokens(self, prompt: str) -> int | None:
        """Prompt tokens as TGI counts them (special tokens added), when a tokenizer is at hand."""
        if self.tokenizer is None:
            return None
        return len(self.tokenizer(prompt, add_special_tokens=True)["input_ids"])

    def identity(self) -> dict[str, str]:
        if self.kind == "raw":
            return {"prompt_format": "raw", "separator": RAW_SEPARATOR}
        template = self.tokenizer.chat_template
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode("utf-8")).hexdigest()[:16]
        return {"prompt_format": "chat_template", "chat_template_sha256": digest, "strip_bos": self.strip_bos or ""}


def _fold_system(messages: list[dict]) -> list[dict]:
    system, rest = messages[0]["content"], [dict(m) for m in messages[1:]]
    if rest and rest[0].get("role") == "user":
        rest[0]["content"] = f"{system}{RAW_SEPARATOR}{rest[0]['content']}"
        return rest
    return [{"role": "user", "content": system}, *rest]


def _load_tokenizer(source: str, revision: str | None):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(source, revision=revision)
    except (OSError, ValueError) as err:
        raise ValueError(
            f"Cannot load the tokenizer {source!r} whose chat template builds the native prompts "
            f"({str(err).strip().splitlines()[0]}). Pass "
            "`tgi_native.tokenizer` (a local folder or Hub id), or `prompt_format: raw` for bare prompts."
        ) from err


def _adds_bos(tokenizer) -> str | None:
    """The BOS text when encoding adds it (then a rendered BOS must go), else None."""
    bos, bos_id = tokenizer.bos_token, tokenizer.bos_token_id
    if not bos or bos_id is None:
        return None
    ids = tokenizer("x", add_special_tokens=True)["input_ids"]
    return bos if ids[:1] == [bos_id] else None


@functools.lru_cache(maxsize=8)
def load_prompt_format(prompt_format: str, tokenizer: str | None, revision: str | None = None) -> PromptFormat:
    """The prompt format of a run; loaded once per process (the runner and the fingerprint share it)."""
    if prompt_format == "raw":
        return PromptFormat("raw", _load_tokenizer(tokenizer, revision) if tokenizer else None)
    if not tokenizer:
        raise ValueError(f"`prompt_format: {prompt_format}` needs a tokenizer (`tgi_native.tokenizer` or `model`).")
    loaded = _load_tokenizer(tokenizer, revision)
    if not getattr(loaded, "chat_template", None):
        if prompt_format == "chat_template":
            raise ValueError(f"The tokenizer {tokenizer!r} has no chat template; use `prompt_format: auto` or `raw`.")
        return PromptFormat("raw", loaded)
    return PromptFormat("chat_template", loaded, _adds_bos(loaded))
