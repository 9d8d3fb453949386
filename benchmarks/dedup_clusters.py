"""Cluster-stage scaling: time and peak memory of connected components on synthetic pair graphs.

A synthetic near-duplicate pair graph (`--nodes` documents, `--edges` verified pairs, each document linked
to a few documents near it, so that clusters are small and chains occur) is written as `--shards` `.npy`
pair files, the way buckets tasks write them. Each mode then runs in its own process, so its peak RSS is
its own:

- `in_memory`: every pair loaded at once, then the vectorized hook-and-compress `connected_components`
  (what the cluster stage did);
- `streamed`: pairs memory-mapped and streamed in chunks into `StreamingComponents` (memory: the parent
  array, 8 bytes a document, plus one chunk);
- `sharded`: each shard reduced to its spanning forest (what a shard task would do on its own machine),
  then the forests merged (`components_of_files(sharded=True)`).

Usage:
    python benchmarks/dedup_clusters.py --work-dir DIR --sweep 1e5:1e5 1e6:1e6 1e7:1e7 5e7:1e8 \\
        --json benchmarks/results/dedup_clusters.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CHUNK = 5_000_000


def write_graph(folder: Path, nodes: int, edges: int, shards: int, seed: int = 0) -> list[Path]:
    """Pair files of a graph whose edges join each document to one within 8 positions after it."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "done.json"
    files = [folder / f"pairs_{s:03d}.npy" for s in range(shards)]
    if marker.exists() and json.loads(marker.read_text()) == [nodes, edges, shards, seed]:
        return files
    rng = np.random.default_rng(seed)
    per_shard = edges // shards
    for path in files:
        out = np.lib.format.open_memmap(str(path), mode="w+", dtype=np.int64, shape=(per_shard, 2))
        for start in range(0, per_shard, CHUNK):
            size = min(CHUNK, per_shard - start)
            u = rng.integers(0, nodes, size)
            out[start : start + size, 0] = u
            out[start : start + size, 1] = (u + rng.integers(1, 9, size)) % nodes
        out.flush()
        del out
    marker.write_text(json.dumps([nodes, edges, shards, seed]))
    return files


def measure_one(mode: str, folder: Path, nodes: int) -> dict:
    from snowcoder_hf.dedup.union_find import components_of_files, connected_components

    files = sorted(folder.glob("pairs_*.npy"))
    if mode == "baseline":  # the interpreter with these modules loaded: subtracted from the others' RSS
        return {"seconds": 0.0, "cpu": 0.0, "components": 0}
    start = time.perf_counter()
    cpu = time.process_time()
    if mode == "in_memory":
        pairs = np.concatenate([np.load(str(f)) for f in files])
        labels = connected_components(pairs[:, 0], pairs[:, 1], nodes)
    else:
        labels = components_of_files(files, nodes, sharded=mode == "sharded")
    result = {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
              "components": int(len(np.unique(labels)))}  # fmt: skip
    return result


def run_mode(mode: str, folder: Path, nodes: int, timeout: int) -> dict:
    command = [sys.executable, __file__, "--measure", mode, "--graph", str(folder), "--nodes", str(nodes)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {"mode": mode, "error": f"over {timeout} s"}
    if process.returncode != 0:
        return {"mode": mode, "error": err.decode(errors="replace")[-500:]}
    row = {"mode": mode, **json.loads(out.decode().strip().splitlines()[-1])}
    row["rss_mb"] = row.pop("rss_kb") / 1024
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", help="Where the synthetic pair files go.")
    parser.add_argument("--sweep", nargs="+", default=["1e5:1e5", "1e6:1e6", "1e7:1e7"], help="NODES:EDGES sizes")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--modes", nargs="+", default=["in_memory", "streamed", "sharded"])
    parser.add_argument("--in-memory-max-edges", type=float, default=2e7, help="Skip in_memory above this.")
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--json")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--graph", help=argparse.SUPPRESS)
    parser.add_argument("--nodes", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        import resource

        row = measure_one(args.measure, Path(args.graph), args.nodes)
        row["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps(row))
        return
    rows = []
    for size in args.sweep:
        nodes, edges = (int(float(x)) for x in size.split(":"))
        folder = Path(args.work_dir) / f"graph_{nodes}_{edges}"
        start = time.perf_counter()
        write_graph(folder, nodes, edges, args.shards)
        print(f"graph {nodes:,} nodes, {edges:,} edges written in {time.perf_counter() - start:.0f} s", flush=True)
        baseline = run_mode("baseline", folder, nodes, args.timeout)["rss_mb"]
        for mode in args.modes:
            if mode == "in_memory" and edges > args.in_memory_max_edges:
                continue
            row = {"nodes": nodes, "edges": edges, **run_mode(mode, folder, nodes, args.timeout)}
            if "error" not in row:
                row["rss_mb_above_baseline"] = row["rss_mb"] - baseline
                row["cpu_s_per_million_docs"] = row["cpu"] / (nodes / 1e6)
                row["mb_per_million_docs"] = row["rss_mb_above_baseline"] / (nodes / 1e6)
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
