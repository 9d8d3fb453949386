import gzip
import json
import random
import re

import numpy as np
import pytest

from snowcoder_hf.cli.main import main
from snowcoder_hf.common.code_text import code_tokens, normalize_code, word_ngrams
from snowcoder_hf.dedup import compiled_sketch
from snowcoder_hf.dedup.clusters import assign_duplicates
from snowcoder_hf.dedup.content_hash import normalized_bytes
from snowcoder_hf.dedup.minhash import CodeMinhashConfig, MinHasher
from snowcoder_hf.dedup.union_find import StreamingComponents, components_of_files, connected_components, local_forest


def _rows(folder):
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt") as f:
            rows.extend(json.loads(line) for line in f)
    return rows


def _jaccard(a: str, b: str) -> float:
    sa, sb = set(word_ngrams(code_tokens(a), 5)), set(word_ngrams(code_tokens(b), 5))
    return len(sa & sb) / len(sa | sb)


def _chain(seed: int, length: int = 3000) -> tuple[str, str, str]:
    """A ~ B and B ~ C (Jaccard ~0.79) but A !~ C (~0.61): B is A with 12% of its tokens edited, C is B with
    another 12% edited."""
    rng = random.Random(seed)
    a = [f"t{seed}_{rng.randrange(10**9)}" for _ in range(length)]
    b, c = list(a), None
    for i in range(0, 360):
        b[i] = f"b{seed}_{i}"
    c = list(b)
    for i in range(1500, 1860):
        c[i] = f"c{seed}_{i}"
    return " ".join(a), " ".join(b), " ".join(c)


def test_chained_clusters_never_name_a_duplicate_below_the_threshold(tmp_path):
    docs, chains = [], []
    for seed in range(6):
        a, b, c = _chain(seed)
        assert min(_jaccard(a, b), _jaccard(b, c)) > 0.75, "neighbours in the chain are near-duplicates"
        assert _jaccard(a, c) < 0.65, "the ends of the chain are not"
        # the keep-rule ranks A first (permissive), then C (stars), then B: the classic rule would remove B
        # and C as duplicates of A although C shares under 0.7 of its shingles with A
        docs += [{"id": f"a{seed}", "text": a, "metadata": {"license": "MIT"}},
                 {"id": f"b{seed}", "text": b}, {"id": f"c{seed}", "text": c, "metadata": {"stars": 5}}]  # fmt: skip
        chains.append((f"a{seed}", f"b{seed}", f"c{seed}"))
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs))
    texts = {d["id"]: d["text"] for d in docs}

    def removed_after(rule):
        out = tmp_path / rule
        assert main(["dedup", "--input", str(source), "--output", str(out), "--cluster-rule", rule]) == 0
        return {row["id"]: row["metadata"] for row in _rows(out / "removed")}, {r["id"] for r in _rows(out / "kept")}

    removed, kept = removed_after("split")
    for doc_id, meta in removed.items():
        assert meta["duplicate_of"] in kept, "a removed document names a kept one"
        assert _jaccard(texts[doc_id], texts[meta["duplicate_of"]]) >= 0.7, (doc_id, meta["duplicate_of"])
    for a, b, c in chains:
        assert a in kept
        assert removed[b]["duplicate_of"] == a
        assert c in kept, "C is not close to A: it is kept, not chained through B"
    classic, _ = removed_after("components")
    assert any(_jaccard(texts[d], texts[m["duplicate_of"]]) < 0.7 for d, m in classic.items()), (
        "the classic rule chains (the test must be able to fail)"
    )


def test_cluster_rules_on_a_chain_of_signatures():
    # 0 ~ 1 ~ 2, 0 !~ 2: rows agree on 200 of 256 coordinates with their neighbour, 2 on 144 with 0
    sig = np.zeros((3, 256), dtype=np.uint32)
    sig[1, :56] = 1
    sig[2, :56] = 1
    sig[2, 56:112] = 2
    labels, ranks = np.zeros(3, np.int64), np.arange(3)
    for compiled in (True, False):
        assert assign_duplicates(labels, ranks, sig, 0.7, "split", compiled).tolist() == [-1, 0, -1]
        assert assign_duplicates(labels, ranks, sig, 0.7, "keep_far", compiled).tolist() == [-1, 0, -1]
        assert assign_duplicates(labels, ranks, sig, 0.7, "components", compiled).tolist() == [-1, 0, 0]
        # with 1 kept first, both neighbours go
        assert assign_duplicates(labels, np.array([1, 0, 2]), sig, 0.7, "split", compiled).tolist() == [1, -1, 1]
    with pytest.raises(ValueError, match="`rule`"):
        assign_duplicates(labels, ranks, sig, 0.7, "star")


def test_compiled_and_numpy_cluster_assignment_agree_on_random_clusters():
    rng = np.random.default_rng(0)
    sig = rng.integers(0, 3, size=(400, 64)).astype(np.uint32)
    labels = rng.integers(0, 40, size=400)
    ranks = rng.permutation(400)
    for rule in ("split", "keep_far", "components"):
        a = assign_duplicates(labels, ranks, sig, 0.4, rule, compiled=True)
        b = assign_duplicates(labels, ranks, sig, 0.4, rule, compiled=False)
        assert (a == b).all(), rule


@pytest.mark.skipif(not compiled_sketch.available(), reason="numba is not installed")
def test_compiled_signatures_are_bit_identical_to_the_numpy_path(stdlib_dir):
    fast = MinHasher(CodeMinhashConfig())
    slow = MinHasher(CodeMinhashConfig(compiled=False))
    texts = [p.read_text(encoding="utf-8") for p in sorted(stdlib_dir.glob("*.py"))[:40]]
    texts += ["foo_bar(x1, 2) + Été café_ñ – ✓ 日本語 x²", "a", "a b c d", " \n\t ", "ab\ud800cd", "x " * 3]
    for text in texts:
        a, b = fast.signature(text), slow.signature(text)
        assert (a is None and b is None) or (a == b).all(), text[:40]


def test_compiled_normalization_matches_normalize_code():
    rng = random.Random(0)
    pieces = ["\ufeff", "\r\n", "\r", "\n", " ", "\t", "\f", "\v", "a", "é", "日", "\n\n", " \n", "x ", "\ud800"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 40))) for _ in range(2000)]
    texts += ["\ufeff\ufeffdef f():  \r\n\r\n\r\n    return 1\t\n\n", ""]
    for text in texts:
        assert normalized_bytes(text) == normalize_code(text).encode("utf-8", "surrogatepass"), repr(text)


@pytest.mark.parametrize("compiled", [True, False])
def test_streamed_and_sharded_components_equal_the_in_memory_ones(tmp_path, compiled):
    rng = np.random.default_rng(1)
    n = 3000
    u, v = rng.integers(0, n, 2500), rng.integers(0, n, 2500)
    expected = connected_components(u, v, n)
    streamed = StreamingComponents(n, compiled=compiled)
    for start in range(0, len(u), 300):
        streamed.add(u[start : start + 300], v[start : start + 300])
    assert (streamed.labels() == expected).all()
    files = []
    for shard in range(4):
        files.append(tmp_path / f"pairs_{shard}.npy")
        np.save(files[-1], np.stack([u[shard::4], v[shard::4]], axis=1))
    assert (components_of_files(files, n, sharded=True, compiled=compiled) == expected).all()
    on_disk = components_of_files(files, n, sharded=False, parent_path=tmp_path / "parent.npy", compiled=compiled)
    assert (np.asarray(on_disk) == expected).all()
    nodes, roots = local_forest(u, v, compiled=compiled)
    assert len(nodes) <= len(np.unique(np.r_[u, v]))
    assert (connected_components(nodes, roots, n) == expected).all()
    with pytest.raises(ValueError, match="outside"):
        streamed.add(np.array([0]), np.array([n]))


def test_one_pass_dedup_matches_the_staged_layout_and_reports_both_reasons(tmp_path, stdlib_dir):
    files = sorted(p for p in stdlib_dir.glob("*.py") if 3_000 < p.stat().st_size < 30_000)[:30]
    docs = [{"id": f"f{i:03d}", "text": p.read_text(encoding="utf-8")} for i, p in enumerate(files)]
    rng = random.Random(0)
    for i, doc in enumerate(docs[:8]):
        text = re.sub(r"\w+", lambda m: f"zz{rng.randrange(10**6)}" if rng.random() < 0.01 else m.group(), doc["text"])
        docs.append({"id": f"near{i}", "text": text})
    docs += [{"id": f"exact{i}", "text": d["text"].replace("\n", "\r\n")} for i, d in enumerate(docs[:3])]
    source = tmp_path / "in.jsonl.gz"
    with gzip.open(source, "wt") as f:
        f.writelines(json.dumps(d) + "\n" for d in docs)
        f.write("{broken\n")
    outputs = {}
    for layout, tasks in (("one_pass", "2"), ("stages", "2")):
        out = tmp_path / layout
        assert main(["dedup", "--input", str(source), "--output", str(out), "--layout", layout, "--tasks", tasks]) == 0
        removed = {r["id"]: (r["metadata"].get("filter_reason"), r["metadata"].get("duplicate_of"))
                   for r in _rows(out / "removed")}  # fmt: skip
        outputs[layout] = ({r["id"] for r in _rows(out / "kept")}, removed)
    kept, removed = outputs["one_pass"]
    assert kept == outputs["stages"][0]
    assert removed == outputs["stages"][1]
    assert removed["f000"] == ("exact_duplicate", "exact0"), "the keep-rule keeps the smaller id"
    assert removed["near3"] == ("near_duplicate", "f003")
    assert ("malformed_json", None) in removed.values(), "the broken line is kept on disk under its reason"
    assert len(kept) + len(removed) == len(docs) + 1
    assert not (tmp_path / "one_pass" / "work" / "input").exists(), "one pass re-reads the input, no copy"


def test_fast_gzip_writer_writes_the_records_datatrove_writes(tmp_path):
    from datatrove.data import Document
    from datatrove.pipeline.writers import JsonlWriter

    from snowcoder_hf.pipeline.gzip_writer import GzipJsonlWriter

    docs = [Document(text="x = 1\n", id="a", metadata={"k": [1, 2], "path": "a.py"}), Document(text="é", id="b")]
    for writer in (GzipJsonlWriter(str(tmp_path / "ours")), JsonlWriter(str(tmp_path / "dt"))):
        with writer:
            for doc in docs:
                writer.write(doc, rank=0)
    assert _rows(tmp_path / "ours") == _rows(tmp_path / "dt")
