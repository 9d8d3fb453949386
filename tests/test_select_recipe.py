"""The stage-2 data recipe end to end on a tiny stage-1 folder, and every shipped stage-2 YAML parses."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def write_stage1_files(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    with gzip.open(folder / "00000.jsonl.gz", "wt") as f:
        for i in range(count):
            language = "c" if i % 4 == 0 else "python"
            line = f"int v{i} = {i};\n" if language == "c" else f"x{i} = {i}\nprint(x{i})\n"
            f.write(
                json.dumps({"id": f"s{i:03d}", "text": line * (3 + i % 17), "metadata": {"language": language}}) + "\n"
            )


def _recipe():
    spec = importlib.util.spec_from_file_location("stage2_data_recipe", REPO / "recipes" / "stage2_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("scale", ["tiny", "paper"])
def test_every_shipped_stage2_config_parses_strictly(scale):
    config = _recipe().parse_config(["--config", str(REPO / "recipes" / "configs" / scale / "stage2_data.yaml")])
    assert config.repeat == 4
    assert config.variants.split(",")[0] == "hqins"


def test_a_stale_config_key_fails_loudly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("stage1_dir: a\noutput_dir: b\nwarmup_ratio: 0.1\n")
    with pytest.raises(ValueError, match="warmup_ratio"):
        _recipe().parse_config(["--config", str(bad)])


def test_the_recipe_lands_each_languages_share_close_to_its_target_and_reports_it(tmp_path, minilm_dir,
                                                                                 tiny_tokenizer_dir):  # fmt: skip
    from snowcoder_hf.annotator.random_encoder import build_random_encoder

    encoder = build_random_encoder(tmp_path / "enc", "bert-tiny-random", tokenizer_dir=minilm_dir, max_seq_length=64)
    stage1 = tmp_path / "stage1"
    write_stage1_files(stage1 / "files", count=80)
    shutil.copytree(tiny_tokenizer_dir, stage1 / "tokenizer")
    (stage1 / "summary.json").write_text(json.dumps({"counts": {}, "tokens": 0, "languages": {"python": 3, "c": 1}}))
    recipe = _recipe()
    config = recipe.parse_config(["--config", str(REPO / "recipes/configs/tiny/stage2_data.yaml"),
                                "--stage1_dir", str(stage1), "--output_dir", str(tmp_path / "out"),
                                "--encoder", str(encoder), "--positives_limit", "8", "--negatives", "20",
                                "--heldout_negatives", "10", "--budget_tokens", "3000"])  # fmt: skip
    summary = recipe.main(config)
    out = tmp_path / "out"
    selection = json.loads((out / "selection.json").read_text())
    assert selection["repeat"] == 4
    assert selection["targets"] == {"c": 750, "python": 2250}  # the stage-1 mix, 1:3

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(stage1 / "tokenizer")
    kept: dict[str, list[int]] = {"python": [], "c": []}
    for path in (out / "selected").glob("*.jsonl.gz"):
        with gzip.open(path, "rt") as f:
            for line in f:
                doc = json.loads(line)
                n = len(tokenizer(doc["text"], add_special_tokens=False)["input_ids"]) + 1
                kept[doc["metadata"]["language"]].append(n)
    largest = {"python": 0, "c": 0}
    with gzip.open(stage1 / "files" / "00000.jsonl.gz", "rt") as f:
        for line in f:
            doc = json.loads(line)
            n = len(tokenizer(doc["text"], add_special_tokens=False)["input_ids"]) + 1
            largest[doc["metadata"]["language"]] = max(largest[doc["metadata"]["language"]], n)
    for language, target in selection["targets"].items():
        total = sum(kept[language])
        assert total == selection["tokens_per_language"][language]
        assert abs(total - target) <= largest[language] / 2  # as close as whole files allow
    assert selection["selected_tokens"] == sum(map(sum, kept.values()))
    assert set(selection["selected_shares"]) == {"c", "python"}
    assert "selected tokens" in (out / "report.md").read_text()
    assert set(summary["roc_auc"]) == {"hqins", "hq"}
    assert list(summary["timings"]) == ["training data", "annotator training", "validation", "scoring", "selection"]
    assert sum(summary["timings"].values()) <= summary["seconds"] + 0.5
    assert (out / "score_histograms.png").exists()
    assert (out / "validation" / "roc.png").exists()
    assert "threshold" in (out / "report.md").read_text()
