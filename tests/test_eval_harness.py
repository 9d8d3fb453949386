"""The execution harness: canonical solutions pass, wrong or hostile samples fail for the right reason."""

from __future__ import annotations

import pytest

from snowcoder_hf.eval.harness import HarnessConfig, check_programs
from snowcoder_hf.eval.jobs import missing_libs, program_for
from snowcoder_hf.evalsets.registry import load_benchmark

ALL_EXECUTABLE = ["humaneval", "humaneval_plus", "mbpp_plus", "evoeval_difficult", "evoeval_creative",
                  "evoeval_subtle", "evoeval_combine", "evoeval_tool_use", "bigcodebench"]  # fmt: skip
# Upstream issues, by task id, that make a canonical solution fail here: none known so far.
UPSTREAM_FAILURES: dict[str, set[str]] = {}


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> HarnessConfig:
    return HarnessConfig(cache_dir=str(tmp_path_factory.mktemp("expected")), workers=2)


def _item(shared_benchmarks, name, task_id):
    return next(i for i in load_benchmark(name, str(shared_benchmarks)) if i.task_id == task_id)


def test_canonical_solutions_pass_on_a_sample_of_every_benchmark(shared_benchmarks, config):
    items = []
    for name in ALL_EXECUTABLE:
        chosen = load_benchmark(name, str(shared_benchmarks))
        # BigCodeBench/0 permutes ten numbers 3.6M times per test: take two fast, stdlib-only tasks instead
        chosen = (
            [i for i in chosen if i.task_id in ("BigCodeBench/7", "BigCodeBench/8")]
            if name == "bigcodebench"
            else chosen[:2]
        )
        items.extend(i for i in chosen if not missing_libs(i))
    results = check_programs(items, [program_for(i) for i in items], config)
    failed = [(r.benchmark, r.task_id, r.status, r.detail[:200]) for r in results if not r.passed]
    assert failed == []
    assert {r.benchmark for r in results} >= set(ALL_EXECUTABLE) - {"bigcodebench"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_EXECUTABLE)
def test_canonical_solutions_pass_on_every_task(shared_benchmarks, config, name):
    items = load_benchmark(name, str(shared_benchmarks))
    results = check_programs(items, [program_for(i) for i in items], config)
    failed = {r.task_id: f"{r.status}: {r.detail[:200]}" for r in results
              if r.status not in ("pass", "environment_missing") and r.task_id not in UPSTREAM_FAILURES.get(name, set())}  # fmt: skip
    assert failed == {}


HOSTILE_DIFF = {
    "exit_zero_before_tests": ("import sys\nsys.exit(0)\n", "load_error"),
    "os_exit_zero": ("import os\nos._exit(0)\n", "no_result"),
    "fake_success_line": ("print('0' * 32 + ' {\"load_error\": null}')\nimport os\nos._exit(0)\n", "no_result"),
    "os_system": ("import os\nos.system('echo pwned')\ndef has_close_elements(a, b):\n    return None\n", "fail"),
    "infinite_loop": ("def has_close_elements(a, b):\n    while True:\n        pass\n", "timeout"),
    "wrong_answer": ("def has_close_elements(a, b):\n    return True\n", "fail"),
    "socket": ("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)\n", "load_error"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_DIFF))
def test_hostile_humaneval_plus_samples_are_scored_as_failures(shared_benchmarks, config, case):
    item = _item(shared_benchmarks, "humaneval_plus", "HumanEval/0")
    source, status = HOSTILE_DIFF[case]
    [result] = check_programs([item], [source], HarnessConfig(**{**config.__dict__, "min_time_limit": 0.2,
                                                                  "max_split_s": 2.0}))  # fmt: skip
    assert not result.passed
    assert result.status == status


def test_a_correct_alternative_solution_passes_base_and_plus(shared_benchmarks, config):
    item = _item(shared_benchmarks, "humaneval_plus", "HumanEval/0")
    program = ("from itertools import combinations\ndef has_close_elements(numbers, threshold):\n"
               "    return any(abs(a - b) < threshold for a, b in combinations(numbers, 2))\n")  # fmt: skip
    [result] = check_programs([item], [program], config)
    assert result.status == "pass"
    assert result.splits == {"base": "pass", "plus": "pass"}


def _bcb_item(shared_benchmarks):
    return _item(shared_benchmarks, "bigcodebench", "BigCodeBench/7")  # standard library only, tests run in ms


@pytest.mark.parametrize(
    ("prefix", "status"),
    [
        ("import sys\nsys.exit(0)\n", "load_error"),
        (
            (
                "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\n"
                "unittest.TestCase.assertTrue = lambda *a, **k: None\n"
            ),
            "tampered",
        ),  # fmt: skip
        ("import unittest\nunittest.TestResult.wasSuccessful = lambda self: True\n", "tampered"),
    ],
)
def test_hostile_bigcodebench_samples_are_scored_as_failures(shared_benchmarks, config, prefix, status):
    item = _bcb_item(shared_benchmarks)
    [result] = check_programs([item], [prefix + program_for(item)], config)
    assert result.status == status


def test_bigcodebench_tasks_with_missing_libraries_are_reported_apart(shared_benchmarks, config):
    item = _bcb_item(shared_benchmarks)
    item.raw = {**item.raw, "libs": "['surely_not_an_installed_module_xyz']"}
    [result] = check_programs([item], [program_for(item)], config)
    assert result.status == "environment_missing"
    assert "surely_not_an_installed_module_xyz" in result.detail


def test_program_count_must_match_items(shared_benchmarks, config):
    item = _item(shared_benchmarks, "humaneval_plus", "HumanEval/0")
    with pytest.raises(ValueError, match="`programs`"):
        check_programs([item], [], config)
