import gzip
import json

from snowcoder_hf.evalsets.registry import read_records


def test_integers_beyond_64_bits_are_read_exactly(tmp_path):
    record = {"task_id": "HumanEval/79", "plus_input": [[123456789012345678901234567890]], "atol": float("nan")}
    path = tmp_path / "HumanEvalPlus.jsonl.gz"
    with gzip.open(path, "wt") as f:
        f.write(json.dumps(record) + "\n")
    (read,) = read_records(path)
    assert read["plus_input"] == [[123456789012345678901234567890]]
    assert isinstance(read["plus_input"][0][0], int)
