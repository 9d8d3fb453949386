import gzip
import json

from snowcoder_hf.common.executors import build_executor
from snowcoder_hf.common.reporting import load_pipeline_stats
from snowcoder_hf.pipeline.document_files import DocumentFileReader, kept_writer, removed_writer


def _read_jsonl_gz(folder):
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            rows.extend(json.loads(line) for line in f)
    return rows


def test_bad_records_are_counted_and_kept_with_their_reason(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"id": "a", "text": "print(1)"}\n'
        b"{not json\n"
        b'{"id": "b", "text": "   "}\n'
        b'{"id": "c", "metadata": {}}\n'
        b"\xff\xfe\n"
        b'["a list"]\n'
        b'{"text": "x = 2", "metadata": {"repo": "r"}}\n'
    )
    out = tmp_path / "out"
    pipeline = [DocumentFileReader(str(source), exclusion_writer=removed_writer(out, "reader")), kept_writer(out)]
    build_executor(pipeline, {"type": "local", "tasks": 1}, str(tmp_path / "logs")).run()

    kept = _read_jsonl_gz(out / "kept")
    removed = _read_jsonl_gz(out / "removed")
    assert [d["text"] for d in kept] == ["print(1)", "x = 2"]
    assert kept[1]["id"], "a document without an id gets a stable content id"
    assert sorted(r["metadata"]["filter_reason"] for r in removed) == [
        "empty_text", "malformed_json", "malformed_json", "malformed_json", "missing_text"]  # fmt: skip
    reader_stats = load_pipeline_stats(tmp_path / "logs")[0]
    assert reader_stats.dropped == 5
    assert reader_stats.reasons == {"malformed_json": 3, "empty_text": 1, "missing_text": 1}


def test_parquet_input_is_read(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["1", "2"], "text": ["a = 1", "b = 2"]}), tmp_path / "docs.parquet")
    reader = DocumentFileReader(str(tmp_path / "docs.parquet"))
    assert [d.text for d in reader.run()] == ["a = 1", "b = 2"]
