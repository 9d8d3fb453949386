"""Annotator training data, heads trained from the embedding cache, validation and the card."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from snowcoder_hf.annotator.sources import package_instructions, stdlib_hq


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory, minilm_dir):
    from snowcoder_hf.annotator.random_encoder import build_random_encoder

    return build_random_encoder(tmp_path_factory.mktemp("enc"), "bert-tiny-random", tokenizer_dir=minilm_dir,
                                max_seq_length=64)  # fmt: skip


def write_stage1_files(folder, count: int = 60, seed: int = 0):
    """Random code files in two languages, as a stage-1 `files/` folder."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    with gzip.open(folder / "00000.jsonl.gz", "wt") as f:
        for i in range(count):
            if i % 3:
                text = "".join(f"x{j} = {rng.randint(0, 99)}\nprint(x{j})\n" for j in range(rng.randint(2, 40)))
                language = "python"
            else:
                text = "".join(f"int v{j} = {rng.randint(0, 9)};\n" for j in range(rng.randint(2, 40)))
                language = "c"
            f.write(json.dumps({"id": f"s{i}", "text": text, "metadata": {"language": language}}) + "\n")
    return folder


def test_the_offline_stand_ins_are_documented_tested_code_and_instruction_pairs():
    hq = stdlib_hq(5)
    assert len(hq) == 5
    assert all('"""' in text or "'''" in text for text in hq)
    pairs = package_instructions(5)
    assert len(pairs) == 5
    assert all(p.startswith("### Instruction\n") and "### Response\n```python\ndef " in p for p in pairs)


def test_two_variants_train_from_one_embedding_cache_and_validate_side_by_side(tmp_path, tiny_encoder):
    from snowcoder_hf.annotator.training import build_training_data, read_records, train_annotator
    from snowcoder_hf.annotator.validate import run_validation

    files = write_stage1_files(tmp_path / "stage1" / "files")
    sources = {"hq": [{"type": "stdlib_hq"}], "ins": [{"type": "package_instructions"}]}
    manifest = build_training_data(tmp_path / "data", stage1_files=files, sources=sources, limits={"hq": 10, "ins": 10},
                                   negatives=30, heldout_negatives=20)  # fmt: skip
    assert manifest["counts"]["negative"] == {"train": 30, "heldout": 20}
    records = read_records(tmp_path / "data")
    train_ids = {r["id"] for r in records if r["source"] == "negative" and r["split"] == "train"}
    heldout_ids = {r["id"] for r in records if r["source"] == "negative" and r["split"] == "heldout"}
    assert not train_ids & heldout_ids

    from snowcoder_hf.annotator.encoder import ChunkEncoder

    encoder = ChunkEncoder(str(tiny_encoder), device="cpu")
    calls = []
    real = encoder.embed_documents
    encoder.embed_documents = lambda texts, strategy: calls.append(len(texts)) or real(texts, strategy)
    hq = train_annotator(tmp_path / "data", "hq", tmp_path / "hq", encoder=str(tiny_encoder), chunk_encoder=encoder)
    first = sum(calls)
    hqins = train_annotator(tmp_path / "data", "hqins", tmp_path / "hqins", encoder=str(tiny_encoder),
                            chunk_encoder=encoder)  # fmt: skip
    assert sum(calls) - first == 10  # only the 10 instruction pairs were not embedded yet
    assert hq.head.kind == hqins.head.kind == "classification"
    assert 0 <= hqins.config.metrics["heldout_accuracy"] <= 1

    table = run_validation([tmp_path / "hq", tmp_path / "hqins"], tmp_path / "data", ["humaneval"], None,
                           tmp_path / "validation")  # fmt: skip
    assert set(table) == {"hq", "hqins"}
    assert all(0 <= row["humaneval"] <= 1 for row in table.values())
    assert (tmp_path / "validation" / "roc.png").stat().st_size > 1000
    card = (tmp_path / "hqins" / "README.md").read_text()
    assert "roc_auc" in card
    assert "heldout" in card
    assert str(tiny_encoder) in card
    saved = json.loads((tmp_path / "hqins" / "annotator.json").read_text())
    assert saved["metrics"]["roc_auc"]["humaneval"] == pytest.approx(table["hqins"]["humaneval"])


def test_a_variant_without_its_data_says_what_to_run(tmp_path):
    from snowcoder_hf.annotator.training import variant_examples

    records = [{"source": "negative", "split": "train", "text": "x"}]
    with pytest.raises(ValueError, match="--ratings"):
        variant_examples(records, "edu")
    with pytest.raises(ValueError, match="no positive"):
        variant_examples(records, "hq")
    with pytest.raises(ValueError, match="`variant`"):
        variant_examples(records, "best")
