"""The settings of TGI's native API (`api: tgi-native`): where the chat template comes from, streaming, extra parameters.

TGI's native route takes one raw prompt string instead of chat messages. The prompt is built on the
client: with the model's chat template when its tokenizer has one (`prompt_format: auto`), always with
it (`chat_template`, an error when there is none), or as the bare text (`raw`, for base models).

`parameters` passes TGI's other generation parameters through `InferenceClient.text_generation`
(`grammar`, `stop`, `top_k`, `repetition_penalty`, `decoder_input_details`, ...). The ones the run
sets itself (prompt, `max_new_tokens`, `temperature`, `top_p`, `seed`, `details`, `stream`,
`return_full_text`) are refused there, so a config cannot contradict the recorded sampling.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

API_CHOICES = ("chat", "tgi-native")
PROMPT_FORMATS = ("auto", "chat_template", "raw")

# `text_generation` keyword arguments a config may pass; checked against huggingface_hub's signature in tests.
PASSTHROUGH_PARAMETERS = frozenset({
    "adapter_id", "best_of", "decoder_input_details", "frequency_penalty", "grammar", "repetition_penalty", "stop",
    "top_k", "top_n_tokens", "truncate", "typical_p", "watermark",
})  # fmt: skip
SET_BY_THE_RUN = frozenset({"prompt", "max_new_tokens", "temperature", "top_p", "seed", "do_sample", "details",
                            "stream", "return_full_text", "model"})  # fmt: skip


@dataclass
class TgiNativeSettings:
    """How chat messages become a native TGI request. Only used with `api: tgi-native`."""

    tokenizer: str | None = None  # folder or Hub id whose chat template builds the prompt; default: `model`
    revision: str | None = None  # of `tokenizer`
    prompt_format: str = "auto"  # auto | chat_template | raw
    stream: bool = False  # stream tokens (server-sent events); long answers survive proxies' idle timeouts
    parameters: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.prompt_format not in PROMPT_FORMATS:
            raise ValueError(f"`prompt_format` must be one of {', '.join(PROMPT_FORMATS)}, got {self.prompt_format!r}.")
        if not isinstance(self.parameters, dict):
            raise ValueError(f"`parameters` must be a mapping of text_generation arguments, got {self.parameters!r}.")
        ours = sorted(set(self.parameters) & SET_BY_THE_RUN)
        if ours:
            raise ValueError(f"`parameters` may not set {ours}: the run sets them (max_tokens, temperature, top_p, "
                             "and one seed per request).")  # fmt: skip
        unknown = sorted(set(self.parameters) - PASSTHROUGH_PARAMETERS)
        if unknown:
            raise ValueError(f"unknown TGI parameters {unknown}; known: {sorted(PASSTHROUGH_PARAMETERS)}.")
        best_of = self.parameters.get("best_of")
        if best_of is not None and best_of != 1:
            # TGI answers 422 "`seed` must not be set when `best_of` > 1", and every request here carries its
            # own seed so that resumes and reruns ask for exactly the same sample.
            raise ValueError("`best_of` > 1 cannot be used: TGI rejects it together with `seed`, and every request "
                             "carries its own seed; plan more samples instead (k samples are k requests).")  # fmt: skip
        if self.stream and self.parameters.get("decoder_input_details"):
            raise ValueError("`decoder_input_details` needs `stream: false` (TGI rejects it when streaming).")

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> TgiNativeSettings:
        """Strict: an unknown key raises, naming it."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown `tgi_native` keys {unknown}; known keys: {sorted(known)}.")
        return cls(**values)

    def fingerprint_settings(self) -> dict[str, Any]:
        """What shapes the answers (streaming does not)."""
        return {"prompt_format": self.prompt_format, "parameters": self.parameters}
