"""Training FLOPs per token and model FLOPs utilization (MFU).

FLOPs per token follow the convention of PaLM (appendix B) and MosaicML's llm-foundry, so MFU numbers
compare with their published ones: `6 * N + 12 * L * d * s`, where N is the number of parameters that
take part in a matrix multiply (every parameter but the input embedding lookup; with tied embeddings the
LM head still multiplies, so N counts the embedding matrix once), L the layers, d the hidden size, s the
sequence length. The attention term counts the full s x s score matrix, as both references do.
"""

from __future__ import annotations

# Dense bf16 peak throughput in TFLOP/s, by a substring of `torch.cuda.get_device_name()`.
PEAK_BF16_TFLOPS = {
    "H200": 989.0,
    "H100": 989.0,  # SXM; the anchor the paper-scale target is measured against
    "A100": 312.0,
    "L40S": 362.0,
    "A10G": 70.0,
}


def flops_per_token(config, seq_len: int) -> float:
    """Training (forward + backward) FLOPs per token of a Llama-shaped `config` at `seq_len`."""
    from snowcoder_hf.training.presets import count_parameters

    counts = count_parameters(config)
    matmul_params = counts["non_embedding"] + config.vocab_size * config.hidden_size  # LM head multiply
    attention = 12 * config.num_hidden_layers * config.hidden_size * seq_len
    return 6.0 * matmul_params + attention


def peak_tflops_for(device_name: str) -> float | None:
    """The dense bf16 peak of a named GPU, or None when unknown (then MFU is not reported)."""
    for key, value in PEAK_BF16_TFLOPS.items():
        if key in device_name:
            return value
    return None


def mfu(tokens_per_second_per_device: float, flops_per_tok: float, peak_tflops: float | None) -> float | None:
    """Achieved FLOP/s over the device's peak, in [0, 1]; None when the peak is unknown."""
    if not peak_tflops:
        return None
    return tokens_per_second_per_device * flops_per_tok / (peak_tflops * 1e12)
