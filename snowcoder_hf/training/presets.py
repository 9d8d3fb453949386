"""Llama-2 architecture presets: the paper's 1.3B model (Table 1), a ~100M model, and a tiny test model.

`arctic-1.3b` is exactly Table 1 of the Arctic-SnowCoder paper: hidden 2048, FFN 5632, 16 heads with 16
key/value heads (no GQA), 24 layers, vocabulary 64,000, sequence length 8192, tied embeddings and RoPE
with theta 10,000 (the paper gives no theta; Llama-2's is used). That comes to 1,364,297,728 parameters.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "arctic-1.3b": {
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "num_hidden_layers": 24,
        "vocab_size": 64_000,
        "max_position_embeddings": 8192,
        "tie_word_embeddings": True,
        "rope_theta": 10_000.0,
    },
    # Roughly GPT-2-small sized; the CPU benchmark's "real" model.
    "arctic-100m": {
        "hidden_size": 768,
        "intermediate_size": 2048,
        "num_attention_heads": 12,
        "num_key_value_heads": 12,
        "num_hidden_layers": 12,
        "vocab_size": 32_000,
        "max_position_embeddings": 2048,
        "tie_word_embeddings": True,
        "rope_theta": 10_000.0,
    },
    "tiny": {
        "hidden_size": 64,
        "intermediate_size": 176,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "num_hidden_layers": 2,
        "vocab_size": 512,
        "max_position_embeddings": 512,
        "tie_word_embeddings": True,
        "rope_theta": 10_000.0,
    },
}
# Llama-2 defaults that the presets share.
_COMMON = {"hidden_act": "silu", "rms_norm_eps": 1e-5, "initializer_range": 0.02, "attention_bias": False}


def preset_names() -> list[str]:
    return sorted(PRESETS)


def preset_values(name: str, **overrides: Any) -> dict[str, Any]:
    """The LlamaConfig keyword arguments of preset `name`, with `overrides` (e.g. `vocab_size`) applied."""
    if name not in PRESETS:
        raise ValueError(f"`model_preset` must be one of {', '.join(preset_names())}, got {name!r}.")
    values = {**_COMMON, **PRESETS[name]}
    unknown = sorted(set(overrides) - set(values) - {"bos_token_id", "eos_token_id", "pad_token_id"})
    if unknown:
        raise ValueError(f"preset overrides {unknown} are not preset keys; accepted: {sorted(values)}.")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values


def build_config(name: str, **overrides: Any):
    """A `transformers.LlamaConfig` for preset `name`."""
    from transformers import LlamaConfig

    values = preset_values(name, **overrides)
    rope_theta = values.pop("rope_theta")
    config = LlamaConfig(**values)
    # transformers 5 keeps RoPE settings in `rope_parameters`; older versions read `rope_theta`.
    if getattr(config, "rope_parameters", None) is not None:
        config.rope_parameters["rope_theta"] = rope_theta
    else:
        config.rope_theta = rope_theta
    return config


def count_parameters(config) -> dict[str, int]:
    """Parameter counts of a Llama config from its shapes alone (no model is built).

    `total` counts tied embeddings once; `non_embedding` leaves out the input (and tied output) embedding.
    """
    h, f, layers, v = config.hidden_size, config.intermediate_size, config.num_hidden_layers, config.vocab_size
    head_dim = getattr(config, "head_dim", None) or h // config.num_attention_heads
    q_o = 2 * h * config.num_attention_heads * head_dim
    k_v = 2 * h * config.num_key_value_heads * head_dim
    per_layer = q_o + k_v + 3 * h * f + 2 * h  # attention, SwiGLU MLP, two RMSNorms
    non_embedding = layers * per_layer + h  # + final norm
    embedding = v * h * (1 if config.tie_word_embeddings else 2)
    return {"total": non_embedding + embedding, "non_embedding": non_embedding, "embedding": embedding}
