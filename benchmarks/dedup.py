"""Near-dedup benchmark: snowcoder_hf against DataTrove, rensa and datasketch, in the same run, on the same file.

Each system runs as its own process, end to end (start-up, reading the gzip JSONL corpus, writing
`kept/` and `removed/`), one after the other: `snowcoder dedup` (the CLI a user runs) and the peers of
`benchmarks/dedup_peers.py`. For each: wall and CPU seconds (user + system of the process and its
threads, from `wait4`), MB of text per CPU second (per core), peak RSS, recall of the planted
near-duplicates whose true 5-gram Jaccard is at least 0.85 (caught: the two are not both kept), and false
removals: removed documents whose `duplicate_of` has a true 5-gram Jaccard under 0.5 (and, stricter,
under the 0.7 threshold). True Jaccard is computed on exact shingle sets, not sketches.

Corpora come from `benchmarks/dedup_corpus.py`. Usage:
    python benchmarks/dedup_corpus.py --source python --files 10000 --planted 800 --out CORPUS
    python benchmarks/dedup.py --corpus CORPUS --work-dir WORK --label python-10k \\
        --json benchmarks/results/dedup_python-10k.json
    python benchmarks/dedup.py --render benchmarks/results/dedup_*.json --results benchmarks/results/dedup.md
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
NGRAM, THRESHOLD, RECALL_AT, FALSE_BELOW = 5, 0.7, 0.85, 0.5
TOKEN_RE = re.compile(r"\w+")
OURS = [sys.executable, "-m", "snowcoder_hf.cli", "dedup"]
PEERS = [sys.executable, str(REPO / "benchmarks" / "dedup_peers.py")]
SYSTEMS = {  # name: (command before --input/--output, what it is)
    "snowcoder_hf": (OURS, "one pass (hash + sign), compiled one-permutation MinHash, LSH 36x7 verified, split rule"),
    "snowcoder_hf, components rule": ([*OURS, "--cluster-rule", "components"], "ablation: every member but one removed"),
    "snowcoder_hf, keep_far rule": ([*OURS, "--cluster-rule", "keep_far"], "ablation: one kept per cluster, far members kept"),
    "snowcoder_hf, 4-stage layout": ([*OURS, "--layout", "stages"], "the cluster layout: exact and near stages, input copied"),
    "DataTrove": ([*PEERS, "datatrove"], "4 MinhashDedup* stages, CodeWordTokenizer, LSH 25x10, unverified"),
    "rensa R-MinHash + LSH": ([*PEERS, "rensa-r"], "RMinHashDeduplicator, 32 bands, streaming, verified"),
    "rensa C-MinHash script": ([*PEERS, "rensa-c"], "C-MinHash 32x8 bands, union-find, unverified"),
    "datasketch MinHashLSH": ([*PEERS, "datasketch"], "MinHash + MinHashLSH(0.7), streaming, verified"),
}  # fmt: skip


def run_system(command: list[str], corpus: Path, out: Path, timeout: float | None = None) -> dict:
    """Run one system to completion (or until `timeout` seconds of wall time, then kill it); its wall time,
    CPU time and peak RSS from the kernel's accounting."""
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    with open(out.parent / f"{out.name}.stderr", "w+b") as stderr:
        process = subprocess.Popen([*command, "--input", str(corpus), "--output", str(out)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)  # fmt: skip
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - start > timeout:
                os.killpg(process.pid, signal.SIGKILL)  # its own process group: worker processes go too
                _, status, usage = os.wait4(process.pid, 0)
                timed_out = True
                break
            time.sleep(0.5)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        stderr.seek(0)
        message = stderr.read()
    result = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}
    if timed_out:
        return {**result, "timed_out": True}
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{message.decode(errors='replace')[-3000:]}")
    return result


def read_outputs(out: Path) -> tuple[set[str], dict[str, str]]:
    """(kept ids, removed id -> the document it names). DataTrove names a cluster id, not a document:
    the removed document then names the cluster's kept member."""
    kept, removed, cluster_of_kept, cluster_of_removed = set(), {}, {}, {}
    for kind in ("kept", "removed"):
        for path in sorted((out / kind).rglob("*.jsonl.gz")):
            with gzip.open(path, "rb") as f:
                for line in f:
                    row = orjson.loads(line)
                    meta = row.get("metadata") or {}
                    cluster = meta.get("minhash_cluster_id")
                    if kind == "kept":
                        kept.add(row["id"])
                        if cluster is not None:
                            cluster_of_kept[cluster] = row["id"]
                    elif meta.get("filter_reason") in (None, "exact_duplicate", "near_duplicate", "duplicate"):
                        removed[row["id"]] = meta.get("duplicate_of")
                        if cluster is not None:
                            cluster_of_removed[row["id"]] = cluster
    for doc_id, cluster in cluster_of_removed.items():
        if removed[doc_id] is None:
            removed[doc_id] = cluster_of_kept.get(cluster)
    return kept, removed


class Shingles:
    """Exact 5-gram shingle sets of the corpus documents (hashed tuples), computed when first asked for."""

    def __init__(self, texts: dict[str, str]):
        self.texts, self.cache = texts, {}

    def __call__(self, doc_id: str) -> frozenset:
        if doc_id not in self.cache:
            tokens = TOKEN_RE.findall(self.texts[doc_id])
            grams = zip(*(tokens[i:] for i in range(NGRAM)), strict=False) if len(tokens) >= NGRAM else [tuple(tokens)]
            self.cache[doc_id] = frozenset(map(hash, grams))
        return self.cache[doc_id]

    def jaccard(self, a: str, b: str) -> float:
        sa, sb = self(a), self(b)
        return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def evaluate(kept, removed, planted_pairs, shingles: Shingles) -> dict:
    caught = sum(1 for a, b in planted_pairs if not (a in kept and b in kept))
    similarity = [shingles.jaccard(doc, target) if target in shingles.texts else 0.0
                  for doc, target in removed.items()]  # fmt: skip
    return {
        "removed": len(removed),
        "recall": caught / len(planted_pairs) if planted_pairs else 1.0,
        "caught": caught,
        "planted": len(planted_pairs),
        "false_removals": sum(1 for s in similarity if s < FALSE_BELOW),
        "below_threshold": sum(1 for s in similarity if s < THRESHOLD),
        "named_removed": sum(1 for target in removed.values() if target not in kept),
    }


def benchmark(args) -> dict:
    corpus = Path(args.corpus) / "corpus.jsonl.gz"
    info = json.loads((Path(args.corpus) / "planted.json").read_text())
    # every system runs before this process loads the corpus: a child's peak RSS counts from its fork,
    # when it is still a copy of this process
    timings = {}
    for name in args.systems:
        print(f"[{args.label}] {name} ...", flush=True)
        timings[name] = run_system(SYSTEMS[name][0], corpus, Path(args.work_dir) / re.sub(r"\W+", "_", name),
                                   args.timeout)  # fmt: skip
        print(f"  {json.dumps(timings[name])}", flush=True)
    texts = {}
    with gzip.open(corpus, "rb") as f:
        for line in f:
            row = orjson.loads(line)
            texts[row["id"]] = row["text"]
    shingles = Shingles(texts)
    planted = [(a, b) for a, b, _ in info["planted"] if shingles.jaccard(a, b) >= RECALL_AT]
    text_mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts.values()) / 1e6
    result = {"label": args.label, "documents": len(texts), "text_mb": text_mb, "file_mb": corpus.stat().st_size / 1e6,
              "roots": info.get("roots"), "planted_pairs": len(planted), "systems": []}  # fmt: skip
    for name in args.systems:
        if timings[name].get("timed_out"):
            result["systems"].append({"name": name, "how": SYSTEMS[name][1], **timings[name]})
            continue
        kept, removed = read_outputs(Path(args.work_dir) / re.sub(r"\W+", "_", name))
        if len(kept) + len(removed) != len(texts):
            print(f"  warning: {name} accounted for {len(kept) + len(removed)} of {len(texts)} documents")
        row = {"name": name, "how": SYSTEMS[name][1], **timings[name], **evaluate(kept, removed, planted, shingles)}
        result["systems"].append(row)
        print("  " + json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    return result


def render(results: list[dict]) -> str:
    lines = ["# Near-dedup benchmark: snowcoder_hf, DataTrove, rensa and datasketch, same run, same input", ""]
    lines += [
        (
            "Generated by `benchmarks/dedup.py` (one run per corpus). Every system is a separate process run end to end "
            "on the same gzip JSONL file: start-up, reading, signing, clustering and writing `kept/` + `removed/`. CPU s "
            "is user + system time of the process and its threads; MB/s per core is MB of text per CPU second. Recall: "
            f"planted near-duplicates with true 5-gram Jaccard >= {RECALL_AT} of which not both copies are kept. False "
            f"removals: removed documents whose `duplicate_of` has true Jaccard < {FALSE_BELOW}; `< {THRESHOLD}` is the "
            "same count at the threshold; `names removed`: removals naming a document that was itself removed."
        ),
        "",
    ]
    for result in results:
        systems = result["systems"]
        finished = [s for s in systems if not s.get("timed_out")]
        datatrove = next((s for s in finished if s["name"] == "DataTrove"), None)
        rensa = [s for s in finished if s["name"].startswith("rensa")]
        lines += [
            (
                f"## {result['label']}: {result['documents']:,} documents, {result['text_mb']:,.0f} MB of text "
                f"({result['file_mb']:,.0f} MB gzip), {result['planted_pairs']:,} planted pairs at J >= {RECALL_AT}"
            ),
            "",
            (
                "| system | wall s | CPU s | MB/s per core | DataTrove CPU / this | fastest rensa CPU / this | peak RSS MB "
                "| recall | removed | false removals (< 0.5) | < 0.7 | names removed |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for s in systems:
            if s.get("timed_out"):
                lines.append(f"| {s['name']} | > {s['wall']:.0f} | > {s['cpu']:.1f} | did not finish (stopped at "
                             f"{s['wall'] / 60:.0f} min) | - | - | - | - | - | - | - | - |")  # fmt: skip
                continue
            vs_dt = f"{datatrove['cpu'] / s['cpu']:.2f}x" if datatrove else "-"
            vs_rensa = f"{min(r['cpu'] for r in rensa) / s['cpu']:.2f}x" if rensa else "-"
            lines.append(
                f"| {s['name']} | {s['wall']:.1f} | {s['cpu']:.1f} | {result['text_mb'] / s['cpu']:.2f} | {vs_dt} "
                f"| {vs_rensa} | {s['rss_mb']:,.0f} | {s['recall']:.3f} ({s['caught']}/{s['planted']}) | "
                f"{s['removed']:,} | {s['false_removals']:,} | {s['below_threshold']:,} | {s['named_removed']:,} |"
            )
        lines += ["", "| system | configuration |", "|---|---|", *[f"| {s['name']} | {s['how']} |" for s in systems]]
        lines.append("")
    return "\n".join(lines)


COMMENTARY_MARKER = "<!-- commentary below is kept when the tables are re-rendered -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="A folder written by benchmarks/dedup_corpus.py.")
    parser.add_argument("--work-dir", help="Scratch folder for every system's output.")
    parser.add_argument("--label", default="corpus")
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS), metavar="SYSTEM")
    parser.add_argument("--timeout", type=float, help="Stop a system after this many wall seconds; it is reported "
                        "as not finished (default: no limit).")  # fmt: skip
    parser.add_argument("--json", help="Write this corpus's measurements here.")
    parser.add_argument("--render", nargs="+", help="Measurement JSON files to render as one markdown report.")
    parser.add_argument("--results", help="Markdown report to (re)write; text after the commentary marker is kept.")
    args = parser.parse_args()
    if args.render:
        report = render([json.loads(Path(p).read_text()) for p in args.render])
        if args.results:
            path = Path(args.results)
            previous = path.read_text() if path.exists() else ""
            tail = previous.split(COMMENTARY_MARKER, 1)[1] if COMMENTARY_MARKER in previous else "\n"
            path.write_text(report + "\n" + COMMENTARY_MARKER + tail)
        print(report)
        return
    if not (args.corpus and args.work_dir):
        parser.error("--corpus and --work-dir are needed to run (or --render to report)")
    result = benchmark(args)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1))
    print(render([result]))


if __name__ == "__main__":
    main()
