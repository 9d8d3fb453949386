import gzip
import json

import pytest
from transformers import AutoTokenizer

from snowcoder_hf.cli.main import main
from snowcoder_hf.training.tokenizer import train_tokenizer


def test_tokenizer_command_trains_byte_level_bpe_with_the_repo_markers(tmp_path, stdlib_dir, capsys):
    docs = tmp_path / "documents"
    docs.mkdir()
    with gzip.open(docs / "00000.jsonl.gz", "wt") as f:
        for path in sorted(stdlib_dir.glob("*.py"))[:15]:
            text = f"<repo_name>python/cpython<file_sep>{path.name}\n" + path.read_text(encoding="utf-8")
            f.write(json.dumps({"id": path.name, "text": text}) + "\n")
    out = tmp_path / "tok"
    assert main(["tokenizer", "train", "--input", str(docs), "--output", str(out), "--vocab-size", "400"]) == 0
    assert "vocab 400" in capsys.readouterr().out

    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.eos_token == "<|endoftext|>"
    assert tokenizer.bos_token == "<|endoftext|>"
    assert tokenizer.pad_token == "<pad>"
    text = "<repo_name>me/proj<file_sep>a.py\ndef héllo():\n    return '✓'\n"
    ids = tokenizer(text)["input_ids"]
    assert ids[0] == tokenizer.convert_tokens_to_ids("<repo_name>")
    assert tokenizer.convert_tokens_to_ids("<file_sep>") in ids
    assert tokenizer.decode(ids) == text, "byte-level BPE round-trips any text"


def test_training_on_nothing_or_with_a_tiny_vocab_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="`vocab_size`"):
        train_tokenizer(["x"], tmp_path / "t", vocab_size=100)
    with pytest.raises(ValueError, match="no documents"):
        train_tokenizer([], tmp_path / "t", vocab_size=300)


def test_training_texts_stream_and_stop_at_max_chars(tmp_path, monkeypatch):
    from snowcoder_hf.training import tokenizer

    with gzip.open(tmp_path / "00000.jsonl.gz", "wt") as f:
        for i in range(1000):
            f.write(json.dumps({"id": str(i), "text": f"x{i} = {i}\n" * 10}) + "\n")
    parsed = []
    real_text = tokenizer._text
    monkeypatch.setattr(tokenizer, "_text", lambda line: parsed.append(1) or real_text(line))
    texts = list(tokenizer.iter_document_texts(tmp_path, max_chars=500))
    assert sum(map(len, texts)) >= 500
    assert len(texts) < 10
    assert len(parsed) == len(texts), "lines after the budget are never read into memory"
