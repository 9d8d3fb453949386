"""recipes/evaluate.py: its YAMLs parse strictly, and main() runs on tiny checkpoints."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _recipe():
    spec = importlib.util.spec_from_file_location("evaluate_recipe", ROOT / "recipes" / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("variant", ["tiny", "paper"])
def test_shipped_evaluate_yaml_parses_strictly(variant):
    from trl import TrlParser

    recipe = _recipe()
    config = ROOT / "recipes" / "configs" / variant / "evaluate.yaml"
    (args,) = TrlParser((recipe.EvaluateArguments,)).parse_args_and_config(["--config", str(config)])
    assert [c.split("=")[0] for c in args.checkpoints] == ["alpha", "beta", "final"]
    with pytest.raises(ValueError, match="not_a_key"):
        TrlParser((recipe.EvaluateArguments,)).parse_args_and_config(["--config", str(config), "--not_a_key", "1"])


def test_evaluate_recipe_compares_stage_checkpoints(tmp_path, tiny_llama_dir, shared_benchmarks):
    recipe = _recipe()
    args = recipe.EvaluateArguments(checkpoints=[f"alpha={tiny_llama_dir}", f"final={tiny_llama_dir}"],
                                    tasks="humaneval_plus", benchmark_dir=str(shared_benchmarks),
                                    output_dir=str(tmp_path), limit=1, max_new_tokens=4, workers=2,
                                    bits_per_byte_limit=2)  # fmt: skip
    summaries = recipe.main(args)
    assert set(summaries) == {"alpha", "final"}
    # bits per byte on every paper benchmark in the folder, pass@1 only where it was asked for
    assert {t for t, e in summaries["alpha"].items() if e.get("bits_per_byte")} >= {"humaneval_plus", "mbpp_plus",
                                                                                     "evoeval", "bigcodebench"}  # fmt: skip
    assert summaries["alpha"]["mbpp_plus"]["pass@1"] is None
    assert summaries["alpha"]["humaneval_plus"]["bits_per_byte_items"] == 2
    report = (tmp_path / "report.md").read_text()
    assert "| alpha -> final |" in report
    assert "Arctic-SnowCoder-beta" in report
    assert "## Bits per byte" in report
    assert (tmp_path / "bits_per_byte.png").exists()
    assert json.loads((tmp_path / "summary.json").read_text())["alpha"]["humaneval_plus"]["tasks"] == 1
    with pytest.raises(ValueError, match="`checkpoints`"):
        recipe._parse_checkpoints(["no-equals-sign"])
