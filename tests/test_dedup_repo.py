"""Repository-level dedup: merged sketches are exact, and a duplicate repository loses all its files while a
repository sharing one file keeps them (file level removes just the duplicate files)."""

import gzip
import json
import random
import re

import numpy as np
import pytest

from snowcoder_hf.cli.main import main
from snowcoder_hf.dedup import compiled_sketch
from snowcoder_hf.dedup.minhash import CodeMinhashConfig, MinHasher
from snowcoder_hf.dedup.repo_sketch import empty_raw, merge_raw, repo_content_hash, repository_of
from snowcoder_hf.stages.stage1_config import load_config


def _rows(folder):
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            rows.extend(json.loads(line) for line in f)
    return rows


def _texts(count: int, seed: int = 0, tokens: int = 400) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(f"w{seed}_{t}_{rng.randrange(10**6)}" for _ in range(tokens)) for t in range(count)]


def _union_signature(hasher: MinHasher, texts: list[str]) -> np.ndarray:
    """The one-permutation signature of the union of the texts' shingle sets, sketched in one go."""
    shingles = np.concatenate([hasher._shingle_hashes(t) for t in texts])
    return hasher._sketch.signature(shingles)


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "numpy"])
def test_merged_raw_rows_give_the_signature_of_the_union(compiled):
    if compiled and not compiled_sketch.available():
        pytest.skip("numba is not installed")
    hasher = MinHasher(CodeMinhashConfig(compiled=compiled))
    for tokens in (8, 60, 2000):  # short texts leave most bins empty: densification matters there
        texts = _texts(3, seed=tokens, tokens=tokens)
        merged = empty_raw(256)
        for text in texts:
            merge_raw(merged, hasher.raw(text))
        assert np.array_equal(hasher.densify(merged), _union_signature(hasher, texts)), tokens
        assert np.array_equal(hasher.densify(hasher.raw(texts[0])), hasher.signature(texts[0]))


def test_min_of_densified_signatures_is_not_the_union_but_classic_minhash_merges_either_way():
    hasher = MinHasher(CodeMinhashConfig())
    texts = _texts(2, seed=3, tokens=12)  # 8 shingles each in 256 bins: almost every bin is filled by borrowing
    wrong = np.minimum(hasher.signature(texts[0]), hasher.signature(texts[1]))
    assert not np.array_equal(wrong, _union_signature(hasher, texts))
    classic = MinHasher(CodeMinhashConfig(scheme="permutations"))
    merged = merge_raw(classic.raw(texts[0]), classic.raw(texts[1]))
    assert np.array_equal(classic.densify(merged), np.minimum(classic.signature(texts[0]), classic.signature(texts[1])))
    assert hasher.raw("!!! ...") is None
    assert hasher.densify(empty_raw(256)) is None


def test_repository_keys_and_exact_hash():
    assert repository_of({"repo": "a/b", "repo_name": "c/d"}, "x") == ("a/b", True)
    assert repository_of({"max_stars_repo_name": "o/r"}, "x") == ("o/r", True)
    assert repository_of({"repo": " "}, "doc7") == ("file:doc7", False)
    hashes = np.array([5, 1, 9], dtype=np.uint64)
    assert repo_content_hash(hashes) == repo_content_hash(hashes[::-1])
    assert repo_content_hash(hashes) != repo_content_hash(hashes[:2])


def _edit(text: str, rate: float, seed: int) -> str:
    rng = random.Random(seed)
    return re.sub(r"\w+", lambda m: f"edit{rng.randrange(10**6)}" if rng.random() < rate else m.group(), text)


def _corpus(tmp_path, stdlib_dir):
    """acme/tool (4 files, most stars), fork/tool (a copy, one file lightly edited), mirror/tool (an exact
    copy with CRLF line ends), other/lib (3 files of its own plus one of acme/tool's), two files with no
    repository. Two input files, so that every copied repository is split over both tasks."""
    sources = sorted(p for p in stdlib_dir.glob("*.py") if 3_000 < p.stat().st_size < 15_000)
    texts = [p.read_text(encoding="utf-8") for p in sources[:9]]
    tool = {f"tool/m{i}.py": texts[i] for i in range(4)}
    docs = [{"id": f"acme-{p}", "text": t, "metadata": {"repo": "acme/tool", "path": p, "stars": 10}}
            for p, t in tool.items()]  # fmt: skip
    for i, (p, t) in enumerate(tool.items()):
        docs.append({"id": f"fork-{p}", "text": _edit(t, 0.02, i) if i == 2 else t,
                     "metadata": {"repo": "fork/tool", "path": p}})  # fmt: skip
        docs.append({"id": f"mirror-{p}", "text": t.replace("\n", "\r\n"), "metadata": {"repo": "mirror/tool",
                                                                                     "path": p}})  # fmt: skip
    lib = {f"lib/n{i}.py": texts[4 + i] for i in range(3)} | {"lib/vendored.py": texts[0]}
    docs += [{"id": f"other-{p}", "text": t, "metadata": {"repo": "other/lib", "path": p}} for p, t in lib.items()]
    docs += [{"id": "loose-1", "text": texts[7], "metadata": {}}, {"id": "loose-2", "text": texts[8], "metadata": {}}]
    folder = tmp_path / "in"
    folder.mkdir()
    for part in (0, 1):
        (folder / f"part{part}.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs[part::2]))
    return folder, docs


def _run(tmp_path, source, level, *extra):
    out = tmp_path / level
    assert main(["dedup", "--input", str(source), "--output", str(out), "--tasks", "2", "--level", level, *extra]) == 0
    removed = {row["id"]: row["metadata"] for row in _rows(out / "removed")}
    return removed, {row["id"] for row in _rows(out / "kept")}


def test_repo_level_removes_the_copied_repositories_and_keeps_the_one_sharing_a_file(tmp_path, stdlib_dir):
    source, docs = _corpus(tmp_path, stdlib_dir)
    removed, kept = _run(tmp_path, source, "repo")
    assert len(removed) + len(kept) == len(docs), "every file is kept or recorded as removed"
    fork = {d["id"] for d in docs if d["metadata"].get("repo") == "fork/tool"}
    mirror = {d["id"] for d in docs if d["metadata"].get("repo") == "mirror/tool"}
    assert set(removed) == fork | mirror
    for doc_id in fork:
        assert removed[doc_id]["filter_reason"] == "near_duplicate_repo"
        assert removed[doc_id]["duplicate_of"] == "acme/tool"
    for doc_id in mirror:
        assert (removed[doc_id]["filter_reason"], removed[doc_id]["duplicate_of"]) == ("exact_duplicate_repo",
                                                                                      "acme/tool")  # fmt: skip
    assert "other-lib/vendored.py" in kept, "a repository sharing one file is not a duplicate repository"
    assert {"loose-1", "loose-2"} <= kept


def test_file_level_removes_only_the_duplicate_files(tmp_path, stdlib_dir):
    source, docs = _corpus(tmp_path, stdlib_dir)
    removed, kept = _run(tmp_path, source, "file")
    assert len(removed) + len(kept) == len(docs)
    expected = {d["id"] for d in docs if d["metadata"].get("repo") in ("fork/tool", "mirror/tool")}
    assert set(removed) == expected | {"other-lib/vendored.py"}
    assert removed["fork-tool/m2.py"]["filter_reason"] == "near_duplicate"
    assert removed["other-lib/vendored.py"]["filter_reason"] == "exact_duplicate"
    assert {d["id"] for d in docs if d["metadata"].get("repo") == "other/lib"} - {"other-lib/vendored.py"} <= kept


def test_repo_level_exact_only_and_large_matrices_on_disk(tmp_path, stdlib_dir, monkeypatch):
    from snowcoder_hf.pipeline.repo_dedup import RepoDedupCluster

    source, docs = _corpus(tmp_path, stdlib_dir)
    removed, _ = _run(tmp_path, source, "repo", "--exact-only")
    assert {m["filter_reason"] for m in removed.values()} == {"exact_duplicate_repo"}
    assert {d["id"] for d in docs if d["metadata"].get("repo") == "mirror/tool"} == set(removed)
    monkeypatch.setattr(RepoDedupCluster, "memmap_bytes", 0)  # the memory-mapped path gives the same answer
    on_disk, _ = _run(tmp_path / "disk", source, "repo")
    assert (tmp_path / "disk" / "repo" / "work" / "repo_dedup" / "repo_raw.npy").exists()
    assert len(on_disk) == 8


def test_stage1_config_level_is_checked(tmp_path):
    assert load_config().dedup.level == "file"
    from snowcoder_hf.stages.stage1_data import build_stages

    config = load_config(overrides={"dedup.level": "repository", "output_dir": str(tmp_path)})
    with pytest.raises(ValueError, match="`dedup.level` must be file or repo"):
        build_stages(config)


def test_stage1_with_repo_level_builds_the_repository_stages(tmp_path):
    from snowcoder_hf.stages.stage1_data import build_stages

    stages = build_stages(load_config(overrides={"dedup.level": "repo", "output_dir": str(tmp_path)}))
    assert [s.name for s in stages] == ["repo_signatures", "repo_clusters", "repo_filter", "repo_documents"]
    exact_only = build_stages(load_config(overrides={"dedup.level": "repo", "dedup.near": False,
                                                     "output_dir": str(tmp_path)}))  # fmt: skip
    assert not exact_only[1].pipeline[0].near


def test_stage1_chain_at_repo_level_removes_a_copied_repository(tmp_path, stdlib_dir):
    from snowcoder_hf.stages.stage1_data import run_stage1

    sources = sorted(p for p in stdlib_dir.glob("*.py") if 3_000 < p.stat().st_size < 15_000)[:6]
    for repo, files in (("acme", sources[:3]), ("copy", sources[:3]), ("other", sources[3:])):
        (tmp_path / "repos" / repo).mkdir(parents=True)
        for path in files:
            (tmp_path / "repos" / repo / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    config = load_config(overrides={
        "output_dir": str(tmp_path / "out"), "executor": {"type": "local", "tasks": 2, "workers": 1},
        "source": {"roots": [{"path": str(tmp_path / "repos"), "layout": "repos", "license": "MIT"}], "max_files": None},
        "dedup": {"level": "repo"}, "decontamination": {"enabled": False}, "tokenizer": {"enabled": False},
    })  # fmt: skip
    result = run_stage1(config)
    removed = [row["metadata"] for row in _rows(tmp_path / "out" / "removed")]
    assert sorted(m["path"] for m in removed) == sorted(p.name for p in sources[:3])
    assert {(m["filter_reason"], m["duplicate_of"], m["repo"]) for m in removed} == {("exact_duplicate_repo",
                                                                                      "acme", "copy")}  # fmt: skip
    assert {m["repo"] for m in (row["metadata"] for row in _rows(tmp_path / "out" / "files"))} == {"acme", "other"}
    filters = [c for c in result.counts if c["block"].endswith("Repo dedup: filter")]
    assert filters, "the report counts the repository filter's drops"
    assert filters[0]["reasons"] == {"exact_duplicate_repo": 3}
