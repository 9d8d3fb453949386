"""The near-dedup peers that `benchmarks/dedup.py` runs, each as its own process on the same input.

Every peer reads the same gzip JSONL corpus and writes `OUT/kept/*.jsonl.gz` and `OUT/removed/*.jsonl.gz`
(DataTrove's document layout: `id`, `text`, `metadata`), removed documents with `metadata.duplicate_of`
(DataTrove writes `minhash_cluster_id` instead; the benchmark names the cluster's kept document). All use
5-grams of the same identifier-preserving code tokens (`\\w+`), 256 hashes and threshold 0.7:

- `datatrove`: DataTrove's four `MinhashDedup*` stages, `CodeWordTokenizer` and code normalization, LSH
  25x10 (datasketch's optimum for 0.7), one worker; its `JsonlWriter` (gzip level 9, its default).
- `rensa-r`: rensa's R-MinHash and its streaming `RMinHashDeduplicator` with LSH (32 bands): a document
  is removed when the index of kept documents holds one similar at the threshold, which it then names.
- `rensa-c`: the plain script of the work item: rensa's C-MinHash, banded 32x8 in numpy, union-find over
  every bucket, every member of a component but the first removed, naming the first.
- `datasketch`: `MinHash` + `MinHashLSH(threshold=0.7)`, streaming like `rensa-r`, candidates checked
  with `MinHash.jaccard`.

The scripted peers read with orjson and read and write gzip through the same library and level as
snowcoder_hf (`snowcoder_hf.pipeline.gzip_writer`: python-isal's igzip when installed), so that the
comparison is about dedup, not JSON or compression settings. DataTrove goes through fsspec, which uses
python-isal for gzip too when it is installed.

Usage: python benchmarks/dedup_peers.py PEER --input corpus.jsonl.gz --output OUT
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

NGRAM, NUM_PERM, THRESHOLD, SEED = 5, 256, 0.7, 1
TOKEN_RE = re.compile(r"\w+")
BATCH = 512


def read_documents(path: str):
    import orjson

    from snowcoder_hf.pipeline.gzip_writer import open_gzip

    with open(path, "rb") as raw, open_gzip(raw, "rb") as f:
        for line in f:
            if line.strip():
                yield orjson.loads(line)


def shingles(text: str) -> list[str]:
    tokens = TOKEN_RE.findall(text)
    if len(tokens) < NGRAM:
        return [" ".join(tokens)] if tokens else []
    return [" ".join(tokens[i : i + NGRAM]) for i in range(len(tokens) - NGRAM + 1)]


class Output:
    """kept/00000.jsonl.gz and removed/00000.jsonl.gz, gzip as snowcoder_hf writes it."""

    def __init__(self, out: str):
        import orjson

        from snowcoder_hf.pipeline.gzip_writer import open_gzip

        self._dumps = orjson.dumps
        self._files = []
        for kind in ("kept", "removed"):
            Path(out, kind).mkdir(parents=True, exist_ok=True)
            self._files.append(open(Path(out, kind, "00000.jsonl.gz"), "wb"))  # noqa: SIM115 (closed by close())
        self.kept, self.removed = (open_gzip(f, "wb") for f in self._files)

    def write(self, doc: dict, duplicate_of: str | None) -> None:
        if duplicate_of is None:
            self.kept.write(self._dumps(doc) + b"\n")
        else:
            doc.setdefault("metadata", {})["duplicate_of"] = duplicate_of
            self.removed.write(self._dumps(doc) + b"\n")

    def close(self) -> None:
        self.kept.close()
        self.removed.close()
        for f in self._files:
            f.close()


def _batches(path: str):
    batch = []
    for doc in read_documents(path):
        batch.append(doc)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def run_rensa_r(path: str, out: str) -> None:
    from rensa import RMinHash, RMinHashDeduplicator

    dedup = RMinHashDeduplicator(threshold=THRESHOLD, num_perm=NUM_PERM, use_lsh=True, num_bands=32, seed=SEED)
    output = Output(out)
    for batch in _batches(path):
        token_sets = [shingles(d["text"]) for d in batch]
        minhashes = RMinHash.from_token_sets([t or [""] for t in token_sets], num_perm=NUM_PERM, seed=SEED)
        for doc, minhash in zip(batch, minhashes, strict=True):
            matches = dedup.get_duplicates(minhash)
            if matches:
                output.write(doc, min(matches))
            else:
                dedup.add(doc["id"], minhash)
                output.write(doc, None)
    output.close()


def run_rensa_c(path: str, out: str) -> None:
    """Two passes over the input (sign, then write), C-MinHash, 32 bands x 8 rows, union-find."""
    import numpy as np
    from rensa import CMinHash

    ids, digests = [], []
    for batch in _batches(path):
        ids += [d["id"] for d in batch]
        token_sets = [shingles(d["text"]) or [""] for d in batch]
        digests.append(np.asarray(CMinHash.digests64_from_token_sets(token_sets, num_perm=NUM_PERM, seed=SEED)))
    signatures = np.concatenate(digests).reshape(len(ids), NUM_PERM)
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for band in range(32):
        keys = signatures[:, band * 8 : band * 8 + 8].copy().view(np.dtype((np.void, 64)))[:, 0]
        buckets: dict[bytes, int] = {}
        for doc, key in enumerate(keys.tolist()):
            first = buckets.setdefault(key, doc)
            if first != doc:
                a, b = find(first), find(doc)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    output = Output(out)
    for index, doc in enumerate(read_documents(path)):
        root = find(index)
        output.write(doc, None if root == index else ids[root])
    output.close()


def run_datasketch(path: str, out: str) -> None:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    kept: dict[str, MinHash] = {}
    output = Output(out)
    for doc in read_documents(path):
        minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
        minhash.update_batch([s.encode("utf-8", "surrogatepass") for s in shingles(doc["text"]) or [""]])
        matches = sorted(k for k in lsh.query(minhash) if kept[k].jaccard(minhash) >= THRESHOLD)
        if matches:
            output.write(doc, matches[0])
        else:
            lsh.insert(doc["id"], minhash)
            kept[doc["id"]] = minhash
            output.write(doc, None)
    output.close()


def run_datatrove(path: str, out: str) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from snowcoder_hf.pipeline.code_tokenizer import CODE_TEXT_NORM_CONFIG, CodeWordTokenizer

    config = MinhashConfig(n_grams=NGRAM, num_buckets=25, hashes_per_bucket=10, norm_config=CODE_TEXT_NORM_CONFIG)
    work, source = Path(out) / "work", Path(path)

    def reader():
        return JsonlReader(str(source.parent), glob_pattern=source.name)

    def run(name, pipeline, tasks):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=str(work / "logs" / name)).run()

    run("signatures", [reader(), MinhashDedupSignature(str(work / "sigs"), config=config,
                                                       language=CodeWordTokenizer())], 1)  # fmt: skip
    run("buckets", [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=config)], 25)
    run("clusters", [MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=config,
                                         save_cluster_id=True)], 1)  # fmt: skip
    run("filter", [reader(), MinhashDedupFilter(str(work / "remove"), load_cluster_ids=True,
                                                exclusion_writer=JsonlWriter(str(Path(out) / "removed"))),
                   JsonlWriter(str(Path(out) / "kept"))], 1)  # fmt: skip


PEERS = {"datatrove": run_datatrove, "rensa-r": run_rensa_r, "rensa-c": run_rensa_c, "datasketch": run_datasketch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("peer", choices=sorted(PEERS))
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    PEERS[args.peer](args.input, args.output)


if __name__ == "__main__":
    main()
