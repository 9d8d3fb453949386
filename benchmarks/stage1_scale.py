"""Stage 1 at scale: the whole chain on a real multi-language corpus, measured stage by stage.

Reads a corpus in The Stack's parquet shape (as `benchmarks/corpus.py` writes it) through stage 1's Hub-shaped
reader with `recipes/configs/scale/stage1_data_corpus.yaml`, and runs every DataTrove stage of `run_stage1`
(read -> language id -> heuristics -> exact dedup -> near dedup -> decontamination -> repo documents ->
tokenizer -> tokens) in a child process of its own, so that `wait4` gives each stage's exact CPU time and
the peak RSS of its largest process; a sampler adds the whole process tree's RSS and open files. The blocks
inside a stage get the stage's CPU in proportion to their in-task time. The run ends with `run_stage1` on the
same folder, which finds every task done and writes the report, as a resumed run would.

Subcommands:
    subset   a nested sample of a corpus: every file whose (repo, path) hash falls under `--fraction`
    run      stage 1 on a corpus with the local executor (or `--executor ray`: a local Ray cluster of
             `--workers` CPUs); `--kill STAGE:S ...` kills the run S seconds into each STAGE (SIGKILL to
             the stage's process group), then resumes it; writes OUT/bench.json
    compare  hash every output shard of two runs (decompressed, so gzip's timestamps do not count)
    report   the tables of benchmarks/results/stage1_scale.md from the bench.json of several runs
    audit    language id + heuristics over a whole corpus, every drop with its evidence (stage1_scale_audit.py);
             `audit-diff OLD NEW` lists the drops two versions of the rules disagree on

Usage (what benchmarks/results/stage1_scale.md reports; scratch folders relative to where it runs):
    python benchmarks/corpus.py --size large --output corpus-large
    for f in 0.1 0.3; do python benchmarks/stage1_scale.py subset --corpus corpus-large --fraction $f \
        --output corpus-large-$f; done
    python benchmarks/stage1_scale.py run --corpus corpus-large-0.1 --output s1/p10
    python benchmarks/stage1_scale.py run --corpus corpus-large-0.3 --output s1/p30
    python benchmarks/stage1_scale.py run --corpus corpus-large --output s1/p100
    python benchmarks/stage1_scale.py run --corpus corpus-large --output s1/p100_killed \
        --kill dedup_filter:50 tokenize:250 --reference s1/p100
    python benchmarks/stage1_scale.py compare s1/p100 s1/p100_killed
    python benchmarks/stage1_scale.py run --corpus corpus-large-0.3 --output s1/p30_ray --executor ray \
        --tokenizer s1/p30/tokenizer --reference s1/p30 --set dedup.layout=one_pass
    python benchmarks/stage1_scale.py report --runs s1/p10 s1/p30 s1/p100 \
        --resume s1/p100_killed --ray s1/p30_ray --results benchmarks/results/stage1_scale.md
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper modules beside this script
CONFIG = REPO / "recipes" / "configs" / "scale" / "stage1_data_corpus.yaml"
CHILD_ENV = {"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "RAYON_NUM_THREADS": "1"}


def _config(corpus: Path, out: Path, overrides: list[str]):
    from snowcoder_hf.stages.stage1_config import load_config

    extra = {"source.dataset": str(corpus), "output_dir": str(out)}
    for item in overrides:
        key, _, value = item.partition("=")
        import yaml

        extra[key] = yaml.safe_load(value)
    return load_config(CONFIG, extra)


# ---------------------------------------------------------------- child steps (one process per stage)


def _child(args) -> None:
    """Run one stage of the saved config (`_stage NAME`), the tokenizer training (`_tokenizer`) or the report."""
    from snowcoder_hf.stages.runner import run_stages
    from snowcoder_hf.stages.stage1_config import Stage1Config, from_dict
    from snowcoder_hf.stages.stage1_data import _ensure_tokenizer, _tokenize_stage, build_stages, run_stage1

    config = from_dict(Stage1Config, json.loads(Path(args.config_json).read_text()))
    out = Path(config.output_dir)
    if args.step == "tokenizer":
        _ensure_tokenizer(config, out)
    elif args.step == "report":
        run_stage1(config)
    elif args.step == "tokenize":
        tokenizer = Path(config.tokenizer.path) if not config.tokenizer.train else out / "tokenizer"
        run_stages([_tokenize_stage(config, tokenizer)], config.executor, out / "stats")
    else:
        (stage,) = [s for s in build_stages(config) if s.name == args.step]
        run_stages([stage], config.executor, out / "stats")


class TreeSampler(threading.Thread):
    """Every `interval` s: RSS summed over a process and its descendants, and the most open files of any of them."""

    def __init__(self, pid: int, interval: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.tree_rss = 0
        self.open_files = 0
        self._stop = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.wait(self.interval):
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            rss, files = 0, 0
            for proc in procs:
                try:
                    rss += proc.memory_info().rss
                    files = max(files, proc.num_fds())
                except psutil.NoSuchProcess:
                    continue
            self.tree_rss, self.open_files = max(self.tree_rss, rss), max(self.open_files, files)

    def stop(self) -> None:
        self._stop.set()


def run_step(out: Path, step: str, log_dir: Path, kill_after: float | None = None) -> dict:
    """Run one child step; returns wall and CPU seconds, peak RSS (largest process, and the tree) and open files.
    With `kill_after`, the step's whole process group is killed that many seconds in."""
    log_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "_child", "--config-json", str(out / "config.json"), "--step", step]
    env = {**os.environ, **CHILD_ENV}
    with open(log_dir / f"{step}.log", "ab") as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        sampler = TreeSampler(process.pid)
        sampler.start()
        killed = False
        deadline = None if kill_after is None else start + kill_after
        while True:  # wait4, not Popen.wait: it returns the rusage of the step's whole process tree
            pid, status, usage = os.wait4(process.pid, 0 if deadline is None else os.WNOHANG)
            if pid:
                break
            if time.perf_counter() >= deadline:
                os.killpg(process.pid, signal.SIGKILL)
                killed, deadline = True, None
            else:
                time.sleep(0.2)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        sampler.stop()
    if not killed and process.returncode != 0:
        raise RuntimeError(f"step {step} failed with exit code {process.returncode}; see {log_dir / (step + '.log')}")
    return {"step": step, "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "tree_rss_mb": round(sampler.tree_rss / 2**20, 1),
            "open_files": sampler.open_files, "killed": killed}  # fmt: skip


def _folder_sizes(out: Path) -> dict[str, int]:
    sizes = {}
    for child in sorted(out.iterdir()):
        if child.is_dir():
            sizes[child.name] = sum(p.stat().st_size for p in child.rglob("*") if p.is_file())
    work = out / "work"
    if work.is_dir():
        for child in sorted(work.iterdir()):
            sizes[f"work/{child.name}"] = sum(p.stat().st_size for p in child.rglob("*") if p.is_file())
    return sizes


def _local_run(config, out: Path, kills: dict[str, float]) -> tuple[list[dict], list[dict]]:
    from snowcoder_hf.stages.stage1_data import build_stages

    steps = [s.name for s in build_stages(config)] + (["tokenizer"] if config.tokenizer.train else []) + ["tokenize"]
    unknown = sorted(set(kills) - set(steps))
    if unknown:
        raise SystemExit(f"error: --kill names no stage of this run: {unknown}; stages: {steps}.")
    measured, killed = [], []
    for step in steps:
        if step in kills:
            row = run_step(out, step, out / "bench_logs", kill_after=kills[step])
            if not row["killed"]:
                raise RuntimeError(f"step {step} finished in under {kills[step]} s: kill it earlier.")
            killed.append(row)
            print(f"killed {step} after {row['wall_s']:.0f} s; resuming", flush=True)
        measured.append(run_step(out, step, out / "bench_logs"))
        row = measured[-1]
        print(f"{step:18s} wall {row['wall_s']:8.1f} s  cpu {row['cpu_s']:8.1f} s  peak rss {row['peak_rss_mb']:7.0f} MB  "
              f"tree {row['tree_rss_mb']:7.0f} MB  fds {row['open_files']}", flush=True)  # fmt: skip
    return measured, killed


def _ray_run(config, out: Path, workers: int) -> list[dict]:
    """The same chain on DataTrove's Ray executor, against a local cluster of `workers` CPUs started here."""
    import ray

    from snowcoder_hf.stages.stage1_data import run_stage1

    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, object_store_memory=200 * 2**20,
             runtime_env={"env_vars": CHILD_ENV})  # fmt: skip
    try:
        start = time.perf_counter()
        run_stage1(config)  # submits the chained stages and returns when the last one is done
        wall = time.perf_counter() - start
    finally:
        ray.shutdown()
    return [{"step": "all stages (ray)", "wall_s": round(wall, 2)}]


def cmd_run(args) -> None:
    from snowcoder_hf.stages.stage1_config import load_config  # noqa: F401  (fails early without the package)

    out = args.output
    if out.exists() and any(out.iterdir()) and not args.resume:
        raise SystemExit(f"error: --output {out} is not empty; pass --resume to continue a run there.")
    overrides = list(args.set or [])
    if args.executor == "ray":
        overrides += [(f"executor={{type: ray, tasks: {args.tasks}, workers: {args.workers}, cpus_per_task: 1, "
                      f"mem_per_cpu_gb: 2}}")]  # fmt: skip
        if not args.tokenizer:
            raise SystemExit("error: --executor ray needs --tokenizer (a cluster run does not train one).")
    else:
        overrides += [f"executor={{type: local, tasks: {args.tasks}, workers: {args.workers}}}"]
    if args.tokenizer:
        overrides += ["tokenizer.train=false", f"tokenizer.path={args.tokenizer}"]
    config = _config(args.corpus, out, overrides)
    out.mkdir(parents=True, exist_ok=True)
    from dataclasses import asdict

    (out / "config.json").write_text(json.dumps(asdict(config), indent=2, default=str))
    from stage1_scale_stats import corpus_stats

    corpus = corpus_stats(args.corpus)
    print(f"corpus {args.corpus}: {corpus['files']:,} files, {corpus['bytes'] / 1e6:,.1f} MB", flush=True)
    start = time.perf_counter()
    kill = None
    if args.executor == "ray":
        steps = _ray_run(config, out, args.workers)
    else:
        kills = {}
        for item in args.kill or []:
            stage, _, seconds = item.partition(":")
            kills[stage] = float(seconds or 60)
        steps, kill = _local_run(config, out, kills)
    report = run_step(out, "report", out / "bench_logs") if args.executor == "local" else None
    if args.executor == "ray":  # the first call ran the chain; this one finds it done and writes the report
        report = run_step(out, "report", out / "bench_logs")
    total = time.perf_counter() - start
    from stage1_scale_stats import language_licence_table, shard_digests, stage_blocks

    result = {
        "corpus": str(args.corpus), "corpus_stats": corpus, "executor": args.executor, "tasks": args.tasks,
        "workers": args.workers, "steps": steps, "report": report, "kill": kill, "total_wall_s": round(total, 1),
        "blocks": stage_blocks(out, [s["step"] for s in steps] if args.executor == "local" else None),
        "folders": _folder_sizes(out), "languages": language_licence_table(out, args.corpus),
        "digests": shard_digests(out), "load_average": os.getloadavg(),
    }  # fmt: skip
    (out / "bench.json").write_text(json.dumps(result, indent=1))
    print(f"done in {total:,.0f} s; {out / 'bench.json'}")
    if args.reference:
        _print_comparison(Path(args.reference), out)


def _print_comparison(a: Path, b: Path) -> bool:
    from stage1_scale_stats import compare_digests, shard_digests

    same, lines = compare_digests(shard_digests(a), shard_digests(b))
    print("\n".join(lines))
    return same


def cmd_compare(args) -> None:
    sys.exit(0 if _print_comparison(args.a, args.b) else 1)


def cmd_subset(args) -> None:
    from stage1_scale_stats import write_subset

    if not 0 < args.fraction <= 1:
        raise SystemExit(f"error: --fraction must be in (0, 1], got {args.fraction}.")
    rows, kept = write_subset(args.corpus, args.output, args.fraction)
    print(f"{kept:,} of {rows:,} files ({kept / max(rows, 1):.1%}) -> {args.output}")


def cmd_report(args) -> None:
    from stage1_scale_report import render

    runs = [json.loads((Path(r) / "bench.json").read_text()) for r in args.runs]
    resume = json.loads((args.resume / "bench.json").read_text()) if args.resume else None
    ray = json.loads((args.ray / "bench.json").read_text()) if args.ray else None
    text = render(runs, resume, ray, args.command_lines)
    if args.results:
        args.results.write_text(text)
    print(text)


def cmd_audit(args) -> None:
    from stage1_scale_audit import audit

    summary = audit(args.corpus, args.output)
    print(json.dumps(summary, indent=1))


def cmd_audit_diff(args) -> None:
    from stage1_scale_audit import audit_diff

    text = audit_diff(args.old, args.new)
    if args.results:
        args.results.write_text(text + "\n")
    print(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("subset", help="a nested sample of a corpus")
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--fraction", type=float, required=True)
    p.add_argument("--output", type=Path, required=True)
    p.set_defaults(func=cmd_subset)
    p = sub.add_parser("run", help="stage 1 on a corpus, measured")
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--output", type=Path, required=True)
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument("--tasks", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--tokenizer", default=None, help="an existing tokenizer folder (needed with --executor ray)")
    p.add_argument("--kill", nargs="*", metavar="STAGE:SECONDS", help="kill the run SECONDS into STAGE, then resume")
    p.add_argument("--reference", type=Path, default=None, help="a finished run to compare every shard with")
    p.add_argument("--resume", action="store_true", help="continue in a non-empty --output")
    p.add_argument("--set", nargs="*", help="config overrides, dotted.key=value")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("compare", help="hash every output shard of two runs")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("report", help="benchmarks/results/stage1_scale.md from finished runs")
    p.add_argument("--runs", nargs="+", required=True, help="runs of growing fractions of one corpus")
    p.add_argument("--resume", type=Path, default=None, help="a killed-and-resumed run of the last --runs corpus")
    p.add_argument("--ray", type=Path, default=None, help="a Ray run (compared with the --runs run on its corpus)")
    p.add_argument("--command-lines", nargs="*", default=[], help="the commands to print under the tables")
    p.add_argument("--results", type=Path, default=None)
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("audit", help="language id + heuristics over a corpus, every drop with its evidence")
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--output", type=Path, required=True, help="a .jsonl of drops (and OUTPUT.counts.json)")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("audit-diff", help="the drops two audits disagree on, as markdown")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--results", type=Path, default=None)
    p.set_defaults(func=cmd_audit_diff)
    p = sub.add_parser("_child", help=argparse.SUPPRESS)
    p.add_argument("--config-json", required=True)
    p.add_argument("--step", required=True)
    p.set_defaults(func=_child)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
