"""Leak shapes the hard benchmark measures, and the false-positive shapes real test suites produced."""

import random
import sysconfig
import textwrap
from pathlib import Path

import pytest

from snowcoder_hf.decont.leak_corpus import rename_and_reformat
from snowcoder_hf.decont.match_report import render_match_report
from snowcoder_hf.decont.sources import full_solution
from snowcoder_hf.evalsets.registry import load_benchmark
from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter

BENCHMARKS = ["humaneval_plus", "mbpp_plus", "bigcodebench"]
STDLIB = Path(sysconfig.get_paths()["stdlib"])
HOST = (STDLIB / "textwrap.py").read_text()


@pytest.fixture(scope="module")
def block(shared_benchmarks, tmp_path_factory):
    # No boilerplate sample: what keeps the real files below clean must be the matching rules themselves.
    block = BenchmarkDecontaminationFilter(BENCHMARKS, str(shared_benchmarks), reference=None,
                                           cache_dir=str(tmp_path_factory.mktemp("decont_hard")))  # fmt: skip
    block.index  # noqa: B018
    return block


@pytest.fixture(scope="module")
def items(shared_benchmarks):
    return {(i.benchmark, i.task_id): i for name in BENCHMARKS for i in load_benchmark(name, shared_benchmarks)}


def _tasks(matches) -> set[tuple[str, str]]:
    return {(m["benchmark"], m["task_id"]) for m in matches}


def _comment(text: str, marker: str, width: int) -> str:
    lines = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, width) or [""]
    return "\n".join(f"{marker} {line}".rstrip() for line in lines) + "\n"


@pytest.mark.parametrize("task", ["BigCodeBench/5", "BigCodeBench/159", "BigCodeBench/730"])
def test_a_bigcodebench_instruct_prompt_pasted_as_a_comment_is_flagged(block, items, task):
    instruct = items[("bigcodebench", task)].raw["instruct_prompt"]
    python = HOST + "\n\n" + _comment(instruct, "#", 72) + "\n\nx = 1\n"
    found = [m for m in block.matches(python) if m["task_id"] == task]
    assert [m["field"] for m in found] == ["prompt"]  # as prose, or verbatim where its code lines match too
    assert found[0]["channel"] in ("prose", "exact")
    javascript = "function f(a) {\n  return a;\n}\n\n" + _comment(instruct, "//", 100) + "module.exports = { f };\n"
    assert ("bigcodebench", task) in _tasks(block.matches(javascript))


# The false positives of a run on CPython's own files: short MBPP+/HumanEval solutions and BigCodeBench
# fragments matched as token runs inside test code and library code. Each file must stay clean.
CPYTHON_FILES = ["lib2to3/tests/data/py2_test_grammar.py", "test/test_grammar.py", "smtplib.py",
                 "idlelib/idle_test/test_autocomplete.py", "test/test_gzip.py", "test/test_opcache.py"]  # fmt: skip


@pytest.mark.parametrize("name", CPYTHON_FILES)
def test_real_cpython_files_that_once_matched_short_solutions_stay_clean(block, name):
    path = STDLIB / name
    if not path.is_file():
        pytest.skip(f"{name} is not part of this Python installation")
    assert block.matches(path.read_text(encoding="utf-8", errors="replace")) == []


def test_a_standalone_short_mbpp_solution_is_flagged_whole_and_renamed(block, items):
    item = items[("mbpp_plus", "Mbpp/234")]  # def volume_cube(l): return l ** 3
    found = [m for m in block.matches(HOST + "\n\n" + item.solution + "\n\nx = 1\n") if m["task_id"] == "Mbpp/234"]
    assert [(m["kind"], m["channel"]) for m in found] == [("verbatim", "function")]
    longer = items[("mbpp_plus", "Mbpp/86")]  # def centered_hexagonal_number(n): return 3 * n * (n - 1) + 1
    renamed = rename_and_reformat(full_solution(longer), random.Random(0))
    assert "centered_hexagonal_number" not in renamed
    found = [m for m in block.matches(HOST + "\n\n" + renamed) if m["task_id"] == "Mbpp/86"]
    assert [(m["kind"], m["channel"]) for m in found] == [("renamed", "function")]
    # renamed, a function this small (`def f(x): return x ** 3`) is any number of ordinary functions
    tiny = rename_and_reformat(full_solution(item), random.Random(0))
    assert ("mbpp_plus", "Mbpp/234") not in _tasks(block.matches(HOST + "\n\n" + tiny))


def test_a_short_solution_as_a_token_run_inside_other_code_is_not_evidence(block, items):
    body = items[("mbpp_plus", "Mbpp/234")].solution.strip().splitlines()[-1].strip()  # return l ** 3
    inside = f"def volume_and_more(l, k):\n    if k:\n        return k\n    {body}\n"
    method = "class Cube:\n    def volume_cube(self, l):\n        log(l)\n        return l ** 3\n"
    for text in (inside, method):
        assert ("mbpp_plus", "Mbpp/234") not in _tasks(block.matches(HOST + "\n\n" + text))


def test_a_short_solution_right_after_a_full_stop_or_inside_a_class_is_found(block, items):
    solution = items[("mbpp_plus", "Mbpp/89")].solution.strip()  # def closest_num(N): return (N - 1)
    after_sentence = "# Licensed to the PSF.\n" + solution + "\n"
    indented = "class Tools:\n" + textwrap.indent(solution, "    ") + "\n"
    for text in (after_sentence, indented):
        assert ("mbpp_plus", "Mbpp/89") in _tasks(block.matches(text))


def test_each_match_record_explains_itself(block, items):
    item = items[("humaneval_plus", "HumanEval/12")]
    text = HOST + "\n\n" + full_solution(item)
    match = next(m for m in block.matches(text) if m["task_id"] == "HumanEval/12")
    assert set(match) >= {"benchmark", "task_id", "field", "kind", "channel", "spans", "matched_tokens", "excerpt"}
    start, end = match["spans"][0]
    assert " ".join(text[start:end].split()).startswith(match["excerpt"].removesuffix("...")[:40])
    report = render_match_report([("doc-1", text, [match])], BENCHMARKS, total=3)
    assert "1 of 3 documents" in report
    assert "`HumanEval/12`" in report
    assert match["channel"] in report


def test_the_match_report_of_nothing_says_so():
    assert "No document matches." in render_match_report([], BENCHMARKS, total=5)
