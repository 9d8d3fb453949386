"""Model presets and the FLOPs/MFU arithmetic."""

from __future__ import annotations

import pytest

from snowcoder_hf.training.flops import flops_per_token, mfu, peak_tflops_for
from snowcoder_hf.training.presets import build_config, count_parameters


def test_arctic_preset_is_table1_with_1364m_parameters():
    import torch
    from transformers import LlamaForCausalLM

    config = build_config("arctic-1.3b")
    assert (config.hidden_size, config.intermediate_size, config.num_attention_heads, config.num_key_value_heads,
            config.num_hidden_layers, config.vocab_size, config.max_position_embeddings) == (
        2048, 5632, 16, 16, 24, 64_000, 8192)  # fmt: skip
    assert config.tie_word_embeddings
    assert config.rope_parameters["rope_theta"] == 10_000.0
    counts = count_parameters(config)
    assert counts["total"] == 1_364_297_728
    assert round(counts["non_embedding"] / 1e9, 3) == 1.233
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    assert sum(p.numel() for p in model.parameters()) == counts["total"]


def test_tiny_preset_takes_a_vocabulary_override_and_unknown_presets_fail():
    assert build_config("tiny", vocab_size=576).vocab_size == 576
    with pytest.raises(ValueError, match="model_preset"):
        build_config("arctic-7b")


def test_mfu_of_mosaicml_anchor_matches_their_published_figure():
    # MosaicML's 1.3B at seq 8192: 29k tokens/s/GPU at 37.7% MFU on H100 (989 TFLOP/s bf16 dense).
    config = build_config("arctic-1.3b")
    per_token = flops_per_token(config, 8192)
    assert per_token == pytest.approx(6 * 1_364_297_728 + 12 * 24 * 2048 * 8192)
    assert mfu(29_000, per_token, peak_tflops_for("NVIDIA H100 80GB HBM3")) == pytest.approx(0.38, abs=0.01)
    assert mfu(29_000, per_token, peak_tflops_for("cpu")) is None
