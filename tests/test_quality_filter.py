"""The ChunkAveragedQualityFilter block and the chunk encoder behind it, on a tiny random encoder."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from datatrove.data import Document

from snowcoder_hf.annotator.head import LinearHead
from snowcoder_hf.annotator.model import Annotator, AnnotatorConfig


@pytest.fixture(scope="module")
def tiny_encoder_dir(tmp_path_factory, minilm_dir):
    from snowcoder_hf.annotator.random_encoder import build_random_encoder

    return build_random_encoder(tmp_path_factory.mktemp("tiny_encoder"), "bert-tiny-random",
                                tokenizer_dir=minilm_dir, max_seq_length=32)  # fmt: skip


@pytest.fixture(scope="module")
def annotator_dir(tmp_path_factory, tiny_encoder_dir):
    rng = np.random.default_rng(0)
    head = LinearHead("classification", rng.normal(size=32) * 4, 0.1)
    folder = tmp_path_factory.mktemp("annotator")
    Annotator(AnnotatorConfig(encoder=str(tiny_encoder_dir)), head).save(folder)
    return folder


def _docs(*texts):
    return [Document(text=t, id=str(i), metadata={"language": "python"}) for i, t in enumerate(texts)]


def _long_code(lines: int) -> str:
    return "".join(f"def f_{i}(x):\n    return x + {i}\n" for i in range(lines))


def test_the_block_writes_the_mean_of_its_chunk_scores(annotator_dir):
    from snowcoder_hf.pipeline import ChunkAveragedQualityFilter

    block = ChunkAveragedQualityFilter(str(annotator_dir))
    docs = _docs(_long_code(300), "x = 1\n")
    out = list(block.run(iter(docs)))
    assert [d.id for d in out] == ["0", "1"]
    long_doc, short_doc = out
    assert len(long_doc.metadata["chunk_scores"]) == 3  # top, middle, bottom
    assert len(short_doc.metadata["chunk_scores"]) == 1  # shorter than one chunk
    for doc in out:
        assert doc.metadata["quality_score"] == pytest.approx(np.mean(doc.metadata["chunk_scores"]))
        assert 0.0 < doc.metadata["quality_score"] < 1.0


def test_chunk_strategies_read_one_three_or_every_chunk(annotator_dir):
    from snowcoder_hf.pipeline import ChunkAveragedQualityFilter

    counts = {}
    for strategy in ("first", "top_middle_bottom", "all"):
        (doc,) = list(ChunkAveragedQualityFilter(str(annotator_dir), chunks=strategy).run(iter(_docs(_long_code(40)))))
        counts[strategy] = len(doc.metadata["chunk_scores"])
    assert counts["first"] == 1
    assert counts["top_middle_bottom"] == 3
    assert counts["all"] > 3


def test_a_threshold_drops_low_scores_and_empty_documents_with_their_reasons(annotator_dir):
    from snowcoder_hf.pipeline import ChunkAveragedQualityFilter

    annotate = ChunkAveragedQualityFilter(str(annotator_dir))
    texts = [_long_code(n) for n in (1, 5, 20, 60)] + ["import os\n", "   \n"]
    scored = list(annotate.run(iter(_docs(*texts))))
    assert len(scored) == 5  # the blank document cannot be scored
    assert annotate.stats["dropped_empty_text"].total == 1
    cut = float(np.median([d.metadata["quality_score"] for d in scored]))
    block = ChunkAveragedQualityFilter(str(annotator_dir), threshold=cut)
    kept = list(block.run(iter(_docs(*texts))))
    assert kept
    assert all(d.metadata["quality_score"] >= cut for d in kept)
    assert block.stats["dropped_low_quality"].total == 5 - len(kept)


def test_bad_text_is_scored_not_crashed_on(annotator_dir):
    from snowcoder_hf.pipeline import ChunkAveragedQualityFilter

    texts = ["caf\udce9 = 'bytes that were not UTF-8'\n", "y=2;" * 200_000, "\x00\x01 binary-ish \x02"]
    out = list(ChunkAveragedQualityFilter(str(annotator_dir)).run(iter(_docs(*texts))))
    assert len(out) == 3
    assert all(d.metadata["quality_score"] is not None for d in out)
    assert len(out[1].metadata["chunk_scores"]) == 3  # one huge line still has a top, middle and bottom


def test_a_cuda_out_of_memory_error_halves_the_batch_and_goes_on(annotator_dir, monkeypatch, caplog):
    import torch

    annotator = Annotator.load(annotator_dir, device="cpu")
    texts = [_long_code(n) for n in range(1, 30)]
    expected = [s.score for s in annotator.score(texts)]
    encoder = annotator.encoder
    real_forward = encoder._forward

    def forward_with_small_memory(sequences):
        if len(sequences) > 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_forward(sequences)

    monkeypatch.setattr(encoder, "_forward", forward_with_small_memory)
    with caplog.at_level(logging.WARNING):
        scores = [s.score for s in annotator.score(texts)]
    assert scores == pytest.approx(expected, abs=1e-6)
    assert encoder.max_batch_size <= 4
    assert "halving the batch" in caplog.text


def test_the_encoder_matches_sentence_transformers_on_the_same_chunks(minilm_dir):
    from snowcoder_hf.annotator.encoder import ChunkEncoder

    encoder = ChunkEncoder(str(minilm_dir), device="cpu")
    texts = [_long_code(80), "def g():\n    pass\n", "s = '" + "ab " * 400 + "'\n"]
    ours = np.concatenate(encoder.embed_documents(texts))
    chunk_texts = [t[c.start : c.end] for t, cs in zip(texts, encoder.chunk(texts, "top_middle_bottom"), strict=True)
                   for c in cs]  # fmt: skip
    reference = encoder.model.encode(chunk_texts, batch_size=4)
    assert ours.shape == reference.shape == (6, 384)  # 3 + 1 + 2 (two windows: top and bottom)
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_a_wrong_setting_names_the_parameter(annotator_dir, tmp_path):
    from snowcoder_hf.pipeline import ChunkAveragedQualityFilter

    with pytest.raises(ValueError, match="`batch_size`"):
        ChunkAveragedQualityFilter(str(annotator_dir), batch_size=0)
    with pytest.raises(ValueError, match="`chunks`"):
        ChunkAveragedQualityFilter(str(annotator_dir), chunks="middle")
    with pytest.raises(FileNotFoundError, match="annotator.json"):
        Annotator.load(tmp_path)
