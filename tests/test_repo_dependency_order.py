"""Dependency-ordered repository documents: each file after the files it imports, per language, cycles broken
deterministically, unrelated files in seeded random order."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from snowcoder_hf.pipeline.repo_docs import RepoDocuments
from snowcoder_hf.repos.imports import file_links
from snowcoder_hf.repos.order import dependency_edges, dependency_order


def _order(files: dict[str, str], language: str, seed: str = "s") -> list[str]:
    paths = sorted(files)
    links = [file_links(p, language, files[p]) for p in paths]
    return [paths[i] for i in dependency_order(dependency_edges(links), seed)]


def _before(order: list[str], first: str, then: str) -> bool:
    return order.index(first) < order.index(then)


def test_python_absolute_relative_and_from_imports():
    files = {
        "src/pkg/__init__.py": "from .core import run\n",
        "src/pkg/core.py": "from pkg import util\nimport pkg.models as m\n",
        "src/pkg/util.py": "import os\n",
        "src/pkg/models.py": "from .util import helper\n",
        "tests/test_core.py": "from pkg.core import run\n",
    }
    order = _order(files, "Python")
    assert _before(order, "src/pkg/util.py", "src/pkg/core.py")
    assert _before(order, "src/pkg/models.py", "src/pkg/core.py")
    assert _before(order, "src/pkg/util.py", "src/pkg/models.py")
    assert _before(order, "src/pkg/core.py", "src/pkg/__init__.py")
    assert _before(order, "src/pkg/core.py", "tests/test_core.py")


@pytest.mark.parametrize(
    ("language", "files", "first", "then"),
    [
        ("Java", {"src/a/App.java": "package a;\nimport a.util.Strings;\nclass App {}\n",
                  "src/a/util/Strings.java": "package a.util;\npublic class Strings {}\n"},
         "src/a/util/Strings.java", "src/a/App.java"),
        ("Kotlin", {"m/Main.kt": "package m\nimport m.lib.*\n", "m/lib/Lib.kt": "package m.lib\nfun f() = 1\n"},
         "m/lib/Lib.kt", "m/Main.kt"),
        ("C", {"src/main.c": '#include <stdio.h>\n#include "util/list.h"\n', "include/util/list.h": "struct l;\n"},
         "include/util/list.h", "src/main.c"),
        ("Go", {"cmd/tool/main.go": 'package main\nimport (\n\t"fmt"\n\t"example.com/x/internal/db"\n)\n',
                "internal/db/db.go": "package db\n"},
         "internal/db/db.go", "cmd/tool/main.go"),
        ("TypeScript", {"src/app.ts": "import { f } from './lib/f';\nconst g = require('../conf');\n",
                        "src/lib/f.ts": "export const f = 1;\n", "conf/index.js": "module.exports = {};\n"},
         "src/lib/f.ts", "src/app.ts"),
    ],
    ids=["java", "kotlin-wildcard", "c-include", "go", "ts-relative"],
)  # fmt: skip
def test_each_language_puts_the_imported_file_first(language, files, first, then):
    for seed in ("a", "b", "c", "d"):
        assert _before(_order(files, language, seed), first, then)


def test_cycles_are_broken_the_same_way_every_time_and_nothing_is_lost():
    files = {"a.py": "import b\n", "b.py": "import c\n", "c.py": "import a\n", "d.py": "import c\n"}
    first = _order(files, "Python", "x")
    assert sorted(first) == sorted(files)
    assert first == _order(files, "Python", "x")
    assert _before(first, "c.py", "d.py")


def test_unrelated_files_keep_a_seeded_random_order():
    files = {f"m{i}.py": "x = 1\n" for i in range(20)}
    assert _order(files, "Python", "1") == _order(files, "Python", "1")
    assert _order(files, "Python", "1") != _order(files, "Python", "2")


def test_repo_documents_in_dependency_order():
    docs = [Document(text=text, id=path, metadata={"repo": "o/r", "path": path, "language": "Python"})
            for path, text in {"app.py": "from lib import f\n", "lib.py": "def f():\n    return 1\n"}.items()]  # fmt: skip
    for seed in range(6):
        (doc,) = RepoDocuments(file_order="dependency", seed=seed).run(iter(docs))
        assert doc.text.index("<file_sep>lib.py") < doc.text.index("<file_sep>app.py")
    with pytest.raises(ValueError, match="`file_order`"):
        RepoDocuments(file_order="alphabetical")


def test_binary_empty_and_huge_texts_do_not_break_the_import_scan():
    assert file_links("a.py", "Python", "").requires == set()
    assert file_links("b.c", "C", "\x00\x01#include").requires == set()
    huge = "import os\n" + "x = 1\n" * 200_000 + "from pkg import mod\n"
    assert (frozenset({"py:pkg.mod"}), "py:pkg") in file_links("c.py", "Python", huge).either
    assert file_links("d.rb", "Ruby", "require 'x'").provides == set()


def test_the_dependency_order_ablation_changes_only_the_file_order():
    from pathlib import Path

    from snowcoder_hf.stages.stage1_config import load_config

    configs = Path(__file__).resolve().parents[1] / "recipes" / "configs"
    base = load_config(configs / "paper" / "stage1_data.yaml")
    ablation = load_config(configs / "ablations" / "data" / "stage1_dependency_order.yaml")
    assert ablation.repo_documents.file_order == "dependency"
    assert base.repo_documents.file_order == "random"
    ablation.repo_documents.file_order, ablation.output_dir = "random", base.output_dir
    assert ablation == base
