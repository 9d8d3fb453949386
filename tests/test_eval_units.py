"""Pure pieces of evaluation: the oracle, the wire format, pass@k, samples, prompts and the report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from snowcoder_hf.eval import oracle
from snowcoder_hf.eval.passk import mean_pass_at_k, pass_at_k
from snowcoder_hf.eval.prompts import build_prompt, stop_sequences, truncate_at_stop
from snowcoder_hf.eval.report import eval_results, row_from_summary, table_markdown, write_report
from snowcoder_hf.eval.samples import chat_solution, read_samples, sanitize


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        2**200,
        -(2**70),
        1.5,
        math.inf,
        (1, [2, {3}]),
        {"a": (1.0, None)},
        b"\x00\xff",
        1 + 2j,
        frozenset({1, 2}),
        "text",
    ],  # fmt: skip
)
def test_values_survive_the_wire_format_with_their_types(value):
    back = oracle.decode(json.loads(json.dumps(oracle.encode(value))))
    assert back == value
    assert type(back) is type(value)


def test_nan_and_unknown_objects_cross_the_wire_without_evaluation():
    assert math.isnan(oracle.decode(json.loads(json.dumps(oracle.encode(math.nan)))))
    opaque = oracle.decode(json.loads(json.dumps(oracle.encode(object()))))
    assert isinstance(opaque, oracle.Opaque)


def test_evalplus_float_rule_switches_on_a_tolerance_once_floats_appear():
    passed, atol = oracle.outputs_match("humaneval", "f", (), 0.1 + 0.2, 0.3, 0)
    assert passed
    assert atol == 1e-6
    assert not oracle.outputs_match("humaneval", "f", (), 0.31, 0.3, 0)[0]
    assert not oracle.outputs_match("humaneval", "f", (), [1.0], (1.0,), 0)[0]  # types must match


def test_mbpp_special_oracles_follow_evalplus():
    assert oracle.outputs_match("mbpp", "similar_elements", (), (5, 4), (4, 5), 0)[0]
    assert oracle.outputs_match("mbpp", "check_str", (), "match", True, 0)[0]
    assert not oracle.outputs_match("mbpp", "check_str", (), None, True, 0)[0]
    assert oracle.mbpp_deserialize_inputs("Mbpp/2", [[[1, 2], [3]]]) == [[(1, 2), (3,)]]


def test_humaneval_find_zero_is_checked_by_its_root():
    assert oracle.outputs_match("humaneval", "find_zero", ([-6, 11, -6, 1],), 1.0, 2.0, 1e-6)[0]
    assert not oracle.outputs_match("humaneval", "find_zero", ([-6, 11, -6, 1],), 1.5, 2.0, 1e-6)[0]


def test_evoeval_oracle_compares_types_strictly_and_floats_loosely():
    assert oracle.evo_outputs_match("combine", "EvoEval/1", (), [1.0 + 1e-9], [1.0])
    assert not oracle.evo_outputs_match("combine", "EvoEval/1", (), (1,), [1])
    assert oracle.evo_parse_inputs(["[1, 2], 'a'"]) == [[[1, 2], "a"]]


def test_pass_at_k_matches_the_closed_form_and_evalplus():
    from evalplus.eval import estimate_pass_at_k

    for n, c, k in [(10, 3, 1), (10, 3, 5), (20, 0, 5), (5, 5, 5), (1, 1, 1)]:
        expected = 1 - math.comb(n - c, k) / math.comb(n, k)
        assert pass_at_k(n, c, k) == pytest.approx(expected)
        assert pass_at_k(n, c, k) == pytest.approx(float(estimate_pass_at_k(n, [c], k)[0]))
    assert mean_pass_at_k([(1, 1), (1, 0), (1, 0), (1, 1)]) == 0.5
    with pytest.raises(ValueError, match="`k`"):
        pass_at_k(3, 1, 4)


def test_bad_sample_lines_are_counted_not_lost(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b'{"task_id": "HumanEval/0", "benchmark": "humaneval_plus", "completion": "x"}\n'
                     b"not json\n\xff\xfe\n[1, 2]\n"
                     b'{"task_id": "HumanEval/1", "benchmark": "humaneval_plus"}\n\n')  # fmt: skip
    loaded = read_samples(path)
    assert len(loaded.samples) == 1
    assert loaded.dropped == {"malformed_json": 2, "missing_task_id_or_benchmark": 1, "missing_completion": 1}
    with pytest.raises(FileNotFoundError):
        read_samples(tmp_path / "absent.jsonl")


def test_sanitize_keeps_definitions_and_drops_driver_code():
    reply = ("Here you go:\n```python\nimport math\n\ndef f(x):\n    return math.sqrt(x)\n\nprint(f(4))\n"
             "assert f(4) == 2\nif __name__ == '__main__':\n    f(1)\n```\nDone.")  # fmt: skip
    code = sanitize(reply, "f")
    assert "def f(x)" in code
    assert "import math" in code
    assert "print(" not in code
    assert "__main__" not in code
    program = chat_solution("from typing import List\n\ndef f(x: List[int]):\n    pass\n", reply, "f")
    assert program.startswith("from typing import List")


class _ChatTokenizer:
    chat_template = "x"

    def apply_chat_template(self, messages, tokenize):
        return "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in messages)


def test_prompts_follow_evalplus_for_completion_and_chat(shared_benchmarks):
    from snowcoder_hf.evalsets.registry import load_benchmark

    item = load_benchmark("humaneval_plus", str(shared_benchmarks))[0]
    assert build_prompt(item, "completion") == item.prompt.strip() + "\n"
    assert build_prompt(item, "completion", paper=True) == item.prompt.strip()
    chat = build_prompt(item, "chat", _ChatTokenizer())
    assert chat.endswith("```python\n")
    assert "Please provide a self-contained Python script" in chat
    assert "\n```\n" in stop_sequences(item, "chat")
    assert truncate_at_stop("    return 1\ndef g():\n", stop_sequences(item, "completion")) == "    return 1"
    with pytest.raises(ValueError, match="`style`"):
        build_prompt(item, "poem")


def test_report_places_our_row_beside_the_papers_table(tmp_path):
    from snowcoder_hf.eval.harness import TaskResult

    summary = {"humaneval_plus": {"pass@1": 50.0, "tasks": 2, "environment_missing": 0,
                                  "statuses": {"pass": 1, "fail": 1}}}  # fmt: skip
    table = table_markdown([row_from_summary("tiny", summary)])
    assert "| Arctic-SnowCoder-1.3B | +5B | 28.0 | 42.9 | 18.0 | 19.4 | paper |" in table
    assert "| tiny | - | 50.0 | - | - | - | this run |" in table
    assert eval_results(summary) == [{"task": "HumanEval+", "metric": "pass@1", "value": 50.0}]
    results = [TaskResult("humaneval_plus", "HumanEval/0", "pass"), TaskResult("humaneval_plus", "HumanEval/1", "fail")]
    files = write_report(tmp_path, "tiny", results, ["a", "b"], summary)
    assert json.loads(files["summary.json"].read_text())["results"]["humaneval_plus"]["pass@1"] == 50.0
    assert files["pass_at_1.png"].read_bytes()[:4] == b"\x89PNG"
    assert len(files["details.jsonl"].read_text().splitlines()) == 2


def test_numpy_outputs_are_compared_like_evalplus():
    assert oracle.is_floats(np.array([1.0]))
    assert not oracle.outputs_match("humaneval", "f", (), np.array([1, 2]), [1, 2], 0)[0]


def test_a_completion_is_joined_to_the_prompt_text_the_model_saw():
    from snowcoder_hf.eval.jobs import program_for
    from snowcoder_hf.eval.prompts import build_prompt
    from snowcoder_hf.evalsets.registry import BenchmarkItem

    item = BenchmarkItem(benchmark="evoeval_difficult", task_id="EvoEval/0", entry_point="f", test=None, raw={},
                         prompt='def f(x):\n    """Return x doubled."""', solution="    return 2 * x\n")  # fmt: skip
    completion = "    return 2 * x\n"
    program = program_for(item, completion=completion)
    assert program == build_prompt(item, "completion") + completion
    compile(program, "<program>", "exec")
