"""Prompts and stop sequences as EvalPlus builds them (evalplus 0.3, `evalplus.provider`).

Standard library only, so that generation scripts on a bare GPU machine can import it.

- **completion** (base models, the paper's setting): the task prompt with surrounding whitespace
  stripped and one newline added (EvalPlus's `prompt.strip() + "\\n"`); `paper=True` keeps it
  without the final newline, as the Arctic-SnowCoder paper's footnote says. Stops at EvalPlus's EOS
  list plus its direct-completion extras (HumanEval's for every benchmark but MBPP+).
- **chat** (instruct models): EvalPlus's user turn and assistant prefix, rendered with the model's
  chat template and cut at the point where the code starts; stops at the closing code fence.
"""

from __future__ import annotations

EOS = ["<|endoftext|>", "<|endofmask|>", "</s>", "\nif __name__", "\ndef main(", "\nprint("]
_DIRECT_EXTRA = {
    "humaneval": ["\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nassert "],
    "mbpp": ['\n"""', "\nassert"],
}
INSTRUCTION_PREFIX = (
    "Please provide a self-contained Python script that solves the following problem in a markdown code block:"
)
RESPONSE_PREFIX = (
    "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:"
)
_SPLITTER = "-[[]]-this-is-really-our-highest-priority-[[]]-"
STYLES = ("completion", "chat")


def task_text(item) -> str:
    """The text a model is asked to complete: BigCodeBench's `complete_prompt`, else the prompt."""
    if item.benchmark == "bigcodebench":
        return item.raw.get("complete_prompt", item.prompt)
    return item.prompt


def stop_sequences(item, style: str) -> list[str]:
    if style == "chat":
        return [*EOS, "\n```\n"]
    return [*EOS, *_DIRECT_EXTRA["mbpp" if item.benchmark in ("mbpp", "mbpp_plus") else "humaneval"]]


def build_prompt(item, style: str, tokenizer=None, paper: bool = False) -> str:
    """The generation prompt for `item` in `style` ("completion" or "chat"; chat needs `tokenizer`)."""
    if style not in STYLES:
        raise ValueError(f"`style` must be one of {', '.join(STYLES)}, got {style!r}.")
    text = task_text(item)
    if style == "completion":
        return text.strip() if paper else text.strip() + "\n"
    if tokenizer is None or getattr(tokenizer, "chat_template", None) is None:
        raise ValueError("`style` 'chat' needs a tokenizer with a chat template; use 'completion' for base models.")
    user = f"{INSTRUCTION_PREFIX}\n```\n{text.strip()}\n```\n"
    assistant = f"{RESPONSE_PREFIX}\n```python\n{_SPLITTER}\n```\n"
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}], tokenize=False
    )
    return rendered.split(_SPLITTER)[0]


def truncate_at_stop(text: str, stops: list[str]) -> str:
    """Cut `text` at the earliest stop sequence, as EvalPlus does after generation."""
    cut = min((text.index(s) for s in stops if s in text), default=len(text))
    return text[:cut]


def default_style(tokenizer) -> str:
    """Chat when the tokenizer has a chat template (an instruct model), else completion."""
    return "chat" if getattr(tokenizer, "chat_template", None) else "completion"
