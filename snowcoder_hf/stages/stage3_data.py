"""`run_stage3(config)`: plan requests, generate them against a server, post-process, write the stage-3 set.

Layout of OUT:
    synthetic/          the stage-3 documents (jsonl.gz), with provenance in metadata
    removed/            what validation, dedup and decontamination dropped, with `filter_reason`
    mixture.yaml        the mixing config the training recipe reads
    report.md, summary.json
    work/<fingerprint>/ plan, raw generations, checkpoints and replay cache, DataTrove logs
A rerun with equal settings resumes in the same work folder; changed settings get a new one.
"""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from snowcoder_hf.synth.config import Stage3Config

logger = logging.getLogger(__name__)


@dataclass
class Stage3Result:
    output_dir: Path
    fingerprint: str
    planned: int
    kept: int
    reasons: dict[str, int]
    tokens: int
    tokens_per_language: dict[str, int]
    diversity: dict
    generation: dict = field(default_factory=dict)
    elapsed_s: float = 0.0


def build_plan(config: Stage3Config) -> tuple[list, Counter]:
    """The ordered request documents of a run, and the seed records dropped while reading."""
    from snowcoder_hf.synth.exercises import plan_exercises
    from snowcoder_hf.synth.mix import allocate, target_language_mix
    from snowcoder_hf.synth.oss_instruct import plan_oss_instruct
    from snowcoder_hf.synth.seeds import language_token_shares, read_seed_documents, select_seeds
    from snowcoder_hf.synth.textbook import plan_textbook

    if config.kind == "textbook":
        return plan_textbook(config.num_samples, config.run_seed, config.textbook_language), Counter()
    if config.kind == "exercises":
        return plan_exercises(config.num_samples, config.run_seed), Counter()
    documents, drops = read_seed_documents(config.input, max_chars=config.max_seed_chars)
    if not documents:
        raise ValueError(f"`--input` {config.input} holds no usable seed documents (dropped: {dict(drops)}).")
    shares = language_token_shares(documents)
    base = config.language_proportions or shares
    mix = target_language_mix({lang: v for lang, v in base.items() if lang in shares}, config.python_share)
    counts = allocate(config.num_samples, mix)
    selected = select_seeds(documents, counts, config.seed_policy, config.run_seed)
    return plan_oss_instruct(selected, config.run_seed), drops


def _write_plan(requests, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        for doc in requests:
            f.write(json.dumps({"id": doc.id, "text": doc.text, "metadata": doc.metadata}) + "\n")
    tmp.replace(path)


def _read_jsonl_gz(folder: Path):
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            yield from (json.loads(line) for line in f if line.strip())


def _generation_stats(logging_dir: Path) -> dict:
    stats_path = logging_dir / "stats.json"
    if not stats_path.exists():
        return {}
    out = {}
    for block in json.loads(stats_path.read_text()):
        for key, value in (block.get("stats") or {}).items():
            out[key] = value.get("total", value) if isinstance(value, dict) else value
    return out


def _run_pass(config: Stage3Config, endpoint, pass_dir: Path, total: int) -> dict:
    """One generation pass over `pass_dir/plan.jsonl.gz` (resumes from `pass_dir` checkpoints)."""
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    from snowcoder_hf.common.executors import build_executor
    from snowcoder_hf.synth.prompts import template_text
    from snowcoder_hf.synth.runner import SynthInferenceRunner

    runner = SynthInferenceRunner(
        endpoint, {"max_tokens": config.max_tokens, "temperature": config.temperature, "top_p": config.top_p},
        JsonlWriter(str(pass_dir / "raw"), output_filename="${rank}_chunk_${chunk_index}.jsonl.gz"),
        concurrency=config.concurrency, system_prompt=template_text("system").strip(),
        checkpoints_local_dir=str(pass_dir / "checkpoints"), records_per_chunk=config.records_per_chunk,
        total_requests=total, show_progress=config.show_progress,
    )  # fmt: skip
    reader = JsonlReader(str(pass_dir), glob_pattern="plan.jsonl.gz", compression="gzip")
    executor_config = {**config.executor, "tasks": 1, "workers": 1}  # one async client saturates the server
    build_executor([reader, runner], executor_config, str(pass_dir / "logs" / "generate")).run()
    return _generation_stats(pass_dir / "logs" / "generate")


def endpoint_config(config: Stage3Config):
    """Where and how the run's requests go."""
    from snowcoder_hf.synth.client import EndpointConfig

    return EndpointConfig(url=config.endpoint, model=config.model, token_env=config.token_env,
                          timeout_s=config.request_timeout_s, max_retries=config.max_retries,
                          backoff_s=config.backoff_s, api=config.api, native=config.tgi_native)  # fmt: skip


def generate(config: Stage3Config, requests, work_dir: Path) -> dict:
    """Ask every planned request once, and again those that failed in an earlier invocation.

    Finishes the main pass and any rerun pass a kill interrupted, then asks the requests whose latest
    answer is a failure recorded before this call started (see `snowcoder_hf.synth.passes`), and
    merges the latest answer of every request into `work_dir/answers/`."""
    from snowcoder_hf.synth import passes
    from snowcoder_hf.synth.client import probe_endpoint

    started = time.time()
    endpoint = endpoint_config(config)
    probe_endpoint(endpoint)  # fail fast, with a clear message, before anything starts
    stats: Counter = Counter()

    def add(pass_stats: dict) -> None:
        stats.update({k: v for k, v in pass_stats.items() if isinstance(v, (int, float))})

    for pass_dir in passes.pass_dirs(work_dir):
        if not passes.is_complete(pass_dir):
            total = len(requests) if pass_dir == work_dir else sum(1 for _ in passes.read_records(pass_dir))
            add(_run_pass(config, endpoint, pass_dir, total))
        elif pass_dir == work_dir:
            add(_generation_stats(work_dir / "logs" / "generate"))  # a finished run reports what it did
    latest = passes.latest_answers(work_dir)  # read once: the rerun decision and, without a rerun, the merge
    rerun = passes.failed_before(work_dir, started, latest)
    if rerun:
        logger.info("Asking again %d requests that failed in an earlier run.", len(rerun))
        add(_run_pass(config, endpoint, passes.new_rerun_pass(work_dir, rerun), len(rerun)))
    ok, failed = passes.merge_answers(work_dir, work_dir / "answers", None if rerun else latest)
    stats["requests_rerun"] = len(rerun)
    stats["requests_failed"] = failed  # failures left after every pass, not the sum over passes
    stats["requests_missing"] = len(requests) - ok - failed
    return dict(stats)


def run_stage3(config: Stage3Config) -> Stage3Result:
    """Plan, generate, validate, dedup, decontaminate; write OUT/synthetic, mixture.yaml and report.md."""
    from snowcoder_hf.common.code_text import code_tokens
    from snowcoder_hf.common.reporting import load_pipeline_stats
    from snowcoder_hf.synth.callers import request_identity
    from snowcoder_hf.synth.diversity import diversity_report
    from snowcoder_hf.synth.fingerprint import fingerprint, plan_digest
    from snowcoder_hf.synth.mix import write_mixture
    from snowcoder_hf.synth.postprocess import postprocess
    from snowcoder_hf.synth.prompts import template_text
    from snowcoder_hf.synth.report import write_report

    started = time.monotonic()
    output_dir = Path(config.output)
    requests, seed_drops = build_plan(config)
    prompt_names = sorted({doc.metadata["prompt_name"] for doc in requests} | {"system"})
    settings = {**config.generation_settings(), "prompts": {name: template_text(name) for name in prompt_names}}
    identity = request_identity(endpoint_config(config))
    if identity:  # TGI's native route: the client-side prompt format shapes the answers (chat runs keep their hash)
        settings["request"] = identity
    run_fingerprint = fingerprint(settings, plan_digest(requests))
    work_dir = output_dir / "work" / run_fingerprint
    for doc in requests:
        doc.metadata["fingerprint"] = run_fingerprint
    if not (work_dir / "plan.jsonl.gz").exists():
        _write_plan(requests, work_dir / "plan.jsonl.gz")
        (work_dir / "settings.json").write_text(json.dumps(settings, indent=2, default=str))
    others = [p.name for p in (output_dir / "work").iterdir() if p.is_dir() and p.name != run_fingerprint]
    if others:
        logger.warning(
            "OUT holds work of other settings (%s); this run uses only %s.", ", ".join(others), run_fingerprint
        )
    generation = generate(config, requests, work_dir)
    provenance = {"model": config.model, "model_revision": config.model_revision, "fingerprint": run_fingerprint,
                  "api": config.api,
                  "sampling": {"max_tokens": config.max_tokens, "temperature": config.temperature,
                               "top_p": config.top_p}}  # fmt: skip
    logs = postprocess(work_dir / "answers", output_dir, work_dir, provenance, benchmarks=list(config.decontaminate),
                       benchmark_dir=config.benchmark_dir, executor_config=config.executor,
                       near_dedup_threshold=config.near_dedup_threshold, min_lines=config.min_lines)  # fmt: skip
    reasons = Counter(seed_drops)
    blocks = [block for log in logs for block in load_pipeline_stats(log)]
    for block in blocks:
        reasons.update(block.reasons)
    kept_docs = list(_read_jsonl_gz(output_dir / "synthetic"))
    per_language = Counter()
    for record in kept_docs:
        per_language[record["metadata"]["language"]] += len(code_tokens(record["text"]))
    from datatrove.data import Document

    diversity = diversity_report([Document(text=r["text"], id=r["id"], metadata=r["metadata"]) for r in kept_docs])
    write_mixture(output_dir, config.synthetic_weight, config.replay, synthetic_kept=len(kept_docs))
    result = Stage3Result(output_dir=output_dir, fingerprint=run_fingerprint, planned=len(requests),
                          kept=len(kept_docs), reasons=dict(reasons), tokens=sum(per_language.values()),
                          tokens_per_language=dict(per_language), diversity=diversity, generation=generation,
                          elapsed_s=time.monotonic() - started)  # fmt: skip
    write_report(result, config, blocks)
    return result
