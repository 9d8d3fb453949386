import ast
import random

import pytest

from snowcoder_hf.decont.leak_corpus import LEAK_KINDS, build_corpus, make_leak, rename_and_reformat, score
from snowcoder_hf.decont.sources import full_solution
from snowcoder_hf.evalsets.registry import load_benchmark


@pytest.fixture(scope="module")
def items():
    return load_benchmark("humaneval")[:30]


def test_renamed_leak_parses_and_keeps_no_local_name_or_docstring(items):
    item = items[3]
    renamed = rename_and_reformat(full_solution(item), random.Random(0))
    tree = ast.parse(renamed)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {n.name for n in ast.walk(tree)
                                                                         if isinstance(n, ast.FunctionDef)}  # fmt: skip
    assert item.entry_point not in names
    assert "List" in renamed  # imported names stay
    assert '"""' not in renamed
    assert rename_and_reformat("def broken(:\n", random.Random(0)) is None


def test_corpus_plants_each_kind_once_per_host_and_keeps_clean_hosts_untouched(items):
    hosts = [f"# host {i}\nx_{i} = {i}\n" for i in range(4 * 3 + 5)]
    docs = build_corpus(items, hosts, per_kind=3, clean=5, seed=1)
    assert [d.leak_kind for d in docs[:12]] == [k for k in LEAK_KINDS for _ in range(3)]
    assert all(d.text == hosts[12 + i] for i, d in enumerate(docs[12:]))
    for doc in docs[:12]:
        planted = next(i for i in items if i.task_id == doc.task_id)
        assert doc.text != planted.prompt
        assert f"x_{int(doc.host.split('-')[1])} =" in doc.text  # the host is still there around the leak
    with pytest.raises(ValueError, match="`hosts`"):
        build_corpus(items, hosts[:3], per_kind=3, clean=5)


def test_make_leak_refuses_unknown_kinds_and_items_without_tests(items):
    with pytest.raises(ValueError, match="`kind`"):
        make_leak(items[0], "paraphrase", random.Random(0))
    no_test = load_benchmark("humaneval")[0]
    no_test.test = None
    assert make_leak(no_test, "test", random.Random(0)) is None


def test_score_counts_recall_attribution_and_false_positives(items):
    docs = build_corpus(items, [f"h{i}\n" for i in range(4 + 4)], per_kind=1, clean=4, seed=0)
    found = [[{"benchmark": d.benchmark, "task_id": d.task_id}] for d in docs[:4]]
    found[1] = [{"benchmark": "humaneval", "task_id": "elsewhere"}]  # flagged, but for another task
    found += [[], [], [{"benchmark": "x", "task_id": "y"}], []]
    report = score(docs, found)
    assert report["recall"]["verbatim"] == {"planted": 1, "recall": 1.0, "attributed": 1.0}
    assert report["recall"]["renamed"] == {"planted": 1, "recall": 1.0, "attributed": 0.0}
    assert report["false_positives"] == 1
    assert report["fp_rate"] == pytest.approx(0.25)
