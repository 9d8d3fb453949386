"""Validation, planning, mixing and fingerprint helpers of the stage-3 generator, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from snowcoder_hf.synth.config import Stage3Config
from snowcoder_hf.synth.diversity import distinct_n
from snowcoder_hf.synth.exercises import check_exercise, plan_exercises
from snowcoder_hf.synth.fingerprint import fingerprint, plan_digest
from snowcoder_hf.synth.mix import allocate, target_language_mix, write_mixture
from snowcoder_hf.synth.oss_instruct import plan_oss_instruct, seed_text_of
from snowcoder_hf.synth.seeds import Seed, select_seeds
from snowcoder_hf.synth.textbook import plan_textbook
from snowcoder_hf.synth.validate import echo_fraction, extract_code, parses, validate_generation

REPO = Path(__file__).resolve().parents[1]
GOOD = "def add(a, b):\n    total = a + b\n    return total\n\nprint(add(1, 2))\n"


def _ok(text: str, finish: str = "stop") -> dict:
    return {"status": "ok", "text": text, "finish_reason": finish}


def test_code_is_extracted_from_prose_and_fences():
    answer = f"Sure! Here it is:\n\n```python\n{GOOD}```\n\nThis adds numbers.\n```bash\npip install x\n```"
    assert extract_code(answer, "python") == GOOD.strip("\n")
    assert extract_code(GOOD, "python") == GOOD.strip("\n")


def test_an_unclosed_fence_still_yields_its_code():
    assert extract_code(f"```python\n{GOOD}", "python").startswith("def add")


def test_each_rejection_reason_is_reported():
    assert validate_generation({"status": "failed"}, "Python", "python")[0] == "request_failed"
    assert validate_generation(_ok(GOOD, "length"), "Python", "python")[0] == "truncated"
    assert validate_generation(_ok("I'm sorry, but I can't help."), "Python", "python")[0] == "refusal"
    assert validate_generation(_ok("```python\n```"), "Python", "python")[0] == "no_code"
    assert validate_generation(_ok("x = 1"), "Python", "python")[0] == "too_short"
    assert validate_generation(_ok("def f(:\n  pass\n  return\n"), "Python", "python")[0] == "syntax_error"
    assert validate_generation(_ok(GOOD), "Python", "python", seed=GOOD)[0] == "echoes_seed"
    assert validate_generation(_ok(GOOD), "Python", "python", seed="import os\n")[0] is None


def test_non_python_code_is_parsed_with_tree_sitter():
    assert parses("function f(x) { return x + 1; }", "JavaScript") is True
    assert parses("function f(x { return x + 1; }", "JavaScript") is False
    assert parses("fn main() { let x = 1; }", "Rust") is True
    assert parses("anything", "Brainfuck") is None


def test_echo_fraction_counts_copied_lines():
    assert echo_fraction(GOOD, GOOD) == 1.0
    assert echo_fraction(GOOD, "") == 0.0


def test_exercise_is_kept_only_when_its_own_examples_pass():
    good = 'def double(x: int) -> int:\n    """Double.\n\n    >>> double(2)\n    4\n    """\n    return 2 * x\n'
    assert check_exercise(good, "double") is None
    assert check_exercise(good.replace("2 * x", "3 * x"), "double") == "exercise_examples_fail"
    assert check_exercise(good, "triple") == "exercise_missing_function"
    assert check_exercise('def double(x):\n    """Double."""\n    return 2 * x\n', "double") == "exercise_no_examples"
    looping = good.replace("return 2 * x", "while True:\n        pass")
    assert check_exercise(looping, "double", timeout_s=2) == "exercise_timeout"


def test_python_is_raised_to_half_and_others_keep_their_ratio():
    mix = target_language_mix({"Python": 0.2, "Java": 0.6, "Go": 0.2}, python_share=0.5)
    assert mix["Python"] == pytest.approx(0.5)
    assert mix["Java"] / mix["Go"] == pytest.approx(3.0)
    assert sum(mix.values()) == pytest.approx(1.0)
    assert sum(allocate(101, mix).values()) == 101
    with pytest.raises(ValueError, match="python_share"):
        target_language_mix({"Python": 1.0}, python_share=1.5)


def test_seeds_are_taken_best_scored_first_and_reused_round_robin():
    from datatrove.data import Document

    docs = [Document(text=f"x = {i}\n" * 20, id=f"d{i}", metadata={"language": "Python", "quality_score": i / 10})
            for i in range(3)]  # fmt: skip
    selected = select_seeds(docs, {"Python": 4})
    assert [(s.id, k) for s, k in selected] == [("d2", 0), ("d1", 0), ("d0", 0), ("d2", 1)]
    snippets = select_seeds(docs, {"Python": 3}, policy="snippet")
    assert all(1 <= len(s.text.splitlines()) <= 15 for s, _ in snippets)
    with pytest.raises(ValueError, match="seed_policy"):
        select_seeds(docs, {"Python": 1}, policy="random")


def test_plans_are_deterministic_and_seeds_are_distinct():
    seeds = [(Seed("a", "Python", GOOD, 1.0), 0), (Seed("a", "Python", GOOD, 1.0), 1)]
    first, second = plan_oss_instruct(seeds), plan_oss_instruct(seeds)
    assert [d.text for d in first] == [d.text for d in second]
    assert first[0].metadata["sampling_seed"] != first[1].metadata["sampling_seed"]
    assert seed_text_of(first[0].text) == GOOD
    assert "Language: Python" in first[0].text
    assert "$" not in first[0].text.replace(GOOD, "")


def test_textbook_and_exercise_requests_inject_diversity():
    sections = plan_textbook(30, run_seed=1)
    assert len({d.metadata["topic"] for d in sections}) > 10
    assert len({(d.metadata["audience"], d.metadata["style"]) for d in sections}) > 10
    exercises = plan_exercises(30)
    assert len({d.metadata["function_name"] for d in exercises}) == 30


def test_any_changed_setting_or_plan_changes_the_fingerprint():
    plan = plan_textbook(3)
    base = fingerprint({"temperature": 0.8}, plan_digest(plan))
    assert base == fingerprint({"temperature": 0.8}, plan_digest(plan_textbook(3)))
    assert base != fingerprint({"temperature": 0.7}, plan_digest(plan))
    assert base != fingerprint({"temperature": 0.8}, plan_digest(plan_textbook(3, run_seed=5)))


def test_distinct_n_falls_when_outputs_repeat():
    assert distinct_n([GOOD, GOOD], 2) < distinct_n([GOOD, "class A:\n    pass\n"], 2)


def test_every_shipped_stage3_yaml_parses_strictly(tmp_path):
    for scale in ("tiny", "paper"):
        config = Stage3Config.from_yaml(REPO / "recipes" / "configs" / scale / "stage3_data.yaml")
        assert config.max_tokens > 0
        assert config.kind == "oss_instruct"
    bad = tmp_path / "bad.yaml"
    bad.write_text("output: x\nkind: textbook\nmax_token: 5\n")
    with pytest.raises(ValueError, match="max_token"):
        Stage3Config.from_yaml(bad)
    with pytest.raises(ValueError, match="`kind`"):
        Stage3Config(output="x", kind="poems")


def test_mixture_lists_the_synthetic_set_and_replayed_data(tmp_path):
    import yaml

    path = write_mixture(tmp_path, 2.0, [{"path": "../stage2/selected", "weight": 0.5, "repeat": 1}])
    sources = yaml.safe_load(path.read_text())["sources"]
    assert sources[0] == {"path": "synthetic", "weight": 2.0, "repeat": 1}
    assert sources[1]["path"] == "../stage2/selected"
    with pytest.raises(ValueError, match="replay"):
        write_mixture(tmp_path, 1.0, [{"path": "x", "weigth": 1}])


def test_a_run_that_kept_no_synthetic_file_mixes_the_replay_alone_or_says_there_is_nothing(tmp_path):
    import yaml

    from snowcoder_hf.synth.mix import write_mixture

    path = write_mixture(tmp_path, 0.01, [{"path": "../stage2/selected", "weight": 0.99}], synthetic_kept=0)
    assert [s["path"] for s in yaml.safe_load(path.read_text())["sources"]] == ["../stage2/selected"]
    path = write_mixture(tmp_path, 1.0, [], synthetic_kept=0)
    assert yaml.safe_load(path.read_text())["sources"] == []
    from snowcoder_hf.training.sources import resolve_specs

    with pytest.raises(ValueError, match="lists no source: stage 3 kept no synthetic file"):
        resolve_specs(str(tmp_path))
    path = write_mixture(tmp_path, 1.0, [], synthetic_kept=3)
    assert [s["path"] for s in yaml.safe_load(path.read_text())["sources"]] == ["synthetic"]
