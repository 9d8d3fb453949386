"""ANN-EDU ratings: an LLM rates each file's educational value from 1 to 5 (after phi-1).

Requests go through the stage-3 generator's callers (`snowcoder_hf.synth.callers.make_caller`), so the
same `--endpoint`/`--model` work with TGI, vLLM, SGLang, llama.cpp and `transformers serve`, or with
TGI's native route (`api: tgi-native`), with the same bounded, backed-off retries of 429s, 5xx,
timeouts and garbage bodies. The prompt is package data
(`prompts/edu_rating.txt`). An answer without a readable 1-5 score is counted and asked again with a
new seed, up to `unparsed_retries` times, then recorded as `unparsed`: never silently scored.

Every finished rating is appended at once to `CACHE/ratings.jsonl`, keyed by (document id, prompt
fingerprint, model), so a killed run resumes without asking again, and a changed prompt or model
never reuses an old rating. On TGI's native route the prompt fingerprint also covers the client-side
prompt format (the chat template's digest, or raw). The output is the `{id, text, score}` JSONL `annotator build-data --ratings` reads.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from snowcoder_hf.synth.callers import make_caller, request_identity
from snowcoder_hf.synth.client import ChatCaller, EndpointConfig, PermanentError, RetryableError
from snowcoder_hf.synth.fingerprint import canonical_json

_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
_LABELED = re.compile(
    r"(?:educational\s+value|edu(?:cational)?\s+score|score|rating)\s*(?:\(\s*1\s*(?:-|to)\s*5\s*\))?\s*"
    rf"(?:is|of|=|:|-)?\s*[*_`]*\s*{_NUMBER}\s*(?:/\s*([0-9]+)|out\s+of\s+([0-9]+))?",
    re.IGNORECASE,
)
_OUT_OF_FIVE = re.compile(rf"\b{_NUMBER}\s*(?:/|out\s+of)\s*5\b", re.IGNORECASE)
_BARE = re.compile(rf"^[\s*_`]*{_NUMBER}[\s*_`.]*$")


def parse_score(answer: str) -> float | None:
    """The 1-5 score an answer gives, or None when it gives none (or one outside 1-5).

    Read in order: the last labelled score ("Educational value: 4", "**Score:** 3/5", "rating is 2");
    else the last "N/5" or "N out of 5"; else an answer that is only a number.
    """
    if not isinstance(answer, str) or not answer.strip():
        return None
    labeled = list(_LABELED.finditer(answer))
    if labeled:
        value, slash, out_of = labeled[-1].groups()
        denominator = slash or out_of
        if denominator is not None and denominator != "5":
            return None
    else:
        match = list(_OUT_OF_FIVE.finditer(answer)) or [_BARE.match(answer.strip())]
        if match[-1] is None:
            return None
        value = match[-1].group(1)
    score = float(value)
    return score if 1.0 <= score <= 5.0 else None


@functools.cache
def prompt_template() -> str:
    return resources.files("snowcoder_hf.annotator").joinpath("prompts/edu_rating.txt").read_text(encoding="utf-8")


@dataclass
class RatingSettings:
    """Everything that shapes an answer; its fingerprint keys the cache (with the document id and model)."""

    max_chars: int = 6000  # the top of the file is rated; a 1 MB file would not fit a context window
    max_tokens: int = 128
    temperature: float = 0.0  # first attempt greedy; retries after an unparsed answer sample
    retry_temperature: float = 0.7
    unparsed_retries: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_chars < 1 or self.max_tokens < 1:
            raise ValueError("`max_chars` and `max_tokens` must be at least 1.")
        if self.unparsed_retries < 0:
            raise ValueError(f"`unparsed_retries` must be >= 0, got {self.unparsed_retries}.")

    def fingerprint(self, request: dict | None = None) -> str:
        """`request`: how the prompt reaches the model (`synth.callers.request_identity`); empty for chat."""
        settings = {k: v for k, v in vars(self).items()} | {"prompt": prompt_template()}
        if request:
            settings["request"] = request
        return hashlib.sha256(canonical_json(settings).encode("utf-8")).hexdigest()[:16]


def cache_key(doc_id: str, prompt_fingerprint: str, model: str) -> str:
    return hashlib.sha256(canonical_json([doc_id, prompt_fingerprint, model]).encode("utf-8")).hexdigest()[:32]


def build_messages(text: str, metadata: dict, max_chars: int) -> list[dict]:
    code = text[:max_chars].encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be sent
    prompt = Template(prompt_template()).safe_substitute(
        language=metadata.get("language") or "source", path=metadata.get("path") or "unknown", code=code
    )
    return [{"role": "user", "content": prompt}]


class RatingCache:
    """Append-only JSONL of finished ratings; a line torn by a kill is counted and ignored."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "ratings.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.records: dict[str, dict] = {}
        self.torn_lines = 0
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    record = json.loads(line)
                    self.records[record["key"]] = record
                except (json.JSONDecodeError, KeyError, TypeError):
                    self.torn_lines += 1
        self._file = None

    def add(self, record: dict) -> None:
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
            if self.path.stat().st_size and not self.path.read_bytes().endswith(b"\n"):
                self._file.write("\n")  # end a torn line so the next record stays readable
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()  # in the kernel's hands: survives the process being killed
        self.records[record["key"]] = record

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class RatingSummary:
    documents: int = 0
    rated: int = 0
    resumed: int = 0
    unparsed: int = 0
    failed: int = 0
    unparsed_answers: int = 0  # every answer without a score, retried ones included
    request_retries: int = 0
    retry_reasons: dict = field(default_factory=dict)
    scores: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)
    written: int = 0
    elapsed_s: float = 0.0


async def _rate(caller: ChatCaller, doc, key: str, settings: RatingSettings, model: str, fp: str) -> dict:
    """One document: ask, parse, ask again with a new seed while the answer has no score."""
    messages = build_messages(doc.text, doc.metadata, settings.max_chars)
    base_seed = int(key[:8], 16) ^ settings.seed
    answers = []
    for attempt in range(settings.unparsed_retries + 1):
        temperature = settings.temperature if attempt == 0 else settings.retry_temperature
        payload = {"messages": messages, "max_tokens": settings.max_tokens, "temperature": temperature,
                   "seed": (base_seed + attempt) & 0x7FFFFFFF}  # fmt: skip
        content = (await caller.complete(payload))["choices"][0]["message"]["content"]
        score = parse_score(content)
        answers.append(content[:500])
        if score is not None:
            return {"key": key, "id": doc.id, "model": model, "prompt_fingerprint": fp, "status": "ok",
                    "score": score, "answer": content[:500], "attempts": attempt + 1}  # fmt: skip
    return {"key": key, "id": doc.id, "model": model, "prompt_fingerprint": fp, "status": "unparsed",
            "score": None, "answers": answers, "attempts": len(answers)}  # fmt: skip


async def _rate_all(documents, cache: RatingCache, endpoint: EndpointConfig, settings: RatingSettings,
                    concurrency: int, summary: RatingSummary, progress, fp: str) -> None:  # fmt: skip
    caller = make_caller(endpoint, max_connections=concurrency, on_retry=progress.on_retry)
    slots = asyncio.Semaphore(concurrency)
    pending: set[asyncio.Task] = set()
    seen: set[str] = set()

    async def one(doc, key: str) -> None:
        try:
            record = await _rate(caller, doc, key, settings, endpoint.model, fp)
        except (RetryableError, PermanentError) as err:
            summary.failed += 1  # not cached: a rerun asks again
            if len(summary.errors) < 5:
                summary.errors.append(f"{doc.id}: {type(err).__name__}: {str(err)[:200]}")
            progress.on_result(False, 0)
            return
        finally:
            slots.release()
        summary.unparsed_answers += record["attempts"] - (record["status"] == "ok")
        cache.add(record)
        progress.on_result(record["status"] == "ok", 0)

    try:
        for doc in documents:
            summary.documents += 1
            key = cache_key(doc.id, fp, endpoint.model)
            if key in seen:
                continue  # a repeated id: one rating serves both
            seen.add(key)
            if key in cache.records:
                summary.resumed += 1
                progress.on_resume(1)
                continue
            await slots.acquire()
            task = asyncio.create_task(one(doc, key))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.gather(*pending)
    finally:
        for task in pending:
            task.cancel()
        await caller.close()


def _read_documents(input_path: str):
    from snowcoder_hf.pipeline.document_files import DocumentFileReader

    return DocumentFileReader(input_path).run()


def rate_files(input_path: str, output: str | Path, endpoint: EndpointConfig, *, settings: RatingSettings | None = None,
               concurrency: int = 16, cache_dir: str | Path | None = None, probe: bool = True,
               show_progress: bool = True) -> RatingSummary:  # fmt: skip
    """Rate every document of `input_path` and write `{id, text, score}` JSONL to `output`."""
    from snowcoder_hf.synth.client import probe_endpoint
    from snowcoder_hf.synth.runner import GenerationProgress

    if concurrency < 1:
        raise ValueError(f"`concurrency` must be at least 1, got {concurrency}.")
    output = Path(output)
    if output.suffix == ".gz":
        raise ValueError(f"`output` must be a plain .jsonl file (build-data reads it as text), got {output}.")
    settings = settings or RatingSettings()
    if probe:
        probe_endpoint(endpoint)
    cache = RatingCache(cache_dir or output.with_name(output.name + ".cache"))
    summary = RatingSummary()
    progress = GenerationProgress(total=None, enabled=show_progress)
    if progress._bar is not None:
        progress._bar.set_description("rate")
    start = time.perf_counter()
    fp = settings.fingerprint(request_identity(endpoint))
    try:
        asyncio.run(_rate_all(_read_documents(input_path), cache, endpoint, settings, concurrency, summary, progress,
                              fp))  # fmt: skip
    finally:
        progress.close()
        cache.close()
        summary.request_retries, summary.retry_reasons = progress.retried, dict(progress.retry_reasons)
    _write_ratings(input_path, output, cache, fp, endpoint.model, summary)
    summary.elapsed_s = time.perf_counter() - start
    return summary


def _write_ratings(input_path: str, output: Path, cache: RatingCache, fp: str, model: str,
                   summary: RatingSummary) -> None:  # fmt: skip
    """Join the cache with the input (in input order, one line per id), atomically."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    written: set[str] = set()
    with tmp.open("w", encoding="utf-8") as f:
        for doc in _read_documents(input_path):
            record = cache.records.get(cache_key(doc.id, fp, model))
            if record is None or doc.id in written:
                continue
            written.add(doc.id)
            if record["status"] != "ok":
                summary.unparsed += 1
                continue
            summary.scores[record["score"]] += 1
            line = {"id": doc.id, "text": doc.text, "score": record["score"], "model": model, "prompt_fingerprint": fp}
            f.write(json.dumps(line) + "\n")  # ASCII escapes: lone surrogates stay writable
    os.replace(tmp, output)
    summary.written = summary.rated = len(written) - summary.unparsed
