import pickle
import random
import sysconfig
from pathlib import Path

import pytest
from datatrove.data import Document

from snowcoder_hf.decont.index import DecontIndex, in_reference_half
from snowcoder_hf.decont.leak_corpus import plant, rename_and_reformat, statement_as_comment
from snowcoder_hf.decont.sources import full_solution, problem_statement
from snowcoder_hf.evalsets.registry import load_benchmark
from snowcoder_hf.pipeline.decont import BenchmarkDecontaminationFilter

BENCHMARKS = ["humaneval_plus", "mbpp_plus"]


def _stdlib_files(reference_half: bool, limit: int) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p for p in root.glob("*.py") if in_reference_half(p, root) == reference_half and p.stat().st_size < 80_000
    )
    return files[:limit]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("decont_cache")


@pytest.fixture(scope="module")
def block(shared_benchmarks, cache_dir):
    block = BenchmarkDecontaminationFilter(BENCHMARKS, str(shared_benchmarks), reference=_stdlib_files(True, 80),
                                           cache_dir=str(cache_dir))  # fmt: skip
    block.index  # noqa: B018 - build once for the module
    return block


@pytest.fixture(scope="module")
def items(shared_benchmarks):
    return {(i.benchmark, i.task_id): i for name in BENCHMARKS for i in load_benchmark(name, shared_benchmarks)}


@pytest.fixture(scope="module")
def host():
    return (Path(sysconfig.get_paths()["stdlib"]) / "textwrap.py").read_text()


def _keys(matches):
    return {(m["benchmark"], m["task_id"]) for m in matches}


def test_verbatim_solution_inside_a_larger_file_is_removed_with_its_span(block, items, host):
    item = items[("humaneval_plus", "HumanEval/10")]
    text = plant(host, full_solution(item), random.Random(1))
    doc = Document(text=text, id="d1", metadata={})
    assert block.filter(doc) == (False, "contaminated")
    solution = [m for m in doc.metadata["contamination"] if m["field"] == "solution" and m["task_id"] == "HumanEval/10"]
    assert solution[0]["kind"] == "verbatim"
    start, end = solution[0]["spans"][0]
    assert "is_palindrome" in text[start:end] or item.solution.strip()[:30] in text[start:end]
    assert solution[0]["matched_tokens"] >= 16


def test_renamed_and_reformatted_solution_is_removed(block, items, host):
    item = items[("humaneval_plus", "HumanEval/1")]
    renamed = rename_and_reformat(full_solution(item), random.Random(0))
    assert item.entry_point not in renamed
    matches = block.matches(plant(host, renamed, random.Random(2)))
    assert ("humaneval_plus", "HumanEval/1") in _keys(matches)
    assert {m["kind"] for m in matches if m["task_id"] == "HumanEval/1"} == {"renamed"}


def test_problem_statement_pasted_as_a_comment_is_found(block, items, host):
    item = items[("mbpp_plus", "Mbpp/2")]
    words = problem_statement(item).split()
    comment = "\n".join("# " + " ".join(words[i : i + 7]) for i in range(0, len(words), 7))  # re-wrapped
    matches = block.matches(plant(host, comment, random.Random(4)))
    assert ("mbpp_plus", "Mbpp/2") in _keys(matches)
    assert {m["kind"] for m in matches if m["task_id"] == "Mbpp/2"} == {"statement"}
    as_docstring = statement_as_comment(problem_statement(item), random.Random(3))
    assert ("mbpp_plus", "Mbpp/2") in _keys(block.matches(plant(host, as_docstring, random.Random(4))))


def test_test_only_copy_is_found(block, items, host):
    item = items[("humaneval_plus", "HumanEval/20")]
    matches = block.matches(plant(host, item.test, random.Random(5)))
    assert any(m["task_id"] == "HumanEval/20" and m["field"] == "test" for m in matches)


def test_unrelated_standard_library_files_match_nothing(block):
    flagged = [p.name for p in _stdlib_files(False, 150) if block.matches(p.read_text(errors="replace"))]
    assert flagged == []


def test_boilerplate_alone_is_not_evidence(block):
    text = ('# Licensed under the Apache License, Version 2.0 (the "License");\nimport unittest\n'
            "from typing import List\n\n\nclass TestCases(unittest.TestCase):\n    def setUp(self):\n        pass\n\n\n"
            'if __name__ == "__main__":\n    unittest.main()\n')  # fmt: skip
    assert block.matches(text) == []


def test_leak_inside_one_file_of_a_repo_level_document_names_the_file(block, items, host):
    item = items[("humaneval_plus", "HumanEval/12")]
    repo = (f"<repo_name>someone/tools<file_sep>tools/wrap.py\n{host}<file_sep>tools/longest.py\n"
            f"{full_solution(item)}<file_sep>README.md\n# tools\n<|endoftext|>")  # fmt: skip
    matches = [m for m in block.matches(repo) if m["task_id"] == "HumanEval/12"]
    assert matches
    assert {m.get("path") for m in matches} == {"tools/longest.py"}


@pytest.mark.parametrize(
    "text",
    [
        '#include <stdio.h>\nint main(void) { printf("%d\\n", 42); return 0; }\n',
        'fn main() { let v: Vec<i32> = (0..10).collect(); println!("{:?}", v); }',
        "\x00\x01\x02 binary-ish \ufffd\ufffd garbage \x7f" * 50,
        "",
        "İstanbul ÇAĞRI ﬁle — 日本語のコメント " * 200,
        "x" * 300_000,
    ],
)
def test_any_language_or_odd_text_is_handled_without_a_match(block, text):
    assert block.matches(text) == []


def test_python_leak_inside_a_javascript_file_is_still_found(block, items):
    item = items[("mbpp_plus", "Mbpp/2")]
    js = "function add(a, b) {\n  return a + b;\n}\n/*\n" + full_solution(item) + "\n*/\nmodule.exports = { add };\n"
    assert ("mbpp_plus", "Mbpp/2") in _keys(block.matches(js))


def test_annotate_mode_keeps_the_document_and_records_the_match(shared_benchmarks, cache_dir, items, host):
    annotate = BenchmarkDecontaminationFilter(BENCHMARKS, str(shared_benchmarks), mode="annotate",
                                              reference=_stdlib_files(True, 80), cache_dir=str(cache_dir))  # fmt: skip
    doc = Document(text=plant(host, full_solution(items[("humaneval_plus", "HumanEval/10")]), random.Random(1)), id="a")
    assert annotate.filter(doc) is True
    assert doc.metadata["contamination"]


def test_allowlist_and_ignored_tasks_silence_matches(shared_benchmarks, cache_dir, items, host):
    item = items[("humaneval_plus", "HumanEval/10")]
    text = plant(host, full_solution(item), random.Random(1))
    ignoring = BenchmarkDecontaminationFilter(BENCHMARKS, str(shared_benchmarks), ignore_tasks=["humaneval_plus:HumanEval/10"],
                                              reference=_stdlib_files(True, 80), cache_dir=str(cache_dir))  # fmt: skip
    assert ("humaneval_plus", "HumanEval/10") not in _keys(ignoring.matches(text))
    allowing = BenchmarkDecontaminationFilter(BENCHMARKS, str(shared_benchmarks), allowlist=[item.prompt, item.solution],
                                              reference=_stdlib_files(True, 80), cache_dir=str(cache_dir))  # fmt: skip
    assert not [
        m for m in allowing.matches(text) if m["task_id"] == "HumanEval/10" and m["benchmark"] == "humaneval_plus"
    ]


def test_block_pickles_without_its_index_and_workers_reload_it_from_the_cache(block, monkeypatch, items, host):
    payload = pickle.dumps(block)
    assert len(payload) < 20_000
    clone = pickle.loads(payload)
    assert clone._index is None

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cached index should have been loaded")

    monkeypatch.setattr(DecontIndex, "build", no_rebuild)
    text = plant(host, full_solution(items[("humaneval_plus", "HumanEval/10")]), random.Random(1))
    assert clone.matches(text) == block.matches(text)


def test_a_corrupt_cached_index_is_rebuilt(shared_benchmarks, tmp_path):
    make = lambda: BenchmarkDecontaminationFilter(["humaneval_plus"], str(shared_benchmarks), reference=None,  # noqa: E731
                                                  cache_dir=str(tmp_path))  # fmt: skip
    make().index  # noqa: B018
    for npz in tmp_path.glob("*.npz"):
        npz.write_bytes(b"not an npz")
    assert make().index.stats["items"] == 164


def test_bad_arguments_name_the_parameter(shared_benchmarks, tmp_path):
    with pytest.raises(ValueError, match="Unknown benchmark 'humaneval_pls'"):
        BenchmarkDecontaminationFilter(["humaneval_pls"], str(shared_benchmarks))
    with pytest.raises(ValueError, match="`mode`"):
        BenchmarkDecontaminationFilter(["humaneval"], str(shared_benchmarks), mode="drop")
    with pytest.raises(ValueError, match="`ignore_tasks`"):
        BenchmarkDecontaminationFilter(["humaneval"], str(shared_benchmarks), ignore_tasks=["HumanEval/0"])
    with pytest.raises(FileNotFoundError, match="HumanEvalPlus.jsonl.gz"):
        BenchmarkDecontaminationFilter(["humaneval_plus"], str(tmp_path))
