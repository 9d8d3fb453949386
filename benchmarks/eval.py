"""Agreement and speed against EvalPlus's own evaluator on the same samples (HumanEval+, MBPP+).

For each benchmark: turn the samples into solution programs once, score them with this project's
sandboxed harness and with `evalplus.evaluate` (pointed at the local release file through
`HUMANEVAL_OVERRIDE_PATH` / `MBPP_OVERRIDE_PATH`, its cache in a temp dir), both with every core.
Both ground truths are computed in a warm-up pass first (for EvalPlus, a full run: it needs a sample for
every problem), so the timed pass measures execution only.
Prints per-task agreement (listing every disagreement with both verdicts) and tasks/s.

Usage:
    python benchmarks/eval.py --samples-dir SAMPLES --benchmark-dir BENCH [--benchmarks humaneval_plus,mbpp_plus]
        [--limit N] [--output benchmarks/results/eval_agreement.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_EVALPLUS = {"humaneval_plus": ("humaneval", "HUMANEVAL_OVERRIDE_PATH", "HumanEvalPlus.jsonl.gz"),
             "mbpp_plus": ("mbpp", "MBPP_OVERRIDE_PATH", "MbppPlus.jsonl.gz")}  # fmt: skip


def run_evalplus(name: str, programs: dict[str, str], benchmark_dir: Path, work: Path, workers: int):
    dataset, env_key, filename = _EVALPLUS[name]
    release = work / filename.removesuffix(".gz")
    if not release.exists():
        with gzip.open(benchmark_dir / filename, "rt") as src, open(release, "w") as dst:
            shutil.copyfileobj(src, dst)
    samples = work / f"{name}_evalplus.jsonl"
    Path(str(samples).replace(".jsonl", "_eval_results.json")).unlink(missing_ok=True)  # else it asks to overwrite
    samples.write_text("".join(json.dumps({"task_id": t, "solution": s}) + "\n" for t, s in programs.items()))
    env = {**os.environ, env_key: str(release), "XDG_CACHE_HOME": str(work / "cache"), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "evalplus.evaluate", "--dataset", dataset, "--samples", str(samples),
               "--parallel", str(workers), "--i-just-wanna-run"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=7200, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"evalplus failed:\n{done.stderr[-3000:]}")
    results = json.loads(Path(str(samples).replace(".jsonl", "_eval_results.json")).read_text())
    verdicts = {}
    for task_id, rows in results["eval"].items():
        row = rows[0]
        verdicts[task_id] = row["base_status"] == "pass" and row["plus_status"] == "pass"
    return verdicts, elapsed


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import snowcoder_hf.evalsets.registry as registry
    from snowcoder_hf.evalsets.registry import load_benchmark

    # The registry's orjson fast path reads integers beyond 64 bits (HumanEval/79, /108, /131 plus
    # inputs) as floats; EvalPlus reads them with `json`. Read them the same way here.
    registry._loads = json.loads
    from snowcoder_hf.eval.expected import expected_outputs
    from snowcoder_hf.eval.harness import HarnessConfig, check_programs
    from snowcoder_hf.eval.samples import read_samples, solution_program

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples-dir", required=True, help="folder with <benchmark>.jsonl sample files")
    parser.add_argument("--benchmark-dir", required=True)
    parser.add_argument("--benchmarks", default="humaneval_plus,mbpp_plus")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--output", default=None, help="JSON with per-task verdicts of both evaluators")
    args = parser.parse_args(argv)
    report = {}
    with tempfile.TemporaryDirectory(prefix="eval-bench-") as tmp:
        work = Path(tmp)
        config = HarnessConfig(workers=args.workers, cache_dir=str(work / "ours"))
        for name in args.benchmarks.split(","):
            items = {i.task_id: i for i in load_benchmark(name, args.benchmark_dir)}
            samples = read_samples(Path(args.samples_dir) / f"{name}.jsonl").samples[: args.limit]
            chosen = [items[s["task_id"]] for s in samples]
            programs = {item.task_id: solution_program(item, s) for item, s in zip(chosen, samples, strict=True)}
            # warm-up: both ground truths (ours: the expected-output cache; EvalPlus: its pickle)
            expected_outputs(chosen, config)
            # EvalPlus insists on a sample for every problem: its warm-up is a full run (also a determinism check)
            warm, _ = run_evalplus(name, programs, Path(args.benchmark_dir), work, args.workers)
            start = time.perf_counter()
            ours = check_programs(chosen, [programs[i.task_id] for i in chosen], config)
            ours_s = time.perf_counter() - start
            theirs, theirs_s = run_evalplus(name, programs, Path(args.benchmark_dir), work, args.workers)
            ours_map = {r.task_id: r for r in ours}
            disagree = [t for t in programs if ours_map[t].passed != theirs.get(t)]
            report[name] = {
                "tasks": len(programs),
                "ours_pass": sum(r.passed for r in ours),
                "evalplus_pass": sum(theirs.values()),
                "agree": len(programs) - len(disagree),
                "disagreements": [
                    {
                        "task_id": t,
                        "ours": ours_map[t].status,
                        "ours_detail": ours_map[t].detail,
                        "evalplus_pass": theirs.get(t),
                    }
                    for t in disagree
                ],  # fmt: skip
                "ours_tasks_per_s": len(programs) / ours_s,
                "evalplus_tasks_per_s": len(programs) / theirs_s,
                "speed_ratio": theirs_s / ours_s,
                "evalplus_runs_agree": warm == theirs,
            }
            entry = report[name]
            print(f"{name}: agree {entry['agree']}/{entry['tasks']}; pass ours {entry['ours_pass']} vs evalplus "
                  f"{entry['evalplus_pass']}; tasks/s ours {entry['ours_tasks_per_s']:.2f} vs evalplus "
                  f"{entry['evalplus_tasks_per_s']:.2f} (x{entry['speed_ratio']:.2f})")  # fmt: skip
            for row in entry["disagreements"]:
                print(f"  {row['task_id']}: ours {row['ours']} ({row['ours_detail'][:120]}), evalplus "
                      f"{'pass' if row['evalplus_pass'] else 'fail'}")  # fmt: skip
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
