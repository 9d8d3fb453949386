import gzip
import json
import os

import pytest

from snowcoder_hf.common.executors import build_executor
from snowcoder_hf.common.languages import PAPER_LANGUAGES
from snowcoder_hf.common.reporting import load_pipeline_stats
from snowcoder_hf.pipeline.document_files import kept_writer, removed_writer
from snowcoder_hf.pipeline.hub_readers import CodeColumnsAdapter, canonical_language, hub_code_reader
from snowcoder_hf.pipeline.readers import SourceRoot, SourceTreeReader, stable_id


def _rows(folder):
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            rows.extend(json.loads(line) for line in f)
    return rows


def _write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


@pytest.fixture
def bad_tree(tmp_path):
    repo = tmp_path / "repos" / "acme"
    _write(repo / "good.py", "def add(a, b):\n    return a + b\n")
    _write(repo / "lib" / "util.c", "int twice(int x) { return 2 * x; }\n")
    _write(repo / "binary.py", b"\x00\x01\x02ELF\x00" * 20)
    _write(repo / "latin1.py", "name = 'caf\xe9'\n".encode("latin-1"))
    _write(repo / "empty.py", b"")
    _write(repo / "blank.js", b"   \n\n")
    # one 50 MB minified line, over the reader's byte cap: dropped without being read into memory
    (repo / "bundle.js").write_bytes(b"var a=1;" * (50 * 1024 * 1024 // 8))
    os.symlink("loop_b.py", repo / "loop_a.py")
    os.symlink("loop_a.py", repo / "loop_b.py")
    os.symlink(repo, repo / "lib" / "self_dir")  # a directory link back to the repository root
    os.symlink(repo / "lib", repo / "lib_alias")  # an in-repo alias: read once, where it really is
    os.symlink("missing.py", repo / "dangling.py")
    os.mkfifo(repo / "pipe.py")  # tests run as root, where chmod 000 does not stop reads: a FIFO is unreadable
    _write(repo / "node_modules" / "dep" / "index.js", "module.exports = 1;\n")
    _write(repo / "app.min.js", "var x=1;")
    _write(repo / ".gitignore", "ignored_dir/\n*.tmp.py\n")
    _write(repo / "ignored_dir" / "skip.py", "x = 1\n")
    _write(repo / "scratch.tmp.py", "x = 2\n")
    _write(repo / "README.md", "# acme\n")
    _write(repo / "tool", "#!/usr/bin/env python3\nprint('hi')\n")
    return tmp_path / "repos"


def test_bad_files_are_counted_and_routed_with_their_reason_while_good_files_are_read(bad_tree, tmp_path):
    out = tmp_path / "out"
    reader = SourceTreeReader([SourceRoot(str(bad_tree))], languages=list(PAPER_LANGUAGES),
                              exclusion_writer=removed_writer(out, "reader"), max_file_bytes=10_000_000)  # fmt: skip
    build_executor([reader, kept_writer(out)], {"type": "local", "tasks": 1}, str(tmp_path / "logs")).run()

    kept = {row["metadata"]["path"]: row for row in _rows(out / "kept")}
    assert sorted(kept) == ["good.py", "lib/util.c", "tool"]
    assert kept["tool"]["metadata"]["language"] == "Python", "an extensionless script is identified by its shebang"
    assert kept["good.py"]["metadata"] | {"size": 0} == {"repo": "acme", "path": "good.py", "language": "Python",
                                                         "size": 0, "license": None}  # fmt: skip
    assert kept["good.py"]["id"] == stable_id("acme", "good.py")
    removed = {row["metadata"]["path"]: row["metadata"]["filter_reason"] for row in _rows(out / "removed")}
    assert removed == {
        "binary.py": "binary", "latin1.py": "invalid_utf8", "empty.py": "empty", "blank.js": "empty",
        "bundle.js": "too_large", "loop_a.py": "symlink_loop", "loop_b.py": "symlink_loop",
        "lib/self_dir": "symlink_loop", "dangling.py": "unreadable", "pipe.py": "unreadable",
    }  # fmt: skip
    stats = load_pipeline_stats(tmp_path / "logs")[0]
    assert stats.dropped == 10
    assert stats.reasons["symlink_loop"] == 3
    assert stats.extra["skipped_gitignored"] == 2
    assert stats.extra["skipped_vendored_or_generated"] == 2  # node_modules/ and app.min.js
    assert stats.extra["skipped_symlinked_dir"] == 1


def test_files_are_sharded_across_tasks_without_loss_or_doubling(tmp_path):
    for i in range(7):
        _write(tmp_path / "tree" / f"r{i % 3}" / f"m{i}.py", f"value_{i} = {i}\n")
    reader = SourceTreeReader([str(tmp_path / "tree")])
    shards = [[d.metadata["path"] for d in reader.run(rank=r, world_size=3)] for r in range(3)]
    assert sorted(p for s in shards for p in s) == sorted(f"m{i}.py" for i in range(7))
    assert all(shards), "every task gets a share"


def test_max_files_samples_whole_repositories_in_a_seeded_order(tmp_path):
    for repo, size in zip("abcd", (10, 10, 10, 3), strict=True):
        for i in range(size):
            _write(tmp_path / "tree" / repo / f"f{i}.py", f"x = {i}\n")
    first = [d.id for d in SourceTreeReader([str(tmp_path / "tree")], max_files=25).run()]
    second = [d.id for d in SourceTreeReader([str(tmp_path / "tree")], max_files=25).run()]
    assert first == second
    docs = list(SourceTreeReader([str(tmp_path / "tree")], max_files=25).run())
    per_repo = {}
    for doc in docs:
        per_repo[doc.metadata["repo"]] = per_repo.get(doc.metadata["repo"], 0) + 1
    sizes = {"a": 10, "b": 10, "c": 10, "d": 3}
    assert all(count == sizes[repo] for repo, count in per_repo.items())  # never a part of a repository
    assert 20 <= len(docs) <= 25  # two of the 10-file repos, and the 3-file one when it fits
    assert len(per_repo) >= 2


def test_max_files_below_every_repository_samples_the_first_one(tmp_path):
    for i in range(10):
        _write(tmp_path / "tree" / "big" / f"f{i}.py", f"x = {i}\n")
    reader = SourceTreeReader([str(tmp_path / "tree")], max_files=4)
    docs = list(reader.run())
    assert len(docs) == 4
    assert reader._skipped["over_max_files"] == 6


def test_gitignore_files_at_every_level_with_git_precedence(tmp_path):
    repo = tmp_path / "tree" / "r"
    _write(repo / ".gitignore", "*.gen.py\nbuild/\n")
    _write(repo / "keep.py", "a = 1\n")
    _write(repo / "x.gen.py", "a = 1\n")
    _write(repo / "build" / "out.py", "a = 1\n")
    _write(repo / "pkg" / ".gitignore", "local_*.py\n!x.gen.py\n/only_here.py\n")
    _write(repo / "pkg" / "local_cfg.py", "a = 1\n")
    _write(repo / "pkg" / "x.gen.py", "a = 1\n")  # un-ignored by the deeper file
    _write(repo / "pkg" / "only_here.py", "a = 1\n")  # anchored to pkg/
    _write(repo / "pkg" / "sub" / "only_here.py", "a = 1\n")
    _write(repo / "pkg" / "sub" / "local_x.py", "a = 1\n")  # pkg's pattern applies below pkg too
    _write(repo / "other" / "local_cfg.py", "a = 1\n")  # pkg's .gitignore does not reach here
    paths = sorted(d.metadata["path"] for d in SourceTreeReader([str(tmp_path / "tree")]).run())
    assert paths == ["keep.py", "other/local_cfg.py", "pkg/sub/only_here.py", "pkg/x.gen.py"]


def test_single_repository_layout_names_the_repo_and_records_its_license(tmp_path):
    _write(tmp_path / "proj" / "pkg" / "a.go", "package pkg\n\nfunc A() int { return 1 }\n")
    reader = SourceTreeReader([{"path": str(tmp_path / "proj"), "layout": "repo", "name": "me/proj", "license": "MIT"}])
    (doc,) = list(reader.run())
    assert doc.metadata["repo"] == "me/proj"
    assert doc.metadata["path"] == "pkg/a.go"
    assert doc.metadata["language"] == "Go"
    assert doc.metadata["license"] == "MIT"


def test_wrong_reader_arguments_raise_value_errors_naming_them(tmp_path):
    with pytest.raises(ValueError, match="`layout`"):
        SourceRoot(str(tmp_path), layout="monorepo")
    with pytest.raises(ValueError, match="`max_files`"):
        SourceTreeReader([str(tmp_path)], max_files=0)
    with pytest.raises(FileNotFoundError):
        list(SourceTreeReader([str(tmp_path / "nope")]).run())


def test_the_stack_shaped_parquet_maps_columns_onto_documents(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "content": ["def f():\n    return 1\n", "fn main() {}\n"],
        "max_stars_repo_name": ["a/b", "c/d"],
        "max_stars_repo_path": ["src/f.py", "main.rs"],
        "lang": ["python", "Rust"],
        "max_stars_repo_licenses": [["MIT"], ["GPL-3.0", "Apache-2.0"]],
        "max_stars_count": [12, None],
    })  # fmt: skip
    pq.write_table(table, tmp_path / "data.parquet")
    docs = list(hub_code_reader(str(tmp_path / "data.parquet")).run())
    assert [d.metadata["language"] for d in docs] == ["Python", "Rust"]
    assert docs[0].id == stable_id("a/b", "src/f.py")
    assert docs[0].metadata["license"] == "MIT"
    assert docs[0].metadata["stars"] == 12
    assert docs[1].metadata["license"] == ["GPL-3.0", "Apache-2.0"]
    assert "stars" not in docs[1].metadata


def test_adapter_handles_missing_columns_and_fixed_languages():
    adapter = CodeColumnsAdapter(language="Python")
    row = adapter(None, {"content": "x = 1"}, "file.parquet", 3)
    assert row == {"text": "x = 1", "id": "file.parquet/3", "metadata": {"language": "Python", "size": 5}}
    assert canonical_language("jupyter-scripts-python") == "Jupyter Notebook"
    assert canonical_language(None, "a/b.kt") == "Kotlin"


def test_a_directory_link_to_outside_the_repository_is_followed(tmp_path):
    _write(tmp_path / "shared" / "common.py", "SHARED = True\n")
    _write(tmp_path / "tree" / "app" / "main.py", "import common\n")
    os.symlink(tmp_path / "shared", tmp_path / "tree" / "app" / "vendored_common")
    paths = sorted(d.metadata["path"] for d in SourceTreeReader([str(tmp_path / "tree")]).run())
    assert paths == ["main.py", "vendored_common/common.py"]


def test_empty_rows_of_a_parquet_dataset_are_counted_not_silently_skipped(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"content": ["x = 1\n", "", None], "max_stars_repo_name": ["a/b"] * 3,
                      "max_stars_repo_path": ["a.py", "empty.py", "none.py"], "lang": ["Python"] * 3})  # fmt: skip
    pq.write_table(table, tmp_path / "data.parquet")
    reader = hub_code_reader(str(tmp_path / "data.parquet"))
    docs = list(reader.run())
    assert [d.metadata["path"] for d in docs] == ["a.py"]
    assert reader.stats["skipped_empty"].total == 2
