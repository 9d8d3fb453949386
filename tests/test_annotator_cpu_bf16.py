"""bf16 on CPU for the annotator's encoder: every chunk's embedding within cosine 0.999 of fp32, and a warning
where the CPU would only emulate bf16."""

from __future__ import annotations

import logging

import numpy as np


def _code(lines: int) -> str:
    return "".join(f"def f{i}(x):\n    '''Add {i}.'''\n    return x + {i}\n\n" for i in range(lines))


def test_bf16_embeddings_match_fp32_chunk_by_chunk(minilm_dir):
    from snowcoder_hf.annotator.encoder import ChunkEncoder

    texts = [_code(60), "print('hello')\n", "x = [" + ", ".join(map(str, range(400))) + "]\n"]
    fp32 = np.concatenate(ChunkEncoder(str(minilm_dir), device="cpu", dtype="float32").embed_documents(texts))
    bf16_encoder = ChunkEncoder(str(minilm_dir), device="cpu", dtype="bfloat16")
    bf16 = np.concatenate(bf16_encoder.embed_documents(texts))
    assert bf16.dtype == np.float32
    assert bf16.shape == fp32.shape
    cosine = (bf16 * fp32).sum(1) / (np.linalg.norm(bf16, axis=1) * np.linalg.norm(fp32, axis=1))
    assert cosine.min() >= 0.999


def test_bf16_on_a_cpu_without_native_bf16_says_it_is_slower(minilm_dir, monkeypatch, caplog):
    from snowcoder_hf.annotator import encoder

    monkeypatch.setattr(encoder, "_cpu_has_native_bf16", lambda torch: False)
    with caplog.at_level(logging.WARNING):
        encoder.ChunkEncoder(str(minilm_dir), device="cpu", dtype="bfloat16")
    assert "no native bf16" in caplog.text


def test_fast_takes_bf16_only_where_the_cpu_computes_it(minilm_dir, monkeypatch, caplog):
    from snowcoder_hf.annotator import encoder

    for native, expected in ((True, "bfloat16"), (False, "float32")):
        monkeypatch.setattr(encoder, "_cpu_has_native_bf16", lambda torch, native=native: native)
        with caplog.at_level(logging.WARNING):
            assert encoder.ChunkEncoder(str(minilm_dir), device="cpu", dtype="fast").dtype == expected
    assert "no native bf16" not in caplog.text


def test_bf16_embeddings_never_share_a_cache_folder_with_fp32(tmp_path):
    from snowcoder_hf.annotator.embedding_cache import EmbeddingCache, encoder_key

    assert encoder_key("enc", "r1") == encoder_key("enc", "r1", "float32") == "enc@r1"
    folders = {EmbeddingCache(tmp_path, None, encoder_key("enc", "r1", d)).folder for d in ("float32", "bfloat16")}
    assert len(folders) == 2
