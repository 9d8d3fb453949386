"""DataTrove's `InferenceRunner`, talking through `AsyncInferenceClient`, with a live progress line.

What DataTrove 0.10.1 gives and we keep: bounded concurrency, chunked checkpoints with resume, and the
per-request replay cache (sqlite, keyed by document id, rollout and a hash of the whole payload, so
changed settings never replay an old answer). What we change, and why:

- the transport is `huggingface_hub.AsyncInferenceClient` (DataTrove posts with a raw socket to
  localhost and needs the `openai` package elsewhere), with a connection pool sized to the concurrency;
- retries happen in `ChatCaller` with configurable, capped backoff that honours `Retry-After`.
  DataTrove's own loop retries only transport errors, sleeps 5 s, 10 s, ... 160 s, and treats a
  localhost 429 as fatal and a 500 as a reason to stop the whole task;
- the readiness probe asks `/health` then `/v1/models`, with the token, a few times only
  (DataTrove's default waits 300 x 5 s = 25 minutes on a wrong URL, and `transformers serve`
  answers `/v1/models` with a 500).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceRunner
from datatrove.pipeline.inference.servers import EndpointServer, InferenceServer
from datatrove.pipeline.inference.types import InferenceError, InferenceResult

from snowcoder_hf.synth.callers import make_caller
from snowcoder_hf.synth.client import EndpointConfig, PermanentError, RetryableError, ssl_context
from snowcoder_hf.synth.runner_io import BatchedRequestCache, BufferedCheckpointManager, batched_documents


class GenerationProgress:
    """Counters behind the live line: requests done, failed, retried, tokens/s and the ETA."""

    def __init__(self, total: int, enabled: bool = True):
        self.total = total
        self.done = self.failed = self.retried = self.resumed = self.completion_tokens = 0
        self.retry_reasons: dict[str, int] = {}
        self.started = time.monotonic()
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc="generate", unit="req", dynamic_ncols=True, mininterval=1.0)

    def on_resume(self, count: int) -> None:
        self.resumed += count
        if self._bar is not None:
            self._bar.update(count)

    def on_retry(self, reason: Any) -> None:
        self.retried += 1
        key = str(reason)
        self.retry_reasons[key] = self.retry_reasons.get(key, 0) + 1
        self._refresh(0)

    def on_result(self, ok: bool, completion_tokens: int) -> None:
        if ok:
            self.done += 1
            self.completion_tokens += completion_tokens
        else:
            self.failed += 1
        self._refresh(1)

    def tokens_per_s(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.completion_tokens / elapsed if elapsed > 0 else 0.0

    def _refresh(self, step: int) -> None:
        if self._bar is None:
            return
        self._bar.set_postfix(done=self.done, failed=self.failed, retried=self.retried,
                              tok_s=f"{self.tokens_per_s():,.0f}", refresh=False)  # fmt: skip
        self._bar.update(step)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class ChatEndpointServer(EndpointServer):
    """An external server reached through `AsyncInferenceClient`: its chat route, or TGI's native one."""

    def __init__(self, config: InferenceConfig, rank: int, endpoint: EndpointConfig, progress: GenerationProgress):
        InferenceServer.__init__(self, config, rank)  # EndpointServer's own __init__ builds an openai client
        self.endpoint = endpoint
        self.endpoint_url = endpoint.root
        self.client = None
        self._caller = make_caller(endpoint, max_connections=config.max_concurrent_generations,
                                   on_retry=progress.on_retry)  # fmt: skip

    async def is_ready(self) -> bool:
        import httpx

        headers = {"Authorization": f"Bearer {self.endpoint.token}"} if self.endpoint.token else {}
        async with httpx.AsyncClient(timeout=5.0, verify=ssl_context(self.endpoint.root)) as session:
            for path in ("/health", "/v1/models"):
                try:
                    if (await session.get(self.endpoint.root + path, headers=headers)).status_code == 200:
                        return True
                except httpx.HTTPError:
                    continue
        return False

    async def _make_request(self, payload: dict) -> dict:
        try:
            return await self._caller.complete(payload)
        except (RetryableError, PermanentError) as err:
            raise InferenceError(None, f"{type(err).__name__}: {err}") from err

    async def server_cleanup(self) -> None:
        await super().server_cleanup()
        await self._caller.close()


async def synth_rollout(document: Document, generate, *, sampling: dict, system_prompt: str | None,
                        progress: GenerationProgress) -> dict:  # fmt: skip
    """One request per planned document; a request that fails after its retries is recorded, not lost."""
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": document.text})
    payload = {"messages": messages, **sampling, "seed": int(document.metadata["sampling_seed"])}
    try:
        result: InferenceResult = await generate(payload)
    except InferenceError as err:
        progress.on_result(False, 0)
        # the time lets a later run with equal settings ask again what failed before it started
        return {"status": "failed", "error": str(err.error)[:1000], "failed_at": time.time()}
    tokens = int((result.usage or {}).get("completion_tokens") or 0)
    progress.on_result(True, tokens)
    return {"status": "ok", "text": result.text, "finish_reason": result.finish_reason, "usage": result.usage or {}}


class SynthInferenceRunner(InferenceRunner):
    """`InferenceRunner(server_type="endpoint")` for stage-3 generation: one request per document."""

    name = "🧪 Synthetic generation"

    def __init__(self, endpoint: EndpointConfig, sampling: dict, output_writer, *, concurrency: int = 64,
                 system_prompt: str | None = None, checkpoints_local_dir: str | None = None,
                 records_per_chunk: int = 500, total_requests: int = 0, show_progress: bool = True):  # fmt: skip
        if concurrency < 1:
            raise ValueError(f"`concurrency` must be at least 1, got {concurrency}.")
        if int(sampling.get("max_tokens") or 0) < 1:
            raise ValueError("`max_tokens` must be set explicitly (TGI's default of 1024 truncates files).")
        config = InferenceConfig(
            server_type="endpoint", model_name_or_path=endpoint.model, endpoint_url=endpoint.root,
            max_concurrent_generations=concurrency, request_timeout=endpoint.timeout_s, metric_interval=3600,
            server_ready_max_attempts=3, server_ready_delay_sec=1.0, server_start_max_retries=0,
        )  # fmt: skip
        super().__init__(rollout_fn=synth_rollout, config=config, output_writer=output_writer,
                         checkpoints_local_dir=checkpoints_local_dir, records_per_chunk=records_per_chunk,
                         metadata_key="generation")  # fmt: skip
        self._progress_ref: list[GenerationProgress] = []
        self.request_cache = BatchedRequestCache(checkpoints_local_dir)
        self.checkpoint_manager = BufferedCheckpointManager(
            checkpoints_local_dir, records_per_chunk, request_cache=self.request_cache, progress_ref=self._progress_ref
        )
        self.endpoint = endpoint
        self.sampling = dict(sampling)
        self.system_prompt = system_prompt
        self.total_requests = total_requests
        self.show_progress = show_progress

    async def _async_data_gen(self, sync_gen):
        async for document in batched_documents(sync_gen):
            yield document

    def _init_server(self, rank: int) -> InferenceServer:
        return ChatEndpointServer(self.config, rank, self.endpoint, self._progress_ref[0])

    def run(self, data, rank: int = 0, world_size: int = 1) -> None:
        progress = GenerationProgress(total=self.total_requests, enabled=self.show_progress)
        self._progress_ref[:] = [progress]
        self.shared_context = {"sampling": self.sampling, "system_prompt": self.system_prompt, "progress": progress}
        try:
            with self.track_time(unit="total"):
                asyncio.run(self.run_async(data, rank))
        finally:
            progress.close()
            self.stat_update("request_retries", value=progress.retried)
            for reason, count in progress.retry_reasons.items():
                self.stat_update(f"retry_{reason}".lower(), value=count)
            self.stat_update("requests_failed", value=progress.failed)
            self.stat_update("requests_resumed", value=progress.resumed)
