import gzip
import json
import logging
import os
import shutil
from pathlib import Path

import pytest
from hub_fixtures import HUB_TOKEN, hub_server  # noqa: F401

from snowcoder_hf.hub import client as hub


def _card(**overrides):
    context = {
        "title": "test artifact",
        "summary": "Pushed by a test.",
        "license": "apache-2.0",
        "tags": ["code"],
        "lineage": [],
        "command": "snowcoder hub push",
        "config": "a: 1\n",
    }
    context.update(overrides)
    return context


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and ".cache" not in p.parts
    }


def _write_stage_output(folder: Path, shards: int = 2, per_shard: int = 5) -> list[dict]:
    records = []
    (folder / "removed").mkdir(parents=True)
    (folder / "removed" / "x.jsonl.gz").write_bytes(gzip.compress(b'{"text": "dropped", "id": "d"}\n'))
    for shard in range(shards):
        rows = [
            {"id": f"{shard}-{i}", "text": f"def f{i}():\n    return {i}\n",
             "metadata": {"repo": "org/r", "path": f"f{i}.py", "language": "python", "size": 30 + i,
                          "contamination": [{"benchmark": "humaneval", "task_id": "HumanEval/0"}] if i == 0 else []}}
            for i in range(per_shard)
        ]  # fmt: skip
        with gzip.open(folder / f"{shard:05d}.jsonl.gz", "wt") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)
        records += rows
    return records


def test_folder_push_and_pull_round_trip_is_byte_identical(hub_server, tmp_path):  # noqa: F811
    src = tmp_path / "src"
    (src / "nested" / "deeper").mkdir(parents=True)
    (src / "notes.txt").write_text("plain text\n")
    (src / "nested" / "weights.safetensors").write_bytes(os.urandom(300_000))
    (src / "nested" / "deeper" / "blob.bin").write_bytes(bytes(range(256)) * 50)
    (src / "empty.txt").write_bytes(b"")
    sha = hub.push_folder(src, "org/roundtrip")
    out = hub.pull("org/roundtrip", repo_type="model", revision=sha, local_dir=tmp_path / "out")
    pulled = {k: v for k, v in _files(out).items() if k != ".gitattributes"}
    assert pulled == _files(src)


def test_repush_of_unchanged_folder_makes_no_commit_and_a_change_commits_only_that_file(hub_server, tmp_path):  # noqa: F811
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        (src / f"part{i}.bin").write_bytes(os.urandom(10_000))
    first = hub.push_folder(src, "org/idem")
    commits = hub.commit_count("org/idem")
    uploads = hub_server.count("PUT", "/_lfs/")
    assert hub.push_folder(src, "org/idem") == first
    assert hub.commit_count("org/idem") == commits
    assert hub_server.count("POST", "/commit/") == 1
    (src / "part2.bin").write_bytes(os.urandom(10_000))
    (src / "part3.bin").unlink()
    second = hub.push_folder(src, "org/idem")
    assert second != first
    assert hub.commit_count("org/idem") == commits + 1
    assert hub_server.count("PUT", "/_lfs/") == uploads + 1  # only the changed file went up
    out = hub.pull("org/idem", repo_type="model", revision=second, local_dir=tmp_path / "out")
    assert not (out / "part3.bin").exists()
    assert (out / "part2.bin").read_bytes() == (src / "part2.bin").read_bytes()


def test_checkpoint_push_loads_with_from_pretrained_by_repo_id_and_revision(hub_server, tiny_llama_dir, tmp_path):  # noqa: F811
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ckpt = tmp_path / "ckpt"
    shutil.copytree(tiny_llama_dir, ckpt)
    (ckpt / "optimizer.pt").write_bytes(b"resume state")
    lineage = [{"role": "dataset", "id": "org/stage1", "revision": "abc1234"}]
    sha = hub.push_checkpoint(ckpt, "org/alpha", card_context=_card(lineage=lineage, base_model=None))
    model = AutoModelForCausalLM.from_pretrained("org/alpha", revision=sha)
    tokenizer = AutoTokenizer.from_pretrained("org/alpha", revision=sha)
    reference = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    for (name, tensor), (_, ref) in zip(model.state_dict().items(), reference.state_dict().items(), strict=True):
        assert torch.equal(tensor, ref), name
    assert tokenizer.eos_token == "<|endoftext|>"
    out = hub.pull("org/alpha", repo_type="model", revision=sha, local_dir=tmp_path / "pulled")
    assert not (out / "optimizer.pt").exists()
    card = (out / "README.md").read_text()
    assert "| dataset | `org/stage1` | `abc1234` |" in card
    assert 'from_pretrained("org/alpha")' in card


def test_checkpoint_without_tokenizer_is_rejected(hub_server, tmp_path):  # noqa: F811
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="no tokenizer"):
        hub.push_checkpoint(tmp_path, "org/bad", card_context=_card())


def test_datatrove_output_is_pushed_as_parquet_and_loads_with_load_dataset(hub_server, tmp_path):  # noqa: F811
    from datasets import load_dataset

    records = _write_stage_output(tmp_path / "stage")
    counts = [{"block": "reader", "in": 11, "kept": 10, "dropped": 1, "reasons": {"empty_text": 1}}]
    sha = hub.push_dataset(tmp_path / "stage", "org/stage1", card_context=_card(counts=counts, tokens=1234))
    dataset = load_dataset("org/stage1", revision=sha, split="train", cache_dir=str(tmp_path / "cache"))
    assert sorted(dataset["id"]) == sorted(r["id"] for r in records)  # removed/ was not published
    row = next(r for r in dataset if r["id"] == "0-0")
    assert row["language"] == "python"
    assert row["size"] == 30
    assert json.loads(row["metadata"])["contamination"][0]["task_id"] == "HumanEval/0"
    out = hub.pull("org/stage1", repo_type="dataset", revision=sha, local_dir=tmp_path / "pulled")
    assert sorted(p.name for p in (out / "data").iterdir()) == [
        "train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]  # fmt: skip
    assert "| reader | 11 | 10 | 1 | empty_text=1 |" in (out / "README.md").read_text()
    # Converting the same shards again is byte-identical, so a re-push commits nothing.
    commits = hub.commit_count("org/stage1", repo_type="dataset")
    assert hub.push_dataset(tmp_path / "stage", "org/stage1", card_context=_card(counts=counts, tokens=1234)) == sha
    assert hub.commit_count("org/stage1", repo_type="dataset") == commits


def test_datasets_push_to_hub_and_load_dataset_round_trip(hub_server, tmp_path):  # noqa: F811
    from datasets import Dataset, load_dataset

    rows = {"text": [f"print({i})" for i in range(50)], "language": ["python"] * 50}
    Dataset.from_dict(rows).push_to_hub("org/pushed", token=HUB_TOKEN)
    loaded = load_dataset("org/pushed", split="train", cache_dir=str(tmp_path / "cache"))
    assert loaded.to_dict() == rows


def test_datatrove_huggingface_writer_publishes_documents_the_hub_serves(hub_server, tmp_path):  # noqa: F811
    from datasets import load_dataset
    from datatrove.data import Document
    from datatrove.pipeline.writers import HuggingFaceDatasetWriter

    documents = [Document(text=f"x = {i}\n", id=str(i), metadata={"language": "python"}) for i in range(20)]
    writer = HuggingFaceDatasetWriter(dataset="org/dt-writer", local_working_dir=str(tmp_path / "work"),
                                      output_filename="data/${rank}.parquet")  # fmt: skip
    for _ in writer.run(iter(documents), rank=0, world_size=1):
        pass
    loaded = load_dataset("org/dt-writer", split="train", cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded["id"], key=int) == [str(i) for i in range(20)]
    assert loaded[0]["language"] == "python"  # DataTrove flattens metadata into columns


def test_token_is_used_but_never_printed_logged_or_written(hub_server, tmp_path, caplog, capsys):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    ckpt_context = _card(command=f"snowcoder hub push --token {HUB_TOKEN} out/alpha")
    src = tmp_path / "ann"
    src.mkdir()
    (src / "head.safetensors").write_bytes(os.urandom(1000))
    sha = hub.push_annotator(src, "org/annotator", card_context=ckpt_context, private=True)
    out = hub.pull("org/annotator", repo_type="model", revision=sha, local_dir=tmp_path / "out")
    captured = capsys.readouterr()
    assert HUB_TOKEN not in caplog.text
    assert HUB_TOKEN not in captured.out + captured.err
    for path in out.rglob("*"):
        if path.is_file():
            assert HUB_TOKEN.encode() not in path.read_bytes(), path
    assert "--token <redacted>" in (out / "README.md").read_text()


def test_private_repo_is_invisible_without_the_token_and_a_wrong_token_cannot_write(hub_server, tmp_path, monkeypatch):  # noqa: F811
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("secret model\n")
    hub.push_folder(src, "org/private", private=True)
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(RepositoryNotFoundError):
        hub.pull("org/private", repo_type="model", local_dir=tmp_path / "out", token=False)
    with pytest.raises(HfHubHTTPError, match="401"):
        hub.push_folder(src, "org/other", token="hf_wrongwrongwrongwrongwrong")
