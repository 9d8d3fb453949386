"""Each kind of artifact, published to the Hub stand-in as the demo publishes it, loads with bare library calls
(`load_dataset(repo)`, `from_pretrained(repo)`), and its card parses with huggingface_hub's card classes."""

from __future__ import annotations

import shlex
import shutil
import sys

import numpy as np
import pytest
from hub_fixtures import hub_server  # noqa: F401
from huggingface_hub import DatasetCard, ModelCard, snapshot_download
from test_hub_roundtrip import _write_stage_output

from snowcoder_hf.eval.report import card_metrics
from snowcoder_hf.hub import client as hub


def _context(out, title: str, argv: list[str], **extra) -> dict:
    """A card context as the demo builds it: the command it ran, verbatim, with this machine's paths in it."""
    return {"title": title, "summary": "Published by a test.", "license": "apache-2.0", "tags": ["code", "demo"],
            "lineage": [], "command": shlex.join(argv), "config": f"# resolved values\noutput_dir: {out}/x\n",
            "output_root": str(out), **extra}  # fmt: skip


def _assert_portable(text: str, tmp_path) -> None:
    assert str(tmp_path) not in text
    assert sys.prefix not in text
    assert sys.executable not in text


@pytest.mark.usefixtures("hub_server")
def test_every_artifact_kind_loads_back_bare_and_its_card_is_what_the_hub_parses(tiny_llama_dir, minilm_dir, tmp_path):
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from snowcoder_hf.annotator.head import LinearHead
    from snowcoder_hf.annotator.model import Annotator, AnnotatorConfig

    out = tmp_path / "demo_output"
    python = sys.executable

    # a stage dataset
    records = _write_stage_output(out / "stage1" / "files")
    dataset_sha = hub.push_dataset(out / "stage1" / "files", "org/stage1", card_context=_context(
        out, "stage1", [python, "recipes/stage1_data.py", "--output_dir", f"{out}/stage1"],
        counts=[{"block": "reader", "in": 10, "kept": 10, "dropped": 0, "reasons": {}}], tokens=99))  # fmt: skip
    loaded = load_dataset("org/stage1")
    assert list(loaded) == ["train"]
    assert sorted(loaded["train"]["id"]) == sorted(r["id"] for r in records)
    dataset_card = DatasetCard.load("org/stage1", repo_type="dataset")
    assert dataset_card.data.license == "apache-2.0"
    assert dataset_card.data.configs[0]["data_files"][0]["path"] == "data/*.parquet"
    assert "python recipes/stage1_data.py --output_dir $OUT/stage1" in dataset_card.text
    _assert_portable(str(dataset_card), tmp_path)

    # a checkpoint continued from another, with every metric the eval step computed
    shutil.copytree(tiny_llama_dir, out / "beta")
    summary = {"humaneval": {"pass@1": 20.0, "tasks": 10, "environment_missing": 0},
               "mbpp": {"pass@1": 10.0, "bits_per_byte": 1.5, "tasks": 10}}  # fmt: skip
    argv = [python, "-m", "accelerate.commands.launch", "--config_file", "recipes/accelerate/cpu.yaml",
            "recipes/stage2.py", "--model_name_or_path", f"{out}/alpha", "--dataset_path", f"{out}/stage2",
            "--output_dir", f"{out}/beta"]  # fmt: skip
    lineage = [{"role": "base model", "id": "org/alpha", "revision": "0" * 40},
               {"role": "dataset", "id": "org/stage1", "revision": dataset_sha}]  # fmt: skip
    hub.push_checkpoint(out / "beta", "org/beta", card_context=_context(
        out, "beta", argv, lineage=lineage, base_model="org/alpha", eval_results=card_metrics(summary)))  # fmt: skip
    model = AutoModelForCausalLM.from_pretrained("org/beta")
    tokenizer = AutoTokenizer.from_pretrained("org/beta")
    reference = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values(),
                                                  strict=True))  # fmt: skip
    assert tokenizer("def f():")["input_ids"]
    model_card = ModelCard.load("org/beta")
    data = model_card.data
    assert data.base_model == "org/alpha"
    assert data.base_model_relation == "finetune"
    assert data.datasets == ["org/stage1"]
    assert data.library_name == "transformers"
    assert {(r.dataset_type, r.metric_type, r.metric_value) for r in data.eval_results} == {
        ("humaneval", "pass@1", 20.0), ("mbpp", "pass@1", 10.0), ("mbpp", "bits_per_byte", 1.5)}  # fmt: skip
    assert ("accelerate launch --config_file recipes/accelerate/cpu.yaml recipes/stage2.py --model_name_or_path "
            "$OUT/alpha --dataset_path $OUT/stage2 --output_dir $OUT/beta") in model_card.text  # fmt: skip
    _assert_portable(str(model_card), tmp_path)

    # an annotator: its encoder reference and head, scored the same after the round trip
    folder = out / "stage2" / "annotators" / "hqins"
    rng = np.random.default_rng(0)
    head = LinearHead(kind="classification", weight=rng.normal(size=384).astype(np.float32), bias=0.1)
    Annotator(AnnotatorConfig(encoder=str(minilm_dir), metrics={"roc_auc": {"humaneval": 0.75}}), head).save(folder)
    hub.push_annotator(folder, "org/annotator", card_context=_context(
        out, "annotator", [f"{sys.prefix}/bin/snowcoder", "annotator", "train", "--output", str(folder)],
        lineage=[{"role": "dataset", "id": "org/stage1", "revision": dataset_sha}],
        eval_results=[{"task": "humaneval", "metric": "roc_auc", "value": 0.75}]))  # fmt: skip
    pulled = Annotator.load(snapshot_download("org/annotator"))
    embeddings = rng.normal(size=(3, 384)).astype(np.float32)
    assert np.allclose(pulled.head(embeddings), head(embeddings))
    annotator_card = ModelCard.load("org/annotator")
    assert annotator_card.data.datasets == ["org/stage1"]
    assert annotator_card.data.eval_results[0].metric_type == "roc_auc"
    assert "snowcoder annotator train --output $OUT/stage2/annotators/hqins" in annotator_card.text
    _assert_portable(str(annotator_card), tmp_path)
