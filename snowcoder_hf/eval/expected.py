"""Expected outputs and reference times: the canonical solution run on every input, as EvalPlus and
EvoEval compute their ground truth. Runs in the sandbox too, and is cached by content hash."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

_VERSION = "2"  # bump when the driver or the wire format changes


def cache_dir(config) -> Path:
    base = config.cache_dir or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "snowcoder_hf" / "expected" if not config.cache_dir else Path(config.cache_dir)


def _key(item) -> str:
    fields = {k: item.raw.get(k) for k in ("base_input", "plus_input", "inputs", "atol")}
    blob = json.dumps([_VERSION, item.benchmark, item.task_id, item.prompt, item.solution, fields], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


class CanonicalSolutionError(RuntimeError):
    """A canonical solution failed to run: a harness bug, or an upstream issue to document."""


def expected_outputs(items, config) -> dict[tuple[str, str], dict]:
    """`{(benchmark, task_id): {split: {"outputs": [...encoded...], "times": [...]}}}` for `items`."""
    from snowcoder_hf.eval.jobs import diff_job, program_for, read_record
    from snowcoder_hf.eval.sandbox.runner import run_many

    folder = cache_dir(config)
    found, todo = {}, []
    for item in items:
        path = folder / f"{_key(item)}.json"
        if path.exists():
            found[(item.benchmark, item.task_id)] = json.loads(path.read_text())
        else:
            todo.append(item)
    if not todo:
        return found
    jobs, nonces = [], []
    for item in todo:
        nonce = secrets.token_hex(16)
        job = diff_job(item, program_for(item), None, config)
        # EvalPlus computes ground truth unconfined; some outputs (Mbpp/255) are hundreds of MB as JSON.
        job["memory_mb"] = max(job["memory_mb"], 4 * config.memory_mb)
        jobs.append({**job, "stdin": nonce + "\n"})
        nonces.append(nonce)
    folder.mkdir(parents=True, exist_ok=True)
    failures = []
    for item, nonce, result in zip(todo, nonces, run_many(jobs, workers=config.workers), strict=True):
        record = read_record(result, nonce)
        splits = [s for s in ("base", "plus") if record and s in record]
        broken = record is None or record.get("load_error") or any(record[s]["error"] for s in splits)
        if broken:
            reason = (record or {}).get("load_error") or next((record[s]["error"] for s in splits
                                                              if record[s]["error"]), result.stderr[-300:])  # fmt: skip
            failures.append(f"{item.benchmark} {item.task_id}: {reason}")
            continue
        value = {s: {"outputs": record[s]["outputs"], "times": record[s]["times"]} for s in splits}
        tmp = folder / f".{_key(item)}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(value))
        tmp.replace(folder / f"{_key(item)}.json")
        found[(item.benchmark, item.task_id)] = value
    if failures:
        raise CanonicalSolutionError("canonical solutions failed:\n" + "\n".join(failures))
    return found
