import ast
import gzip
import json
import pickle
import re
import sysconfig
from pathlib import Path

import pytest
from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter

from snowcoder_hf.pipeline import SyntaxValidityFilter
from snowcoder_hf.pipeline import syntax as syntax_module
from snowcoder_hf.pipeline.syntax import GRAMMARS, grammar_installed

# Small but real-shaped files, one per language with a grammar wheel.
VALID = {
    "Python": 'import os\n\n\nclass Cache:\n    """A tiny cache."""\n\n    def __init__(self, size: int = 8):\n'
              "        self.items: dict[str, bytes] = {}\n        self.size = size\n\n"
              "    def get(self, key):\n        return self.items.get(key) if key else None\n",
    "Java": "package org.example;\n\nimport java.util.List;\n\npublic final class Sum {\n"
            "    public static int sum(List<Integer> xs) {\n        int total = 0;\n"
            "        for (int x : xs) { total += x; }\n        return total;\n    }\n}\n",
    "C": "#include <stdio.h>\n\nstatic int square(int x) { return x * x; }\n\n"
         "int main(int argc, char **argv) {\n    printf(\"%d\\n\", square(argc));\n    return 0;\n}\n",
    "C++": "#include <vector>\n#include <string>\n\nnamespace demo {\ntemplate <typename T>\n"
           "T total(const std::vector<T>& xs) {\n    T sum{};\n    for (const auto& x : xs) sum += x;\n"
           "    return sum;\n}\n}  // namespace demo\n",
    "JavaScript": "import fs from 'node:fs';\n\nexport async function readJson(path) {\n"
                  "  const text = await fs.promises.readFile(path, 'utf8');\n  return JSON.parse(text);\n}\n",
    "TypeScript": "export interface Point { x: number; y: number }\n\n"
                  "export function norm(p: Point): number {\n  return Math.hypot(p.x, p.y);\n}\n",
    "Go": "package geometry\n\nimport \"math\"\n\ntype Point struct{ X, Y float64 }\n\n"
          "func (p Point) Norm() float64 {\n\treturn math.Hypot(p.X, p.Y)\n}\n",
    "Rust": "use std::collections::HashMap;\n\npub fn counts(words: &[&str]) -> HashMap<String, usize> {\n"
            "    let mut out = HashMap::new();\n    for w in words {\n        *out.entry(w.to_string()).or_insert(0) += 1;\n"
            "    }\n    out\n}\n",
    "C#": "using System;\n\nnamespace Demo {\n    public static class Maths {\n"
          "        public static int Square(int x) => x * x;\n    }\n}\n",
    "Ruby": "module Demo\n  class Stack\n    def initialize\n      @items = []\n    end\n\n"
            "    def push(item)\n      @items << item\n      self\n    end\n  end\nend\n",
    "PHP": "<?php\n\nnamespace Demo;\n\nfunction greet(string $name): string {\n    return \"Hello, {$name}!\";\n}\n",
    "Shell": "#!/bin/sh\nset -eu\nfor f in \"$@\"; do\n  if [ -f \"$f\" ]; then\n    wc -l \"$f\"\n  fi\ndone\n",
    "Scala": "object Stats {\n  def mean(xs: Seq[Double]): Double =\n    if (xs.isEmpty) 0.0 else xs.sum / xs.size\n}\n",
    "Kotlin": "package demo\n\ndata class Point(val x: Double, val y: Double)\n\n"
              "fun Point.norm(): Double = kotlin.math.hypot(x, y)\n",
    "Swift": "import Foundation\n\nstruct Point {\n    var x: Double\n    var y: Double\n"
             "    func norm() -> Double { return (x * x + y * y).squareRoot() }\n}\n",
    "Dart": "class Point {\n  final double x, y;\n  const Point(this.x, this.y);\n"
            "  double dot(Point o) => x * o.x + y * o.y;\n}\n\nvoid main() {\n  print(const Point(1, 2).dot(const Point(3, 4)));\n}\n",
    "SQL": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\n"
           "SELECT u.name, COUNT(*) AS n FROM users u GROUP BY u.name ORDER BY n DESC;\n",
}  # fmt: skip


def _doc(text: str, language: str | None, path: str = "", doc_id: str = "d") -> Document:
    return Document(text=text, id=doc_id, metadata={"language": language, "path": path})


def _broken(code: str) -> str:
    """The same file after a bad merge: half of it duplicated out of place with unbalanced brackets."""
    lines = code.splitlines()
    return "\n".join(lines[: len(lines) // 2] + ["<<<<<<< HEAD", ")))) ]] {{ =====", *lines[2:], ">>>>>>> x", "}"])


@pytest.mark.parametrize("language", sorted(VALID))
def test_valid_files_pass_and_broken_ones_are_dropped_per_language(language):
    if not grammar_installed(language):
        pytest.skip(f"no grammar wheel for {language}")
    step = SyntaxValidityFilter(max_error_fraction=0.05, per_language={}, languages=[language])
    good = _doc(VALID[language], language)
    assert step.filter(good) is True
    assert good.metadata["syntax_error_fraction"] == 0.0
    bad = _doc(_broken(VALID[language]), language)
    assert step.filter(bad) == (False, "syntax_error")
    assert bad.metadata["syntax_error_fraction"] > 0.05
    assert step.stats[f"syntax_error_{language}"].total == 1


def test_every_paper_language_with_code_has_a_grammar_mapping():
    from snowcoder_hf.common.languages import PAPER_LANGUAGES

    assert set(PAPER_LANGUAGES) <= set(GRAMMARS)


def test_defaults_loosen_c_and_cpp_and_leave_sql_unchecked():
    lines = [f"int f{i}(int x) {{ return x + {i}; }}" for i in range(20)]
    for k in (10,):  # one line of a bad merge in a file of twenty
        lines[k] = f"int g{k}(int x) {{ return x + + ; }} }} }} ) ( ] [ {k}"
    c_file = _doc("\n".join(lines) + "\n", "C")
    assert SyntaxValidityFilter().filter(c_file) is True  # C's default limit is 0.25
    assert 0.05 < c_file.metadata["syntax_error_fraction"] < 0.25
    assert SyntaxValidityFilter(per_language={}).filter(c_file) == (False, "syntax_error")
    sql = _doc('\\echo Use "CREATE EXTENSION x" to load this file. \\quit\nSELECT 1;\n', "SQL")
    default = SyntaxValidityFilter()
    assert default.filter(sql) is True
    assert default.stats["syntax_unchecked_SQL"].total == 1
    assert SyntaxValidityFilter(languages=["SQL"]).filter(sql) == (False, "syntax_error")


def test_a_missing_token_counts_its_line_not_the_whole_file():
    lines = [f"int f{i}(int x) {{ return x + {i}; }}" for i in range(200)]
    lines[100] = "int f100(int x) { return x + 100 }"  # one missing semicolon in a long file
    doc = _doc("\n".join(lines) + "\n", "C")
    assert SyntaxValidityFilter(max_error_fraction=0.05).filter(doc) is True
    assert doc.metadata["syntax_error_fraction"] == pytest.approx(len(lines[100]) / len(doc.text), rel=0.05)


def test_real_standard_library_files_that_python_accepts_are_kept():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    step = SyntaxValidityFilter(max_error_fraction=0.05)
    checked = 0
    for path in sorted(stdlib.glob("*.py"))[:40]:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        assert step.filter(_doc(text, "Python", path.name)) is True, path.name
        checked += 1
    assert checked >= 20


def test_tsx_files_use_the_jsx_aware_grammar():
    component = 'export const Hello = ({ name }: { name: string }) => <div className="x">Hi {name}</div>;\n'
    step = SyntaxValidityFilter(max_error_fraction=0.0)
    assert step.filter(_doc(component, "TypeScript", "src/Hello.tsx")) is True
    assert step.filter(_doc(component, "TypeScript", "src/hello.ts")) == (False, "syntax_error")


def test_notebooks_are_parsed_as_python_after_conversion_with_magics_commented():
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# Title"]},
                          {"cell_type": "code", "source": ["%matplotlib inline\n", "!pip install x\n", "import os\n"]},
                          {"cell_type": "code", "source": "print(os.getcwd())\n"}],
                "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4}  # fmt: skip
    step = SyntaxValidityFilter(max_error_fraction=0.0)
    doc = _doc(json.dumps(notebook), "Jupyter Notebook")
    assert step.filter(doc) is True
    assert doc.metadata["syntax_error_fraction"] == 0.0
    assert json.loads(doc.text) == notebook  # the document itself is not rewritten
    broken = _doc('{"cells": [{"cell_type": "code", "source": "def f(:\\n"}], "nbformat": 4}', "Jupyter Notebook")
    assert step.filter(broken) == (False, "syntax_error")
    assert step.filter(_doc('{"cells": "not a list"', "Jupyter Notebook")) == (False, "syntax_error")


def test_languages_without_a_grammar_pass_unchecked_and_are_counted():
    step = SyntaxValidityFilter(languages=["Python"])
    docs = [_doc("(((", "Haskell"), _doc("{{{", None), _doc("<<<", "Java"), _doc("def f(:", "Python")]
    assert [step.filter(d) for d in docs] == [True, True, True, (False, "syntax_error")]
    assert step.stats["syntax_unchecked"].total == 3
    assert step.stats["syntax_unchecked_Haskell"].total == 1
    assert docs[0].metadata["syntax_error_fraction"] is None


def test_bad_inputs_are_bounded_counted_and_never_crash(tmp_path):
    step = SyntaxValidityFilter(max_error_fraction=0.05, max_bytes=200_000)
    binary = bytes(range(256)).decode("latin-1") * 40  # a binary blob read as text
    not_utf8 = "x = '\udcff\udcfe'\nprint(x)\n"  # bytes that were not UTF-8, kept as surrogate escapes
    huge = VALID["Python"] * 5_000
    docs = [_doc(binary, "C", doc_id="bin"), _doc(not_utf8, "Python", doc_id="enc"), _doc("", "Go", doc_id="empty"),
            _doc(huge, "Python", doc_id="huge"), _doc("\x00\x00\x00", "Rust", doc_id="nul")]  # fmt: skip
    results = {d.id: step.filter(d) for d in docs}
    assert results["bin"] == (False, "syntax_error")
    assert results["enc"] is True
    assert results["empty"] is True
    assert docs[2].metadata["syntax_error_fraction"] == 0.0
    assert results["huge"] is True
    assert docs[3].metadata["syntax_error_fraction"] is None
    assert step.stats["syntax_too_large_to_check"].total == 1
    assert results["nul"] == (False, "syntax_error")


def test_a_parse_past_its_time_budget_is_cancelled_and_the_next_file_parses_fresh():
    step = SyntaxValidityFilter(timeout_s=1e-6, max_bytes=10_000_000)
    slow = _doc(VALID["C++"] * 20_000, "C++", doc_id="slow")
    assert step.filter(slow) is True
    assert slow.metadata["syntax_error_fraction"] is None
    assert step.stats["syntax_timeout"].total == 1
    step.timeout_s = 5.0
    small = _doc(VALID["C++"], "C++", doc_id="small")
    assert step.filter(small) is True
    assert small.metadata["syntax_error_fraction"] == 0.0  # not the remains of the cancelled parse


def test_annotate_only_records_without_dropping():
    step = SyntaxValidityFilter(annotate_only=True)
    doc = _doc(_broken(VALID["Go"]), "Go")
    assert step.filter(doc) is True
    assert doc.metadata["syntax_error_fraction"] > 0


def test_dropped_files_go_to_the_exclusion_writer_with_their_reason(tmp_path):
    step = SyntaxValidityFilter(exclusion_writer=JsonlWriter(str(tmp_path / "removed")))
    docs = [_doc(VALID["Rust"], "Rust", doc_id="ok"), _doc(_broken(VALID["Rust"]), "Rust", doc_id="bad")]
    assert [d.id for d in step.run(iter(docs))] == ["ok"]
    removed = []
    for path in (tmp_path / "removed").glob("*.jsonl.gz"):
        with gzip.open(path, "rt") as f:
            removed += [json.loads(line) for line in f]
    assert [(r["id"], r["metadata"]["filter_reason"]) for r in removed] == [("bad", "syntax_error")]
    assert step.stats["dropped_syntax_error"].total == 1


def test_the_block_pickles_after_use_for_slurm_and_ray_workers():
    step = SyntaxValidityFilter()
    step.filter(_doc(VALID["Python"], "Python"))
    clone = pickle.loads(pickle.dumps(step))
    assert clone.filter(_doc("def f(:\n", "Python")) == (False, "syntax_error")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"max_error_fraction": 1.5}, "max_error_fraction"), ({"max_bytes": 0}, "max_bytes"),
     ({"timeout_s": 0}, "timeout_s"), ({"languages": ["Pyhton"]}, "no tree-sitter grammar"),
     ({"per_language": {"C": 2}}, "max_error_fraction"), ({"per_language": {"Cobol": 0.1}}, "per_language")],
)  # fmt: skip
def test_bad_arguments_are_rejected_with_the_parameter_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SyntaxValidityFilter(**kwargs)


def test_a_listed_language_whose_wheel_is_missing_names_the_pip_install_line(monkeypatch):
    real = syntax_module.importlib.util.find_spec
    monkeypatch.setattr(syntax_module.importlib.util, "find_spec",
                        lambda name: None if name == "tree_sitter_kotlin" else real(name))  # fmt: skip
    with pytest.raises(ValueError, match=re.escape("pip install tree-sitter-kotlin")):
        SyntaxValidityFilter(languages=["Kotlin", "Python"])
    step = SyntaxValidityFilter()  # with no list, a missing wheel means that language passes unchecked
    assert step.filter(_doc("fun f( = ", "Kotlin")) is True
    assert step.stats["syntax_unchecked_Kotlin"].total == 1


def test_documented_syntax_snippet_runs(tmp_path):
    doc = Path(__file__).resolve().parents[1] / "docs" / "licences_and_syntax.md"
    text = doc.read_text()
    code = re.search(r"```python\n(.*?)```", text[text.index("## Syntax validity") :], re.DOTALL).group(1)
    exec(compile(code, str(doc), "exec"), {})
