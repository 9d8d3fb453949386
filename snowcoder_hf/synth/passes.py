"""Generation passes of one run: the main pass, then rerun passes for requests that failed earlier.

A run with equal settings lives in one `work/<fingerprint>/` folder. Its main pass asks every planned
request once (resuming from checkpoints after a kill). A request that still fails after its retries
is recorded with `status: failed` and the time it failed. A later invocation with the same settings
asks exactly those requests again, in a rerun pass under `work/<fingerprint>/reruns/NN/` (its own
plan subset, checkpoints and DataTrove logs, so a rerun pass killed halfway resumes too), and never
re-asks a request that has an answer. Failures recorded during the current invocation are left for
the next one: retrying at once, right after `max_retries` backed-off attempts, would mostly hit the
same outage.

`merge_answers` then writes one record per planned request, in plan order, the latest answer of
each, for post-processing.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

RERUNS = "reruns"
WORK_COMPRESSLEVEL = 1  # work files are read back once, by this module: speed over size (gzip's default is 9)


def is_complete(pass_dir: Path) -> bool:
    """DataTrove writes `completions/00000` once the (single) generation task has finished."""
    return (pass_dir / "logs" / "generate" / "completions" / "00000").exists()


def pass_dirs(work_dir: Path) -> list[Path]:
    """The main pass (the work folder itself), then the rerun passes in order."""
    reruns = sorted((p for p in (work_dir / RERUNS).glob("*") if p.is_dir() and p.name.isdigit()),
                    key=lambda p: int(p.name))  # fmt: skip
    return [work_dir, *reruns]


def read_records(folder: Path) -> Iterator[dict]:
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def _status(record: dict) -> dict:
    results = (record.get("metadata") or {}).get("generation") or [{"status": "failed", "error": "no rollout result"}]
    return results[0]


def latest_answers(work_dir: Path) -> dict[str, dict]:
    """The latest raw record of every request over all passes; an answer is never replaced by a failure."""
    latest: dict[str, dict] = {}
    for pass_dir in pass_dirs(work_dir):
        for record in read_records(pass_dir / "raw"):
            old = latest.get(record["id"])
            if old is None or _status(old).get("status") != "ok":
                latest[record["id"]] = record
    return latest


def failed_before(work_dir: Path, started: float, latest: dict[str, dict] | None = None) -> list[str]:
    """Ids whose latest record is a failure recorded before `started` (records without a time count as old).
    `latest`: `latest_answers(work_dir)` when the caller has it already."""
    out = []
    for doc_id, record in (latest if latest is not None else latest_answers(work_dir)).items():
        status = _status(record)
        if status.get("status") != "ok" and float(status.get("failed_at") or 0.0) < started:
            out.append(doc_id)
    return out


def new_rerun_pass(work_dir: Path, doc_ids: list[str]) -> Path:
    """A rerun pass folder whose plan is the given requests, in the main plan's order."""
    wanted = set(doc_ids)
    existing = pass_dirs(work_dir)[1:]
    pass_dir = work_dir / RERUNS / f"{(int(existing[-1].name) + 1) if existing else 1:02d}"
    pass_dir.mkdir(parents=True, exist_ok=True)
    tmp = pass_dir / "plan.tmp"
    with gzip.open(work_dir / "plan.jsonl.gz", "rt", encoding="utf-8") as src, \
            gzip.open(tmp, "wt", compresslevel=WORK_COMPRESSLEVEL) as dst:  # fmt: skip
        for line in src:
            if line.strip() and json.loads(line)["id"] in wanted:
                dst.write(line if line.endswith("\n") else line + "\n")
    tmp.replace(pass_dir / "plan.jsonl.gz")
    return pass_dir


def merge_answers(work_dir: Path, out_dir: Path, latest: dict[str, dict] | None = None) -> tuple[int, int]:
    """Write the latest record of every planned request, in plan order, to `out_dir`; return (ok, failed).
    `latest`: `latest_answers(work_dir)` when the caller has it already (no pass ran since)."""
    latest = latest if latest is not None else latest_answers(work_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.jsonl.gz"):
        stale.unlink()
    ok = failed = 0
    tmp = out_dir / "answers.tmp"
    with gzip.open(work_dir / "plan.jsonl.gz", "rt", encoding="utf-8") as plan, \
            gzip.open(tmp, "wt", compresslevel=WORK_COMPRESSLEVEL) as dst:  # fmt: skip
        for line in plan:
            if not line.strip():
                continue
            record = latest.get(json.loads(line)["id"])
            if record is None:
                continue  # only possible when the generation task itself failed; counted by the caller
            ok_now = _status(record).get("status") == "ok"
            ok, failed = ok + ok_now, failed + (not ok_now)
            dst.write(json.dumps(record) + "\n")
    tmp.replace(out_dir / "00000.jsonl.gz")
    return ok, failed
