"""Spreading a task's output over tasks x tasks files: the next stage's tasks each get a share of every task."""

import pytest
from datatrove.data import Document
from datatrove.pipeline.writers import JsonlWriter

from snowcoder_hf.pipeline.document_files import DocumentFileReader
from snowcoder_hf.pipeline.spread_shards import SpreadShardAssigner


def test_one_tasks_output_is_shared_by_every_reading_task(tmp_path):
    # Task 0 built every document (one repository was all of the corpus); task 1 built none.
    docs = [Document(text=f"<repo_name>linux<file_sep>f{i}.c\nint x{i};\n", id=f"doc{i}") for i in range(400)]
    writer = JsonlWriter(str(tmp_path), output_filename="${rank}_${part_shard}.jsonl.gz")
    list(writer.run(SpreadShardAssigner(2).run(iter(docs), rank=0), rank=0))
    counts = [sum(1 for _ in DocumentFileReader(str(tmp_path)).run(rank=r, world_size=2)) for r in range(2)]
    assert sum(counts) == 400
    assert min(counts) > 150, counts
    again = [d.metadata["part_shard"] for d in SpreadShardAssigner(2).run(iter(docs))]
    assert again == [d.metadata["part_shard"] for d in docs], "the same document always lands in the same part"


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="`num_shards`"):
        SpreadShardAssigner(0)
    with pytest.raises(ValueError, match="`key`"):
        SpreadShardAssigner(2, key="part-shard")
