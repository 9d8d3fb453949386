import gzip
import json
import random
import sysconfig
from pathlib import Path

import pytest

from snowcoder_hf.cli.main import main
from snowcoder_hf.decont.leak_corpus import plant, rename_and_reformat
from snowcoder_hf.decont.sources import full_solution
from snowcoder_hf.evalsets.registry import load_benchmark


def _read(folder: Path, pattern: str = "*.jsonl.gz") -> list[dict]:
    rows = []
    for path in sorted(folder.glob(pattern)):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            rows += [json.loads(line) for line in f]
    return rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared_benchmarks):
    items = {i.task_id: i for i in load_benchmark("humaneval_plus", shared_benchmarks)}
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    hosts = [(stdlib / name).read_text() for name in ("textwrap.py", "shlex.py", "fnmatch.py", "colorsys.py")]
    records = [
        {"id": "verbatim", "text": plant(hosts[0], full_solution(items["HumanEval/10"]), random.Random(0)),
         "metadata": {"path": "a.py", "language": "Python"}},
        {"id": "renamed", "text": plant(hosts[1], rename_and_reformat(full_solution(items["HumanEval/1"]),
                                                                      random.Random(0)), random.Random(1))},
        {"id": "clean-1", "text": hosts[2], "metadata": {"language": "Python"}},
        {"id": "clean-2", "text": hosts[3]},
        {"id": "c-file", "text": "int main(void) { return 0; }\n", "metadata": {"language": "C"}},
    ]  # fmt: skip
    folder = tmp_path_factory.mktemp("decont_cli")
    path = folder / "docs.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
        f.write("{this is not json\n")
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("decont_cli_cache"))


def _run(corpus, out, shared_benchmarks, cache, *extra) -> int:
    return main(["decontaminate", "--input", str(corpus), "--output", str(out), "--benchmarks", "humaneval_plus",
                 "--benchmark-dir", str(shared_benchmarks), "--reference", "none", "--cache-dir", cache, *extra])  # fmt: skip


def test_filter_mode_splits_kept_and_removed_and_prints_the_match_table(corpus, tmp_path, shared_benchmarks, cache,
                                                                         capsys):  # fmt: skip
    assert _run(corpus, tmp_path, shared_benchmarks, cache) == 0
    kept = {row["id"] for row in _read(tmp_path / "kept")}
    removed = _read(tmp_path / "removed", "decontaminate_*.jsonl.gz")
    assert kept == {"clean-1", "clean-2", "c-file"}
    assert {row["id"] for row in removed} == {"verbatim", "renamed"}
    by_id = {row["id"]: row["metadata"] for row in removed}
    assert by_id["verbatim"]["filter_reason"] == "contaminated"
    assert by_id["verbatim"]["path"] == "a.py"  # metadata is carried through
    assert {m["kind"] for m in by_id["renamed"]["contamination"] if m["task_id"] == "HumanEval/1"} == {"renamed"}
    assert [row["metadata"]["filter_reason"] for row in _read(tmp_path / "removed", "reader_*.jsonl.gz")] == [
        "malformed_json"
    ]
    table = json.loads((tmp_path / "matches.json").read_text())
    assert table["humaneval_plus|verbatim"] >= 1
    assert table["humaneval_plus|renamed"] >= 1
    printed = capsys.readouterr().out
    assert "Matches per benchmark and kind" in printed
    assert "humaneval_plus" in printed


def test_annotate_mode_keeps_everything_and_marks_the_leaks(corpus, tmp_path, shared_benchmarks, cache):
    assert _run(corpus, tmp_path, shared_benchmarks, cache, "--mode", "annotate") == 0
    kept = {row["id"]: row.get("metadata", {}) for row in _read(tmp_path / "kept")}
    assert set(kept) == {"verbatim", "renamed", "clean-1", "clean-2", "c-file"}
    assert kept["verbatim"]["contamination"]
    assert "contamination" not in kept["clean-1"]


@pytest.mark.slow  # encodes every HumanEval+ problem with the real MiniLM: about a minute on one core
def test_audit_mode_reports_nearest_problems_side_by_side_and_prunes(corpus, tmp_path, shared_benchmarks, cache):
    assert _run(corpus, tmp_path, shared_benchmarks, cache, "--mode", "audit", "--prune-at", "0.9") == 0
    report = (tmp_path / "audit.md").read_text()
    for threshold in ("0.95", "0.90", "0.85", "0.80"):
        assert f"| {threshold} |" in report
    assert "<table>" in report
    assert "HumanEval/1" in report
    matches = (tmp_path / "matches.md").read_text()  # the match records, readable
    assert "`verbatim`" in matches
    assert "`HumanEval/10`" in matches
    assert "| exact |" in matches
    rows = {row["id"]: row for row in _read(tmp_path, "audit.jsonl.gz")}
    assert rows["renamed"]["best_ast_match"] >= 0.95  # renaming does not change the syntax tree
    assert rows["c-file"]["best_ast_match"] == 0.0
    removed = {row["id"] for row in _read(tmp_path / "removed")}
    assert "renamed" in removed
    assert "clean-2" not in removed


def test_unknown_benchmark_is_a_one_line_error(corpus, tmp_path, capsys):
    code = main(["decontaminate", "--input", str(corpus), "--output", str(tmp_path), "--benchmarks", "humaneval,nope"])
    assert code == 2
    assert "Unknown benchmark 'nope'" in capsys.readouterr().err


def test_missing_input_is_a_one_line_error(tmp_path, capsys):
    code = main(["decontaminate", "--input", str(tmp_path / "absent"), "--output", str(tmp_path / "out")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
