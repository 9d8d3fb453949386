"""The hard planted-leak corpus: leak forms, clean sources of many languages, seeded builds and scoring."""

import ast
import random

import pytest

from snowcoder_hf.decont.hard_corpus import (
    CleanSource,
    build_hard_corpus,
    draw_files,
    insertion_points,
    make_form,
    plant_between_statements,
    read_text,
    score_hard,
    source_files,
)
from snowcoder_hf.decont.leak_forms import (
    COMMENT_STYLES,
    LEAK_FORMS,
    as_comment,
    code_leak,
    first_half,
    lightly_edited,
    paraphrased,
    statements,
)
from snowcoder_hf.evalsets.registry import BenchmarkItem, load_benchmark


@pytest.fixture(scope="module")
def items():
    return load_benchmark("humaneval")[:40]


def _sources(tmp_path):
    files = {"py/a.py": "import os\n\n\ndef f(x):\n    return x\n\n\nclass C:\n    pass\n",
             "py/b.py": '"""Module."""\n\nX = 1\n', "py/c.py": "def g():\n    pass\n",
             "go/main.go": "package main\n\nfunc main() {}\n", "go/util.go": "package main\n\nvar X = 1\n",
             "go/bin.go": "package main\x00\x01", "go/latin.go": "caf\xe9".encode("latin-1"),
             "sh/complete": "_x() {\n  COMPREPLY=()\n}\n", "sh/other.sh": "echo hi\n"}  # fmt: skip
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return [CleanSource("python", "py", tmp_path / "py", (".py",)),
            CleanSource("go", "go", tmp_path / "go", (".go",)),
            CleanSource("shell", "sh", tmp_path / "sh", ("", ".sh"))]  # fmt: skip


def test_every_form_of_a_solved_item_is_text_and_code_forms_keep_python_valid(items):
    item = items[11]
    for form in LEAK_FORMS:
        text = make_form(item, form, random.Random(0))
        assert isinstance(text, str), form
        assert text.strip(), form
    for form in ("verbatim", "reformatted", "renamed"):
        ast.parse(code_leak(item, form, random.Random(0)))
    assert '"""' not in code_leak(item, "reformatted", random.Random(0))  # docstring dropped
    with pytest.raises(ValueError, match="`form`"):
        make_form(item, "translated", random.Random(0))


def test_partial_is_half_a_long_solution_and_nothing_for_a_short_one():
    long_code = "def f(a):\n" + "".join(f"    a += {i}\n" for i in range(10)) + "    return a\n"
    half = first_half(long_code)
    assert half.startswith("def f(a):")
    assert half.count("\n") == 6
    assert first_half("def f(a):\n    return a\n") is None


def test_statements_include_bigcodebench_instruct_prompts(shared_benchmarks):
    item = load_benchmark("bigcodebench", shared_benchmarks)[0]
    found = statements(item)
    assert len(found) == 2
    assert found[1] == item.raw["instruct_prompt"]
    assert "The function should output with" in found[1]


@pytest.mark.parametrize("language", sorted(COMMENT_STYLES))
def test_statements_go_into_the_comment_syntax_of_the_host_language(language):
    comment = as_comment("Write a function that returns the sum of two numbers.", random.Random(1), language)
    markers = {line.split()[0] for line in comment.splitlines() if line.strip()}
    allowed = {m for style in COMMENT_STYLES[language] for m in (style, "*", "*/")}
    assert markers <= allowed


def test_light_edits_and_paraphrases_change_words_but_keep_most_of_them():
    statement = " ".join(f"word{i}" for i in range(60)) + " write a function to return the list"
    edited = lightly_edited(statement, random.Random(0))
    assert edited != statement
    assert len(set(edited.split()) & set(statement.split())) >= 55
    rewritten = paraphrased("Write a function to return the list of numbers. It is given a string.", random.Random(0))
    assert "routine" in rewritten or "array" in rewritten or "values" in rewritten


def test_python_hosts_take_leaks_only_between_top_level_statements():
    host = (
        'import os\n\n\nclass C:\n    """A docstring\n\n    with a blank line."""\n\n    def m(self):\n        pass\n'
    )
    points = insertion_points(host, "python")
    assert points == [0, host.index("class C"), len(host)]
    planted = plant_between_statements(host, "def leak():\n    return 1\n", random.Random(3), "python")
    ast.parse(planted)
    assert insertion_points("def broken(:\n", "python") == [len("def broken(:\n")]


def test_clean_sources_skip_binary_and_non_utf8_files_and_missing_roots(tmp_path):
    sources = _sources(tmp_path)
    assert read_text(tmp_path / "go/bin.go") is None
    assert read_text(tmp_path / "go/latin.go") is None
    assert [p.name for p in source_files(sources[2], min_bytes=1)] == ["complete", "other.sh"]
    assert source_files(CleanSource("java", "none", tmp_path / "absent", (".java",))) == []
    drawn = draw_files(sources, {"py": 3, "go": 5, "sh": 1}, seed=0)
    assert len(drawn["py"]) == 0  # every file is under the 300-byte floor
    drawn = draw_files([CleanSource("go", "go", tmp_path / "go", (".go",))], {"go": 5}, seed=0)
    assert drawn["go"] == []


def test_the_corpus_is_fixed_by_its_seed_and_scored_per_language_and_source(items):
    hosts = {"python": [(f"h{i}.py", f"X{i} = {i}\n", "py") for i in range(40)],
             "go": [(f"h{i}.go", f"var X{i} = {i}\n", "go") for i in range(10)]}  # fmt: skip
    clean = [("python", "py", "c1.py", "Y = 1\n"), ("go", "go", "c2.go", "var Y = 1\n"), ("go", "go", "c3.go", "")]
    forms = ("verbatim", "prompt_comment")
    first = build_hard_corpus(items, hosts, clean, per_cell=3, seed=5, forms=forms)
    again = build_hard_corpus(items, hosts, clean, per_cell=3, seed=5, forms=forms)
    assert [d.text for d in first] == [d.text for d in again]
    assert [d.text for d in build_hard_corpus(items, hosts, clean, per_cell=3, seed=6, forms=forms)] != [
        d.text for d in first
    ]
    leaks = [d for d in first if d.form]
    assert len(leaks) == 6
    assert {d.family for d in leaks} == {"humaneval"}
    assert {d.language for d in leaks if d.form == "prompt_comment"} == {"go", "python"}
    found = [[{"benchmark": d.benchmark, "task_id": d.task_id}] if d.form == "verbatim" else [] for d in first]
    found[-1] = [{"benchmark": "humaneval", "task_id": "HumanEval/0"}]  # a false positive on a Go file
    report = score_hard(first, found)
    assert report["recall"]["humaneval"]["verbatim"] == {"planted": 3, "recall": 1.0, "attributed": 1.0}
    assert report["recall"]["humaneval"]["prompt_comment"]["recall"] == 0.0
    assert report["fp_by_language"] == {"go": {"clean": 2, "flagged": 1}, "python": {"clean": 1, "flagged": 0}}
    assert report["fp_by_source"]["go"] == {"clean": 2, "flagged": 1}
    assert report["fp_rate"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="host files"):
        build_hard_corpus(items, {"python": hosts["python"][:2], "go": []}, clean, per_cell=3, forms=forms)


def test_items_without_a_solution_have_no_code_forms():
    item = BenchmarkItem("livecodebench", "t/1", "Solve it.", "", None, None, {})
    assert code_leak(item, "verbatim", random.Random(0)) is None
    assert make_form(item, "prompt_docstring", random.Random(0)).startswith(("def ", "class "))
