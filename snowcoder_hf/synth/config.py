"""The stage-3 configuration: one dataclass, parsed strictly from YAML, overridable from the command line."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from snowcoder_hf.synth.native_settings import API_CHOICES, TgiNativeSettings
from snowcoder_hf.synth.prompts import PROMPT_KINDS


@dataclass
class Stage3Config:
    """Everything a stage-3 run needs. Keys that shape generations go into the fingerprint."""

    output: str
    kind: str = "oss_instruct"  # oss_instruct | textbook | exercises
    input: str | None = None  # seed documents (stage-2 `selected/` or any document files); oss_instruct only
    endpoint: str = "http://127.0.0.1:8080"
    model: str = "meta-llama/Llama-3.1-70B-Instruct"
    model_revision: str | None = None  # recorded in provenance and the fingerprint
    token_env: str = "HF_TOKEN"
    api: str = "chat"  # chat (any OpenAI-compatible server) | tgi-native (TGI's raw-prompt route)
    tgi_native: dict[str, Any] = field(default_factory=dict)  # TgiNativeSettings keys, for `api: tgi-native`
    num_samples: int = 100
    concurrency: int = 64  # keep at or below the server's --max-concurrent-requests (TGI: 128)
    max_tokens: int = 2048
    temperature: float = 0.8
    top_p: float = 0.95
    run_seed: int = 0
    seed_policy: str = "document"  # document (the paper) | snippet (Magicoder's 1-15 lines)
    python_share: float = 0.5
    language_proportions: dict[str, float] | None = None  # stage-1 proportions; default: the seeds' own
    textbook_language: str = "Python"
    max_seed_chars: int = 12_000
    min_lines: int = 3
    near_dedup_threshold: float = 0.7
    decontaminate: list[str] = field(default_factory=lambda: ["humaneval", "mbpp", "evoeval", "bigcodebench"])
    benchmark_dir: str | None = None
    replay: list[dict] = field(default_factory=list)  # optional replayed stage-2 data in mixture.yaml
    synthetic_weight: float = 1.0
    request_timeout_s: float = 900.0
    max_retries: int = 8
    backoff_s: float = 1.0
    records_per_chunk: int = 500
    show_progress: bool = True
    executor: dict[str, Any] = field(default_factory=lambda: {"type": "local", "tasks": 1, "workers": 1})

    def __post_init__(self) -> None:
        if self.kind not in PROMPT_KINDS:
            raise ValueError(f"`kind` must be one of {', '.join(PROMPT_KINDS)}, got {self.kind!r}.")
        if self.api not in API_CHOICES:
            raise ValueError(f"`api` must be one of {', '.join(API_CHOICES)}, got {self.api!r}.")
        TgiNativeSettings.from_mapping(self.tgi_native)  # a misspelled key fails here, before any request
        if self.kind == "oss_instruct" and not self.input:
            raise ValueError("`input` (seed documents) is required for `kind: oss_instruct`.")
        if self.num_samples < 1:
            raise ValueError(f"`num_samples` must be at least 1, got {self.num_samples}.")
        if self.concurrency < 1:
            raise ValueError(f"`concurrency` must be at least 1, got {self.concurrency}.")
        if self.max_tokens < 1:
            raise ValueError(f"`max_tokens` must be at least 1, got {self.max_tokens}.")

    def generation_settings(self) -> dict[str, Any]:
        """What the fingerprint hashes, besides the planned requests (prompt texts are added by the caller)."""
        keys = ("kind", "model", "model_revision", "max_tokens", "temperature", "top_p", "run_seed", "seed_policy",
                "python_share", "language_proportions", "textbook_language", "max_seed_chars")  # fmt: skip
        return {key: getattr(self, key) for key in keys}

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> Stage3Config:
        """Strict: an unknown key in the file or in `overrides` raises, naming it."""
        data = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"`--config` {path} must hold a YAML mapping.")
        data.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown stage-3 config keys {unknown}; known keys: {sorted(known)}.")
        return cls(**data)
