"""Row-group balancing of local parquet datasets: even bytes per task, every row read once, stable across runs."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from snowcoder_hf.pipeline.hub_readers import CodeColumnsAdapter, hub_code_reader
from snowcoder_hf.pipeline.parquet_shards import BalancedParquetReader, RowGroup, assign_row_groups


def _shard(path, rows: int, start: int, row_group_size: int, text_size: int = 200):
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "content": [f"x_{start + i} = {i}\n" + "#" * text_size for i in range(rows)],
        "max_stars_repo_name": [f"repo/{(start + i) % 7}" for i in range(rows)],
        "max_stars_repo_path": [f"f{start + i}.py" for i in range(rows)],
        "lang": ["Python"] * rows,
    })  # fmt: skip
    pq.write_table(table, path, row_group_size=row_group_size)


def _uneven_corpus(root):
    """One big shard (a kernel's worth of C next to small languages) and three small ones, as the-stack lays out."""
    _shard(root / "data" / "c" / "train-00000-of-00001.parquet", 1200, 0, 100, text_size=2000)
    for n, language in enumerate(("dart", "go", "rust")):
        _shard(root / "data" / language / "train-00000-of-00001.parquet", 60, 10_000 * (n + 1), 30)


def test_row_groups_are_dealt_largest_first_to_the_least_loaded_task():
    groups = [RowGroup("a", i, i * 10, 10, size) for i, size in enumerate([100, 90, 60, 50, 40, 10])]
    tasks = assign_row_groups(groups, 2)
    assert sorted(g.size for task in tasks for g in task) == sorted(g.size for g in groups)
    assert [sum(g.size for g in task) for task in tasks] == [100 + 50 + 40, 90 + 60 + 10]
    assert all(task == sorted(task) for task in tasks), "each task reads its row groups in file order"
    assert assign_row_groups(list(reversed(groups)), 2) == tasks, "the listing order does not matter"
    with pytest.raises(ValueError, match="`world_size`"):
        assign_row_groups(groups, 0)


def test_an_uneven_corpus_splits_evenly_and_every_row_is_read_once(tmp_path):
    _uneven_corpus(tmp_path)
    adapter = CodeColumnsAdapter()
    reader = hub_code_reader(str(tmp_path), adapter=adapter)
    assert isinstance(reader, BalancedParquetReader)
    per_rank = [[(d.id, len(d.text)) for d in reader.run(rank=rank, world_size=2)] for rank in range(2)]
    ids = [doc_id for docs in per_rank for doc_id, _ in docs]
    assert len(ids) == len(set(ids)) == 1200 + 3 * 60
    chars = [sum(n for _, n in docs) for docs in per_rank]
    assert max(chars) / min(chars) < 1.2, chars
    # DataTrove's ParquetReader deals files out by position: the task with the C shard gets nearly everything.
    from datatrove.pipeline.readers import ParquetReader

    stock = ParquetReader(str(tmp_path), glob_pattern="**/*.parquet", adapter=adapter, text_key="content")
    stock_chars = [sum(len(d.text) for d in stock.run(rank=rank, world_size=2)) for rank in range(2)]
    assert max(stock_chars) / min(stock_chars) > 5
    again = [[(d.id, len(d.text)) for d in reader.run(rank=rank, world_size=2)] for rank in range(2)]
    assert again == per_rank, "a re-run task reads the same rows in the same order"


def test_ids_without_repo_and_path_use_the_row_index_in_its_file(tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"content": [f"row {i}" for i in range(9)]}), path, row_group_size=4)
    reader = hub_code_reader(str(path), adapter=CodeColumnsAdapter(columns={}))
    ids = sorted(d.id for rank in range(3) for d in reader.run(rank=rank, world_size=3))
    assert ids == sorted(f"data.parquet/{i}" for i in range(9))


def test_rows_without_text_are_counted_as_drops_not_lost(tmp_path):
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table({"content": ["x = 1\n", "", None, "y = 2\n"],
                             "max_stars_repo_path": ["a.py", "__init__.py", "b.py", "c.py"]}), path)  # fmt: skip
    reader = hub_code_reader(str(path))
    docs = list(reader.run())
    assert [d.text for d in docs] == ["x = 1\n", "y = 2\n"]
    assert reader.stats["dropped_empty_text"].total == 2
    assert reader.stats["documents"].total == 2


def test_a_folder_without_parquet_files_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no shards here")
    with pytest.raises(FileNotFoundError, match="no parquet files"):
        list(hub_code_reader(str(tmp_path)).run())
