"""Bits per byte: agrees with transformers' own loss, windows score each token once, batching changes nothing,
benchmarks and reference texts are read honestly, and a model trained on the programs scores lower on them."""

from __future__ import annotations

import gzip
import json
import math

import pytest

from snowcoder_hf.eval.bits_per_byte import (
    LN2,
    benchmark_bits_per_byte,
    head_of,
    read_reference_texts,
    text_losses,
    windows,
)

PROGRAMS = [
    "def add(a, b):\n    return a + b\n",
    'def greet(name: str) -> str:\n    """Say hello."""\n    return f"hello {name}, café ☕"\n',
    "import os\n\n\ndef files(path):\n    return sorted(os.listdir(path))\n" * 3,
]


@pytest.fixture(scope="module")
def tiny(tiny_llama_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_llama_dir), AutoModelForCausalLM.from_pretrained(tiny_llama_dir).eval()


def test_the_summed_nll_is_transformers_own_loss_over_every_token(tiny):
    import torch

    tokenizer, model = tiny
    (loss,) = text_losses([PROGRAMS[1]], tokenizer, model)
    ids = [tokenizer.bos_token_id, *tokenizer(PROGRAMS[1], add_special_tokens=False)["input_ids"]]
    with torch.no_grad():
        reference = model(input_ids=torch.tensor([ids]), labels=torch.tensor([ids])).loss.item() * (len(ids) - 1)
    assert loss.tokens == len(ids) - 1
    assert loss.bytes == len(PROGRAMS[1].encode("utf-8"))  # bytes, not characters: the accents and the cup count
    assert loss.nats == pytest.approx(reference, rel=1e-4)
    assert loss.bits_per_byte == pytest.approx(reference / (LN2 * loss.bytes), rel=1e-4)


@pytest.mark.parametrize("length", [2, 3, 7, 8, 9, 31, 64, 65])
@pytest.mark.parametrize("window", [2, 4, 8])
def test_windows_score_every_position_once_with_half_a_window_of_context(length, window):
    scored = []
    for start, end, first in windows(length, window):
        assert end - start <= window
        assert first > start
        assert first - start >= min(window // 2, first)  # the first window starts at the sequence start
        scored.extend(range(first, end))
    assert scored == list(range(1, length))


def test_a_long_text_in_short_windows_scores_every_token_and_batching_changes_nothing(tiny):
    tokenizer, model = tiny
    texts = [*PROGRAMS, ""]
    together = text_losses(texts, tokenizer, model, window=16, max_batch_tokens=4096)
    alone = [text_losses([t], tokenizer, model, window=16, max_batch_tokens=1)[0] for t in texts]
    for a, b, text in zip(together, alone, texts, strict=True):
        assert a.tokens == b.tokens == len(tokenizer(text, add_special_tokens=False)["input_ids"])
        assert a.nats == pytest.approx(b.nats, rel=1e-4, abs=1e-6)
    assert together[-1].bits_per_byte is None  # an empty text has no bytes to spread a loss over
    short_context = together[2].nats
    full_context = text_losses([PROGRAMS[2]], tokenizer, model)[0].nats
    assert short_context != pytest.approx(full_context, rel=1e-6)  # the windows really cut the context


def test_a_tokenizer_with_nothing_to_start_from_is_refused(tiny):
    tokenizer, model = tiny

    class NoSpecials:
        bos_token_id = eos_token_id = pad_token_id = None

    with pytest.raises(ValueError, match="neither a BOS nor an EOS"):
        text_losses(["x = 1\n"], NoSpecials(), model)
    with pytest.raises(ValueError, match="`max_batch_tokens`"):
        text_losses(["x = 1\n"], tokenizer, model, max_batch_tokens=0)


def test_benchmark_entries_count_programs_and_bytes_and_pool_the_evoeval_group(tiny, shared_benchmarks):
    from snowcoder_hf.evalsets.programs import canonical_program
    from snowcoder_hf.evalsets.registry import load_benchmark

    tokenizer, model = tiny
    result = benchmark_bits_per_byte(model, tokenizer, ["humaneval", "evoeval_subtle", "evoeval_combine"],
                                     shared_benchmarks, limit=3)  # fmt: skip
    assert set(result) == {"humaneval", "evoeval_subtle", "evoeval_combine", "evoeval"}
    programs = [canonical_program(item) for item in load_benchmark("humaneval", shared_benchmarks)[:3]]
    assert result["humaneval"]["items"] == 3
    assert result["humaneval"]["bytes"] == sum(len(p.encode()) for p in programs)
    assert result["evoeval"]["items"] == 6
    subtle, combine = result["evoeval_subtle"], result["evoeval_combine"]
    pooled = (subtle["bits_per_byte"] * subtle["bytes"] + combine["bits_per_byte"] * combine["bytes"]) / (
        subtle["bytes"] + combine["bytes"]
    )
    assert result["evoeval"]["bits_per_byte"] == pytest.approx(pooled, rel=1e-3)
    assert (
        math.log2(len(tokenizer)) > result["humaneval"]["bits_per_byte"] > 0
    )  # near-uniform at init; a token is 1+ bytes


def test_humaneval_needs_no_folder(tiny):
    tokenizer, model = tiny
    result = benchmark_bits_per_byte(model, tokenizer, ["humaneval"], None, limit=2)
    assert result["humaneval"]["items"] == 2
    assert result["humaneval"]["no_solution"] == 0


def test_a_model_trained_on_the_programs_has_fewer_bits_per_byte_on_them(tiny_llama_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_llama_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    before = benchmark_bits_per_byte(model.eval(), tokenizer, ["humaneval"], None, limit=4)["humaneval"]
    from snowcoder_hf.evalsets.programs import canonical_program
    from snowcoder_hf.evalsets.registry import load_benchmark

    texts = [canonical_program(item) for item in load_benchmark("humaneval")[:4]]
    batch = [[tokenizer.bos_token_id, *tokenizer(t, add_special_tokens=False)["input_ids"]][:128] for t in texts]
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(15):
        for ids in batch:
            loss = model(input_ids=torch.tensor([ids]), labels=torch.tensor([ids])).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    after = benchmark_bits_per_byte(model.eval(), tokenizer, ["humaneval"], None, limit=4)["humaneval"]
    assert after["bits_per_byte"] < before["bits_per_byte"] - 0.5


def _write(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("".join(lines))


def test_reference_texts_are_a_stable_sample_and_bad_lines_are_counted(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    _write(folder / "00000.jsonl.gz", [json.dumps({"id": i, "text": f"x{i} = {i}\n"}) + "\n" for i in range(50)])
    _write(folder / "00001.jsonl.gz", ["not json\n", json.dumps({"id": "e", "text": ""}) + "\n",
                                       json.dumps(["a list"]) + "\n"])  # fmt: skip
    (folder / "00002.jsonl").write_bytes(b"\xff\xfe binary\n" + json.dumps({"text": "y = 2\n"}).encode() + b"\n")
    texts, dropped = read_reference_texts(folder, 10)
    again, _ = read_reference_texts(folder, 10)
    assert len(texts) == 10
    assert texts == again
    assert dropped == {"malformed_json": 2, "no_text": 2}
    everything, _ = read_reference_texts(folder, 1000)
    assert len(everything) == 51
    with pytest.raises(FileNotFoundError, match="`reference_dir`"):
        read_reference_texts(tmp_path / "empty_or_missing", 5)
    with pytest.raises(ValueError, match="`reference_limit`"):
        read_reference_texts(folder, 0)


def test_reference_texts_are_cut_to_a_head_at_a_line_end():
    text = "".join(f"line {i}\n" for i in range(1000))
    head = head_of(text, 100)
    assert text.startswith(head)
    assert head.endswith("\n")
    assert 90 <= len(head) <= 100
    assert head_of("short\n", 100) == "short\n"
    assert head_of("x" * 500, 100) == "x" * 100  # no line end to cut at
