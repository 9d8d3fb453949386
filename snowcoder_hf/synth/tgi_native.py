"""Raw-prompt calls to TGI's native API through `AsyncInferenceClient.text_generation`, answered in chat-completion shape.

`TgiNativeCaller` is a `ChatCaller` whose one request goes to TGI's native route instead of
`/v1/chat/completions`: the chat messages are rendered into one prompt on the client (see
`prompt_format`), sent with `details=True` (TGI's finish reason and token counts),
`return_full_text=False` (TGI's root route otherwise prepends the prompt for text-generation models)
and the request's own `seed`, and the answer is returned as the OpenAI-style dict the rest of the
pipeline reads, so retries, checkpoints, resume and the replay cache work unchanged.

TGI's errors are sorted like the chat path's: `validation` (422) fails at once; `overloaded` (429),
`generation` (424), `incomplete_generation` (500), dropped connections, a stream that ends before
its final event and a body that is not a generation are retried with the same capped backoff.
Streamed requests get errors as server-sent events inside a 200 answer, sorted by `error_type` alike.
"""

from __future__ import annotations

import contextlib
import contextvars

from snowcoder_hf.synth.client import ChatCaller, EndpointConfig, PermanentError, RetryableError
from snowcoder_hf.synth.prompt_format import PromptFormat, load_prompt_format

# The line iterators of the streams a request opened, so that the request closes them itself: left to the
# garbage collector, the iterators nested inside one are finalized concurrently and fail to close.
_OPENED_STREAMS: contextvars.ContextVar[list | None] = contextvars.ContextVar("opened_streams", default=None)

# TGI's finish reasons, as the chat API (and the validation step) name them.
FINISH_REASONS = {"eos_token": "stop", "stop_sequence": "stop", "length": "length"}


def prompt_format_of(config: EndpointConfig) -> PromptFormat:
    native = config.native
    # raw prompts need no tokenizer (one given counts prompt tokens); templates default to the served model's
    source = native.tokenizer if native.prompt_format == "raw" else (native.tokenizer or config.model)
    return load_prompt_format(native.prompt_format, source, native.revision)


def sampling_arguments(payload: dict) -> dict:
    """The chat payload's sampling as `text_generation` arguments, within TGI's validation rules:
    temperature 0 means greedy (TGI rejects `temperature <= 0`), and `top_p` must lie strictly inside (0, 1)."""
    arguments = {"max_new_tokens": int(payload["max_tokens"]), "seed": int(payload["seed"])}
    temperature = payload.get("temperature")
    if temperature is not None and temperature <= 0:
        arguments["do_sample"] = False
        return arguments
    arguments["do_sample"] = True
    if temperature is not None:
        arguments["temperature"] = float(temperature)
    top_p = payload.get("top_p")
    if top_p is not None and 0 < top_p < 1:
        arguments["top_p"] = float(top_p)
    return arguments


def classify_tgi_error(error: Exception) -> Exception:
    """A `TextGenerationError` (TGI's `error_type`, from an HTTP error or a stream event) as retryable or permanent."""
    from huggingface_hub.errors import (
        GenerationError,
        HfHubHTTPError,
        IncompleteGenerationError,
        OverloadedError,
        ValidationError,
    )

    from snowcoder_hf.synth.client import _classify, _retry_after

    cause = error.__cause__ if isinstance(error.__cause__, HfHubHTTPError) else None
    status = cause.response.status_code if cause is not None and cause.response is not None else None
    kinds = {ValidationError: "validation", OverloadedError: "overloaded", GenerationError: "generation",
             IncompleteGenerationError: "incomplete_generation"}  # fmt: skip
    kind = next((name for cls, name in kinds.items() if isinstance(error, cls)), "unknown")
    message = f"{f'HTTP {status} ' if status else ''}{kind}: {str(error)[:300]}"
    if kind == "validation":
        return PermanentError(message)
    if kind == "unknown":  # template or tool errors (422) and error types TGI may add: the status decides
        return _classify(cause) if cause is not None else PermanentError(message)
    retry = RetryableError(message)
    retry.status = status or kind  # counted as retry_429 / retry_424 (HTTP) or retry_overloaded (stream event)
    retry.retry_after = _retry_after(cause.response.headers.get("Retry-After")) if cause is not None else None
    return retry


class _ClosingStreams:
    """Mixed into the pooled `AsyncInferenceClient`: a streamed answer's response is closed by the request.

    huggingface_hub keeps every streamed response open on the client's exit stack until the client
    closes; a stream that stops early (a TGI error event) then holds its pooled connection, and a pool
    sized to the concurrency runs dry. Here the response closes when its lines end or when the request
    closes them (`TgiNativeCaller._streamed`). Error statuses are read first so TGI's `error_type` is parsed."""

    async def _inner_post(self, request_parameters, *, stream: bool = False):
        if not stream:
            return await super()._inner_post(request_parameters, stream=False)
        import httpx2
        from huggingface_hub.errors import InferenceTimeoutError
        from huggingface_hub.utils import hf_raise_for_status

        client = await self._get_async_client()
        request = client.build_request("POST", request_parameters.url, json=request_parameters.json,
                                       headers=request_parameters.headers, timeout=self.timeout)  # fmt: skip
        try:
            response = await client.send(request, stream=True)
        except httpx2.TimeoutException as error:
            raise InferenceTimeoutError(f"Inference call timed out: {request_parameters.url}") from error
        if response.status_code >= 400:
            try:
                await response.aread()
            finally:
                await response.aclose()
            hf_raise_for_status(response)
        lines = _lines_then_close(response)
        opened = _OPENED_STREAMS.get()
        if opened is not None:
            opened.append(lines)
        return lines


async def _lines_then_close(response):
    """The answer's lines, split here so that one byte iterator is all there is to close."""
    pending = b""
    try:
        async with contextlib.aclosing(response.aiter_bytes()) as chunks:
            async for chunk in chunks:
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    yield line.decode("utf-8", "replace").strip()
        if pending.strip():
            yield pending.decode("utf-8", "replace").strip()
    finally:
        await response.aclose()


class TgiNativeCaller(ChatCaller):
    """`await caller.complete(chat_payload)` through TGI's native route; returns the same dict as `ChatCaller`."""

    def __init__(self, config: EndpointConfig, max_connections: int, on_retry=None):
        super().__init__(config, max_connections, on_retry)
        self.prompt_format = prompt_format_of(config)  # loaded before the first request, not on the event loop

    client_mixin = _ClosingStreams

    async def _once(self, payload: dict) -> dict:
        from huggingface_hub.errors import TextGenerationError

        prompt = self.prompt_format.render(payload["messages"])
        arguments = {**self.config.native.parameters, **sampling_arguments(payload)}
        try:
            with self._pooled_client() as client:
                if self.config.native.stream:
                    text, details, prompt_tokens = await self._streamed(client, prompt, arguments)
                else:
                    text, details, prompt_tokens = await self._whole(client, prompt, arguments)
        except TextGenerationError as err:
            raise classify_tgi_error(err) from err
        if prompt_tokens is None:
            prompt_tokens = self.prompt_format.count_tokens(prompt)
        completion_tokens = int(details.generated_tokens or 0)
        usage = {"completion_tokens": completion_tokens}
        if prompt_tokens is not None:  # unknown for raw prompts without a tokenizer: left out, not zero
            usage |= {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + completion_tokens}
        finish = FINISH_REASONS.get(str(details.finish_reason), str(details.finish_reason))
        return {"choices": [{"message": {"content": text}, "finish_reason": finish}], "usage": usage,
                "model": self.config.model, "system_fingerprint": None}  # fmt: skip

    async def _whole(self, client, prompt: str, arguments: dict):
        output = await client.text_generation(prompt, details=True, stream=False, return_full_text=False, **arguments)
        if not isinstance(getattr(output, "generated_text", None), str) or output.details is None:
            raise ValueError("the answer has no `generated_text` with `details`: not a TGI generation")
        prefill = output.details.prefill
        return output.generated_text, output.details, (len(prefill) if prefill else None)

    async def _streamed(self, client, prompt: str, arguments: dict):
        opened: list = []
        token = _OPENED_STREAMS.set(opened)
        final = None
        try:
            events = await client.text_generation(prompt, details=True, stream=True, return_full_text=False,
                                                  **arguments)  # fmt: skip
            async with contextlib.aclosing(events):
                async for event in events:
                    if event.details is not None:
                        final = event
        finally:
            _OPENED_STREAMS.reset(token)
            for lines in opened:
                await lines.aclose()
        if final is None or final.generated_text is None:
            retry = RetryableError("the stream ended before its final event (no `generated_text`)")
            retry.status = "truncated_stream"
            raise retry
        return final.generated_text, final.details, final.details.input_length
