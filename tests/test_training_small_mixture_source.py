import numpy as np

from snowcoder_hf.training.data import TokenStream
from snowcoder_hf.training.packing import PackedSequences, PackedSource, tiled_to


def _stream(n_tokens: int, doc_len: int, name: str) -> TokenStream:
    tokens = np.arange(n_tokens, dtype=np.int32)
    return TokenStream([tokens], np.arange(doc_len, n_tokens + 1, doc_len), name=name)


def test_tiling_repeats_the_whole_stream_and_keeps_document_boundaries():
    tiled = tiled_to(_stream(6, 3, "tiny"), 16)
    assert len(tiled) == 18
    assert tiled.slice(0, 18).tolist() == [0, 1, 2, 3, 4, 5] * 3
    assert tiled.doc_ends.tolist() == [3, 6, 9, 12, 15, 18]


def test_a_mixture_source_shorter_than_one_sequence_still_contributes_at_its_weight():
    big = PackedSource(_stream(64 * 40, 64, "replay"), weight=0.9, name="replay")
    small = PackedSource(_stream(40, 20, "synthetic"), weight=0.1, name="synthetic")  # less than one 64-token sequence
    packed = PackedSequences([big, small], seq_len=64, seed=0)
    counts = packed.sequence_counts()
    assert counts["synthetic"] >= 1
    assert counts["replay"] == 9 * counts["synthetic"]
    first_synthetic = int(np.flatnonzero(packed.source_ids == 1)[0])
    assert packed.window(first_synthetic) == (1, 0)
    assert packed[first_synthetic]["input_ids"].tolist() == (list(range(40)) * 2)[:64]


def test_a_single_short_source_is_not_padded_out():
    packed = PackedSequences([PackedSource(_stream(40, 20, "only"))], seq_len=64)
    assert len(packed) == 0
