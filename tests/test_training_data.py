"""Packed data: DataTrove shards, document-boundary resets, repetition and mixture order."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from test_training_helpers import build_stage1, build_stage2, build_stage3, write_jsonl_gz

from snowcoder_hf.training.data import TokenStream, read_token_shards, tokenize_texts
from snowcoder_hf.training.packing import PackedSequences, PackedSource, position_ids_for
from snowcoder_hf.training.sources import load_sources, resolve_specs


@pytest.fixture(scope="module")
def tokenizer(tiny_tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_tokenizer_dir)


@pytest.fixture(scope="module")
def stages(tmp_path_factory, tiny_tokenizer_dir, stdlib_dir):
    root = tmp_path_factory.mktemp("stages")
    return {1: build_stage1(root, tiny_tokenizer_dir, stdlib_dir, count=12), 2: build_stage2(root, stdlib_dir),
            3: build_stage3(root, stdlib_dir, weights=(0.75, 0.25))}  # fmt: skip


def test_datatrove_shards_hold_the_same_documents_as_tokenizing_the_text(stages, tokenizer):
    stream = read_token_shards(stages[1] / "tokens")
    with gzip.open(stages[1] / "documents" / "00000.jsonl.gz", "rt") as f:
        texts = [json.loads(line)["text"] for line in f]
    direct = tokenize_texts(texts, tokenizer)
    assert len(stream) == len(direct)
    assert stream.num_documents == direct.num_documents == 12

    # DataTrove shuffles documents; the multiset of documents must be the same.
    def documents(s):
        starts = np.concatenate([[0], s.doc_ends[:-1]])
        return sorted(tuple(s.slice(a, b)) for a, b in zip(starts, s.doc_ends, strict=True))

    assert documents(stream) == documents(direct)
    assert all(doc[-1] == tokenizer.eos_token_id for doc in documents(stream))


def test_position_ids_restart_at_every_document_start_and_at_the_window_start():
    doc_ends = np.array([5, 9, 20])
    assert position_ids_for(doc_ends, 0, 10).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 0]
    assert position_ids_for(doc_ends, 7, 6).tolist() == [0, 1, 0, 1, 2, 3]


@pytest.mark.parametrize("backend", ["sdpa", "eager"])
def test_a_packed_document_sees_nothing_of_the_document_before_it(tiny_llama_dir, backend):
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir, attn_implementation=backend).eval()
    model.config.use_cache = False  # as the runner trains: with a KV cache the packed mask is skipped
    first, second = torch.randint(5, 500, (1, 12)), torch.randint(5, 500, (1, 20))
    packed = torch.cat([first, second], dim=1)
    stream = TokenStream([packed[0].numpy()], np.array([12, 32]))
    item = PackedSequences([PackedSource(stream)], 32)[0]
    with torch.no_grad():
        alone = model(input_ids=second).logits
        together = model(input_ids=item["input_ids"][None], position_ids=item["position_ids"][None]).logits
        leaky = model(input_ids=packed).logits  # plain causal attention over the packed sequence
    assert torch.equal(item["input_ids"][None], packed)
    torch.testing.assert_close(together[:, 12:], alone, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(leaky[:, 12:], alone, atol=1e-3)


def test_each_repetition_is_a_fresh_shuffle_of_every_sequence(stages, tokenizer):
    sources = load_sources(resolve_specs(str(stages[2])), tokenizer)
    assert sources[0].repeat == 4  # from selection.json
    dataset = PackedSequences(sources, 64, seed=3)
    per_pass = dataset.chunks_per_pass[0]
    assert len(dataset) == 4 * per_pass
    passes = [dataset.chunk_ids[i * per_pass : (i + 1) * per_pass] for i in range(4)]
    assert all(sorted(p.tolist()) == list(range(per_pass)) for p in passes)
    assert len({tuple(p.tolist()) for p in passes}) == 4
    again = PackedSequences(sources, 64, seed=3)
    assert np.array_equal(dataset.chunk_ids, again.chunk_ids)  # a resumed run sees the same order


def test_repeat_argument_overrides_the_selection_factor(stages):
    assert resolve_specs(str(stages[2]), repeat=2)[0].repeat == 2


def test_mixture_weights_set_each_sources_share(stages, tokenizer):
    specs = resolve_specs(str(stages[3]))
    assert [s.weight for s in specs] == [0.75, 0.25]
    dataset = PackedSequences(load_sources(specs, tokenizer), 32, seed=0, num_sequences=200)
    counts = list(dataset.sequence_counts().values())
    assert counts == [150, 50]
    first_half = dataset.source_ids[:100]
    assert 0 < (first_half == 1).sum() < 100  # interleaved, not one source after the other


def test_stage1_folder_prefers_token_shards_and_falls_back_to_documents(stages, tmp_path):
    assert resolve_specs(str(stages[1]))[0].kind == "tokens"
    (tmp_path / "documents").mkdir()
    assert resolve_specs(str(tmp_path))[0].path.endswith("documents")


def test_malformed_and_empty_text_inputs_fail_with_the_file_named(tmp_path, tokenizer):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x = 1"}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        load_sources(resolve_specs(str(bad)), tokenizer)
    write_jsonl_gz(tmp_path / "empty" / "a.jsonl.gz", [{"text": ""}])
    with pytest.raises(ValueError, match="no non-empty documents"):
        load_sources(resolve_specs(str(tmp_path / "empty")), tokenizer)
    with pytest.raises(FileNotFoundError, match="dataset_path"):
        resolve_specs(str(tmp_path / "missing" / "dir"))


def test_a_truncated_shard_is_refused(stages, tmp_path):
    import shutil

    copy = tmp_path / "tokens"
    shutil.copytree(stages[1] / "tokens", copy)
    shard = next(copy.glob("*.ds"))
    shard.write_bytes(shard.read_bytes()[:-4])
    with pytest.raises(ValueError, match="holds"):
        read_token_shards(copy)
