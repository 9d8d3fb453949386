"""File-level against repository-level dedup on a the-stack-shaped parquet corpus: what each level removes.

Each level runs as its own process, end to end (reading the parquet shards through `hub_code_reader`,
hashing and signing, clustering, writing `kept/` and `removed/`), with the same threshold and MinHash
settings; its CPU seconds (user + system, from `wait4`) and peak RSS are measured. Then the outputs are
counted: files and MB removed per reason, repositories that lost files (all of them, at repository level),
and, at file level, how many repositories lost only some of their files.

There is no other repository-level dedup implementation to run beside it; the comparison is the two levels
of this project on the same input in the same run. `--forks REPO ...` adds, as one more parquet shard, a
copy of each named repository (`fork/REPO`) in which a tenth of the files have 2% of their code tokens
replaced: forks as they appear on GitHub, to see both levels remove them.

Usage:
    python benchmarks/dedup_levels.py --source CORPUS/data --work-dir WORK --json benchmarks/results/dedup_levels.json
    python benchmarks/dedup_levels.py --source CORPUS/data --work-dir WORK --forks pypi/flask npm/express
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent


def write_forks(source: str, repos: list[str], path: Path, seed: int = 0) -> int:
    """One parquet file of `fork/REPO` copies of `repos`: a tenth of each fork's files lightly edited."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    rows = []
    for shard in sorted(Path(source).rglob("*.parquet")):
        table = pq.read_table(shard)
        for row in table.filter(pa.compute.is_in(table["max_stars_repo_name"], pa.array(repos))).to_pylist():
            if rng.random() < 0.1:
                row["content"] = re.sub(r"\w+", lambda m: f"edit{rng.randrange(10**6)}" if rng.random() < 0.02
                                        else m.group(), row["content"])  # fmt: skip
            row["max_stars_repo_name"] = f"fork/{row['max_stars_repo_name']}"
            row["max_stars_count"] = 0
            rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return len(rows)


def run_level(sources: list[str], out: Path, level: str, tasks: int) -> None:
    """The dedup stages at `level` over the parquet corpus (what this script's child process runs)."""
    from snowcoder_hf.pipeline.document_files import kept_writer, removed_writer
    from snowcoder_hf.pipeline.hub_readers import hub_code_reader
    from snowcoder_hf.stages.dedup import dedup_stages
    from snowcoder_hf.stages.runner import run_stages

    stages = dedup_stages([hub_code_reader(s) for s in sources], [kept_writer(out)], out / "work", out, tasks=tasks,
                          removed_writer_factory=lambda block: removed_writer(out, block), layout="one_pass",
                          reread_steps=[hub_code_reader(s) for s in sources], level=level)  # fmt: skip
    run_stages(stages, {"type": "local", "workers": 1}, out / "stats")


def measure(sources: list[str], out: Path, level: str, tasks: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, __file__, "--child", level, "--source", *sources, "--work-dir", str(out),
               "--tasks", str(tasks)]  # fmt: skip
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"level {level} failed:\n{stderr.decode(errors='replace')[-3000:]}")
    return {"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024}  # fmt: skip


def count_outputs(out: Path, forked: list[str]) -> dict:
    """Files and MB per reason; repositories that lost all or some files; files removed from the forked
    repositories and their forks (one copy of each pair should go: which one is the keep-rule's choice)."""
    files, removed_files, reasons, removed_mb = Counter(), Counter(), Counter(), Counter()
    text_mb = 0.0
    for kind in ("kept", "removed"):
        for path in sorted((out / kind).rglob("*.jsonl.gz")):
            with gzip.open(path, "rb") as f:
                for line in f:
                    row = orjson.loads(line)
                    meta = row.get("metadata") or {}
                    repo = str(meta.get("repo") or "unknown")
                    size = len(row["text"].encode("utf-8", "surrogatepass")) / 1e6
                    text_mb += size
                    files[repo] += 1
                    if kind == "removed":
                        reason = str(meta.get("filter_reason"))
                        reasons[reason] += 1
                        removed_mb[reason] += size
                        removed_files[repo] += 1
    whole = sum(1 for repo, n in removed_files.items() if n == files[repo])
    copies = sum(n for repo, n in removed_files.items() if repo in forked or repo.removeprefix("fork/") in forked)
    return {"files": sum(files.values()), "repositories": len(files), "text_mb": text_mb,
            "removed": sum(reasons.values()), "removed_mb": sum(removed_mb.values()), "reasons": dict(reasons),
            "reasons_mb": dict(removed_mb), "repositories_touched": len(removed_files),
            "repositories_removed_whole": whole, "repositories_removed_in_part": len(removed_files) - whole,
            "copy_files_removed": copies}  # fmt: skip


def render(result: dict) -> str:
    header = (f"Corpus: {result['label']}: {result['files']:,} files in {result['repositories']} repositories, "
              f"{result['text_mb']:,.0f} MB of text.")  # fmt: skip
    if result.get("forks"):
        header += (f" Including lightly edited forks of {', '.join(result['forks'])} ({result['fork_files']:,} "
                   "files, a tenth with 2% of their tokens replaced).")  # fmt: skip
    columns = ("| level | CPU s | peak RSS MB | files removed | MB removed | by reason | repositories losing every "
               "file | repositories losing some files | files removed from a forked repository or its fork |")  # fmt: skip
    lines = [header, "", columns, "|---|---:|---:|---:|---:|---|---:|---:|---:|"]
    for row in result["levels"]:
        reasons = ", ".join(f"{k} {v:,}" for k, v in sorted(row["reasons"].items())) or "none"
        lines.append(f"| {row['level']} | {row['cpu']:.1f} | {row['rss_mb']:,.0f} | {row['removed']:,} "
                     f"({row['removed'] / row['files']:.1%}) | {row['removed_mb']:,.1f} | {reasons} | "
                     f"{row['repositories_removed_whole']} | {row['repositories_removed_in_part']} | "
                     f"{row['copy_files_removed']:,} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, nargs="+", help="Parquet files or folders in the-stack's columns.")
    parser.add_argument("--forks", nargs="+", default=[], help="Repositories to add a lightly edited fork of.")
    parser.add_argument("--work-dir", required=True, help="Scratch folder for each level's output.")
    parser.add_argument("--label", default="corpus")
    parser.add_argument("--levels", nargs="+", default=["file", "repo"], choices=["file", "repo"])
    parser.add_argument("--tasks", type=int, default=1)
    parser.add_argument("--json", help="Write the measurements here.")
    parser.add_argument("--child", choices=["file", "repo"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_level(list(args.source), Path(args.work_dir), args.child, args.tasks)
        return
    sources = list(args.source)
    result = {"label": args.label, "levels": [], "forks": args.forks}
    if args.forks:
        forks = Path(args.work_dir) / "forks" / "forks.parquet"
        result["fork_files"] = write_forks(sources[0], args.forks, forks)
        sources.append(str(forks))
    for level in args.levels:
        print(f"[{args.label}] {level} level ...", flush=True)
        out = Path(args.work_dir) / level
        row = {"level": level, **measure(sources, out, level, args.tasks), **count_outputs(out, args.forks)}
        result["levels"].append(row)
        print("  " + json.dumps(row), flush=True)
    first = result["levels"][0]
    result.update(files=first["files"], repositories=first["repositories"], text_mb=first["text_mb"])
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    print(render(result))


if __name__ == "__main__":
    main()
