import pytest
from datatrove.data import Document

from snowcoder_hf.pipeline.repo_docs import RepoDocuments, RepoShardAssigner, split_text


def _file(repo, path, language, text):
    return Document(text=text, id=f"{repo}/{path}", metadata={"repo": repo, "path": path, "language": language})


FILES = [
    _file("a/x", "main.py", "Python", "print('main')\n"),
    _file("a/x", "util.py", "Python", "def util():\n    return 1\n"),
    _file("a/x", "fast.c", "C", "int fast(void) { return 1; }\n"),
    _file("b/y", "lib.py", "Python", "X = 1\n"),
]


def test_files_are_partitioned_by_language_then_grouped_by_repository_with_markers():
    docs = list(RepoDocuments().run(iter(FILES)))
    assert [(d.metadata["language"], d.metadata["repo"], d.metadata["num_files"]) for d in docs] == [
        ("C", "a/x", 1), ("Python", "a/x", 2), ("Python", "b/y", 1)]  # fmt: skip
    python_doc = docs[1].text
    assert python_doc.startswith("<repo_name>a/x<file_sep>")
    assert "<file_sep>main.py\nprint('main')\n" in python_doc
    assert "<file_sep>util.py\ndef util():\n    return 1\n" in python_doc
    assert "fast.c" not in python_doc


def test_group_by_repository_only_mixes_languages_for_the_ablation():
    docs = list(RepoDocuments(group_by="repo", repo_marker="<R>", file_marker="<F>").run(iter(FILES)))
    assert [d.metadata["repo"] for d in docs] == ["a/x", "b/y"]
    assert docs[0].metadata["num_files"] == 3
    assert docs[0].metadata["languages"] == ["C", "Python"]
    assert docs[0].text.count("<F>") == 3
    assert docs[0].text.startswith("<R>a/x")


def test_file_order_is_random_but_seeded_and_independent_of_input_order():
    files = [_file("r/r", f"m{i}.py", "Python", f"v{i} = {i}\n") for i in range(12)]
    first = next(iter(RepoDocuments(seed=3).run(iter(files)))).text
    again = next(iter(RepoDocuments(seed=3).run(iter(reversed(files))))).text
    other = next(iter(RepoDocuments(seed=4).run(iter(files)))).text
    assert first == again
    assert first != other
    assert first.index("m0.py") > first.index("m1.py") or first.index("m1.py") > first.index("m2.py")


def test_a_length_cap_splits_without_losing_or_truncating_text():
    files = [_file("r/r", f"m{i}.py", "Python", "".join(f"line_{i}_{j} = {j}\n" for j in range(80))) for i in range(5)]
    docs = list(RepoDocuments(max_chars=1000).run(iter(files)))
    assert len(docs) > 5
    assert all(len(d.text) <= 1000 for d in docs)
    assert all(d.text.startswith("<repo_name>r/r") for d in docs)
    body = "".join(d.text.removeprefix("<repo_name>r/r") for d in docs)
    for f in files:
        assert f"<file_sep>{f.metadata['path']}\n" in body
        assert all(line in body for line in f.text.splitlines())
    assert sum(len(d.text) - len("<repo_name>r/r") for d in docs) == sum(
        len(f"<file_sep>{f.metadata['path']}\n{f.text}") for f in files)  # fmt: skip
    assert split_text("ab\ncd\nef", 4) == ["ab\n", "cd\n", "ef"]


def test_shards_keep_every_group_together():
    files = [_file(f"o/r{i % 7}", f"f{i}.py", "Python", "x = 1\n") for i in range(40)]
    shards = {}
    for doc in RepoShardAssigner(num_shards=3).run(iter(files)):
        shards.setdefault(doc.metadata["repo"], set()).add(doc.metadata["repo_shard"])
    assert all(len(s) == 1 for s in shards.values())
    assert len({next(iter(s)) for s in shards.values()}) > 1
    with pytest.raises(ValueError, match="`group_by`"):
        RepoDocuments(group_by="org")


def test_a_repository_far_larger_than_one_document_streams_in_bounded_memory():
    import tracemalloc

    from datatrove.data import Document

    line = "x = 1  # " + "y" * 90 + "\n"

    def files():  # 40 MB of one repository, made lazily: the input is never in memory either
        for i in range(400):
            yield Document(text=line * 1000, id=f"f{i}", metadata={"repo": "big/kernel", "path": f"f{i}.c",
                                                                  "language": "C"})  # fmt: skip

    tracemalloc.start()
    parts, total, announced = 0, 0, set()
    for doc in RepoDocuments(max_chars=1_000_000).run(files()):
        parts += 1
        total += doc.text.count("\n")
        announced.add(doc.metadata["num_parts"])
        assert len(doc.text) <= 1_000_000
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert announced == {parts}  # known before the first part is emitted
    assert parts == 45  # 9 files of 100,018 characters fit in each 1,000,000-character document
    assert total == 400 * 1000 + 400  # every line, plus one file-marker line per file
    assert peak < 12_000_000  # a few documents' worth, not the 40 MB repository
