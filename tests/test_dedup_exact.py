import gzip
import json

import pytest

from snowcoder_hf.cli.main import main
from snowcoder_hf.dedup.keep_rule import is_permissive, keep_key, popularity
from snowcoder_hf.pipeline.exact_dedup import content_hash

BODY = "def area(width, height):\n    return width * height\n\n\nprint(area(2, 3))\n"


def _rows(folder):
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            rows.extend(json.loads(line) for line in f)
    return rows


def test_normalization_ignores_line_endings_trailing_space_and_blank_lines_but_not_indentation():
    assert content_hash(BODY) == content_hash("\ufeff" + BODY.replace("\n", "\r\n").replace("height\n", "height  \n"))
    assert content_hash(BODY) == content_hash(BODY.replace("\n\n\n", "\n"))
    assert content_hash(BODY) != content_hash(BODY.replace("    return", "  return"))


def test_keep_rule_prefers_permissive_license_then_popularity_then_id():
    assert is_permissive("MIT")
    assert is_permissive(["GPL-3.0", "apache-2.0"])
    assert is_permissive("GPL-2.0 OR BSD-3-Clause")
    assert not is_permissive("GPL-3.0")
    assert not is_permissive(None)
    assert popularity({"max_stars_count": "12", "forks": 40, "stars": "n/a"}) == 40
    ranked = sorted(
        [("z", {"license": "MIT"}), ("b", {"stars": 5}), ("a", {}), ("c", {"license": "GPL-3.0", "stars": 9})],
        key=lambda item: keep_key(*item),
    )
    assert [doc_id for doc_id, _ in ranked] == ["z", "c", "b", "a"]


def test_dedup_command_drops_exact_copies_keeping_the_permissive_one(tmp_path, capsys):
    rows = [
        {"id": "original", "text": BODY, "metadata": {"license": "GPL-3.0"}},
        {"id": "crlf-copy", "text": BODY.replace("\n", "\r\n"), "metadata": {"license": "MIT"}},
        {"id": "other", "text": BODY.replace("area", "volume")},
        {"id": "third-copy", "text": BODY + "\n\n"},
    ]
    source = tmp_path / "in.jsonl.gz"
    with gzip.open(source, "wt") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
        f.write("{not json\n")
    out = tmp_path / "out"
    assert main(["dedup", "--input", str(source), "--output", str(out), "--exact-only"]) == 0

    assert sorted(row["id"] for row in _rows(out / "kept")) == ["crlf-copy", "other"]
    removed = {row["id"]: row["metadata"] for row in _rows(out / "removed")}
    assert removed["original"]["duplicate_of"] == "crlf-copy"
    assert removed["third-copy"]["duplicate_of"] == "crlf-copy"
    assert removed["original"]["filter_reason"] == "exact_duplicate"
    assert [m["filter_reason"] for m in removed.values() if "duplicate_of" not in m] == ["malformed_json"]
    summary = capsys.readouterr().out
    assert "exact_duplicate=2" in summary
    assert "malformed_json=1" in summary


def test_dedup_command_rejects_bad_arguments_with_a_clear_error(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"text": "x = 1"}\n')
    assert main(["dedup", "--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "o"),
                 "--threshold", "1.5"]) == 2  # fmt: skip
    assert "`--threshold`" in capsys.readouterr().err
    assert main(["dedup", "--input", str(tmp_path / "missing"), "--output", str(tmp_path / "o")]) == 2
    with pytest.raises(SystemExit):
        main(["dedup", "--output", str(tmp_path / "o")])
