"""The failure-injecting test server, speaking TGI's native API too: `POST /`, `/generate`, `/generate_stream`, `GET /info`.

`FakeTgiServer` answers both APIs, as TGI does: the chat route of `FakeChatServer`, and the native
routes with TGI's schema (`inputs` + `parameters`; `generated_text` + `details`; server-sent token
events ending in one carrying `generated_text` and `details`), TGI's validation rules and its error
bodies (`{"error": ..., "error_type": ...}`):

- 422 `validation`: `temperature <= 0`, `top_p` outside (0, 1), `max_new_tokens` over the limit, too
  many input tokens, empty inputs, `best_of` with `seed` or with streaming, `decoder_input_details`
  with streaming, and keys whose hash falls in `reject_modulo` (a prompt the server refuses);
- 429 `overloaded` (TGI sends no `Retry-After`), 424 `generation` (a shard failed), by request number;
- streams: every n-th stream cut mid-way (the connection closes), ended early without its final
  event, or ended by an error event; TGI reports errors of a streamed request as events in a 200.

TGI's root route prepends the prompt unless `return_full_text` is false (its default for
text-generation models), and so does this one. The chat-side failures (`burst_429`, `outage`,
`error_500_every`, `garbage_every`, `drop_every`, `slow_every`, truncation, refusals) apply to
native requests alike, and every answered request is counted per key and per seed.

    python -m snowcoder_hf.standins.tgi_server --port 8089 --latency-s 0.5
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from snowcoder_hf.standins.inference_server import (
    FailurePlan,
    FakeChatServer,
    fake_completion,
    request_key,
    serve_from_command_line,
)

_PIECES = re.compile(r"\s*\S+|\s+")
FINISH = {"stop": "eos_token", "length": "length"}


@dataclass
class TgiFailurePlan(FailurePlan):
    """`FailurePlan` plus TGI's own failures. Request numbers count every request, chat and native, from 1."""

    error_424_every: int = 0  # every n-th request: 424 {"error_type": "generation"}
    overloaded: tuple[int, int] | None = None  # (first request number, how many): 429 {"error_type": "overloaded"}
    reject_modulo: int = 0  # keys whose hash % n == 3: 422 validation (the prompt is refused, on every try)
    stream_cut_every: int = 0  # every n-th stream closes its connection after half of its tokens
    stream_end_early_every: int = 0  # every n-th stream ends cleanly after half its tokens, without the final event
    stream_error_every: int = 0  # every n-th stream ends with an error event {"error_type": "generation"}
    max_new_tokens_limit: int = 4096  # TGI's --max-total-tokens, more or less
    max_input_tokens: int = 100_000  # whitespace tokens of `inputs`


@dataclass
class TgiCounters:
    routes: Counter = field(default_factory=Counter)
    validation_errors: Counter = field(default_factory=Counter)  # by message
    prompts: dict = field(default_factory=dict)  # key -> the last prompt seen
    full_text_requests: int = 0  # answers with the prompt prepended (return_full_text not false)


class _TgiError(Exception):
    def __init__(self, status: int, error_type: str, message: str):
        super().__init__(message)
        self.status, self.error_type, self.message = status, error_type, message


def validate(body: dict, plan: TgiFailurePlan, stream: bool) -> None:
    """TGI's validation of a native request (router/src/validation.rs), as 422 `validation` errors."""

    def fail(message: str):
        raise _TgiError(422, "validation", message)

    inputs, params = body.get("inputs"), body.get("parameters") or {}
    if not isinstance(inputs, str) or not isinstance(params, dict):
        fail("Failed to deserialize the JSON body into the target type: `inputs` must be a string")
    if not inputs:
        fail("`inputs` cannot be empty")
    best_of = params.get("best_of") or 1
    if best_of > 1 and stream:
        fail("`best_of` != 1 is not supported when streaming tokens")
    if params.get("decoder_input_details") and stream:
        fail("`decoder_input_details` == true is not supported when streaming tokens")
    temperature, top_p = params.get("temperature"), params.get("top_p")
    if temperature is not None and temperature <= 0:
        fail("`temperature` must be strictly positive")
    if top_p is not None and not 0 < top_p < 1:
        fail("`top_p` must be > 0.0 and < 1.0")
    max_new = params.get("max_new_tokens")
    if max_new is not None and max_new <= 0:
        fail("`max_new_tokens` must be strictly positive")
    if max_new is not None and max_new > plan.max_new_tokens_limit:
        fail(f"`max_new_tokens` must be <= {plan.max_new_tokens_limit}. Given: {max_new}")
    words = len(inputs.split())
    if words > plan.max_input_tokens:
        fail(f"`inputs` must have less than {plan.max_input_tokens} tokens. Given: {words}")
    if best_of > 1 and params.get("seed") is not None:
        fail("`seed` must not be set when `best_of` > 1")


class FakeTgiServer(FakeChatServer):
    """`with FakeTgiServer(TgiFailurePlan(...)) as server:` serves chat and native requests on `server.base_url`."""

    def __init__(self, plan: TgiFailurePlan | None = None, **kwargs):
        super().__init__(plan or TgiFailurePlan(), **kwargs)
        self.tgi = TgiCounters()

    def build_app(self) -> web.Application:
        app = super().build_app()
        app.router.add_post("/", self._compat)
        app.router.add_post("/generate", self._generate)
        app.router.add_post("/generate_stream", self._generate_stream)
        app.router.add_get("/info", self._info)
        return app

    async def _info(self, request: web.Request) -> web.Response:
        return web.json_response({"model_id": "fake-model", "model_sha": None, "max_input_tokens": 100_000,
                                  "max_total_tokens": self.plan.max_new_tokens_limit, "version": "fake"})  # fmt: skip

    async def _compat(self, request: web.Request) -> web.StreamResponse:
        # TGI's root route: `stream` picks the answer; non-streamed generations come wrapped in a list, and
        # `return_full_text` defaults to true for text-generation models
        return await self._native(request, route="/", full_text_default=True, wrap=True)

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        return await self._native(request, route="/generate", full_text_default=False, wrap=False, stream=False)

    async def _generate_stream(self, request: web.Request) -> web.StreamResponse:
        return await self._native(request, route="/generate_stream", full_text_default=False, wrap=False, stream=True)

    async def _native(self, request: web.Request, *, route: str, full_text_default: bool, wrap: bool,
                      stream: bool | None = None) -> web.StreamResponse:  # fmt: skip
        self.counters.requests += 1
        self.tgi.routes[route] += 1
        number, plan = self.counters.requests, self.plan
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return self._error(_TgiError(422, "validation", "Failed to parse the request body as JSON"))
        if not isinstance(body, dict):
            return self._error(_TgiError(422, "validation", "the body must be a JSON object"))
        stream = bool(body.get("stream")) if stream is None else stream
        params = body.get("parameters") or {}
        seed = params.get("seed") if isinstance(params, dict) else None
        self.counters.requests_per_seed[seed] += 1
        if isinstance(params, dict):
            self.counters.max_tokens_seen.add(params.get("max_new_tokens"))
        failure = self._injected(number, request)
        if failure is not None:
            return failure
        try:
            validate(body, plan, stream)
            pseudo = {"messages": [{"role": "user", "content": body["inputs"]}], "seed": seed}
            key = request_key(pseudo)
            self.tgi.prompts[key] = body["inputs"]
            if plan.reject_modulo and int(key, 16) % plan.reject_modulo == 3:
                raise _TgiError(422, "validation", "`inputs` tokens + `max_new_tokens` must be <= 4096")
            if plan.burst_429 and plan.burst_429[0] <= number < plan.burst_429[0] + plan.burst_429[1]:
                raise _TgiError(429, "overloaded", "Model is overloaded")
            if plan.overloaded and plan.overloaded[0] <= number < plan.overloaded[0] + plan.overloaded[1]:
                raise _TgiError(429, "overloaded", "Model is overloaded")
            if plan.error_424_every and number % plan.error_424_every == 0:
                raise _TgiError(424, "generation", "Request failed during generation: Server error: CUDA out of memory")
        except _TgiError as err:
            if err.error_type == "validation":
                self.tgi.validation_errors[err.message] += 1
            if stream:  # TGI reports a streamed request's errors as an event inside a 200
                return await self._error_event_stream(request, err)
            return self._error(err)
        content, finish = fake_completion(pseudo, plan)
        pieces = _PIECES.findall(content) or [content]
        delay = self.latency_s + (len(pieces) / self.tokens_per_s if self.tokens_per_s else 0.0)
        if plan.slow_every and number % plan.slow_every == 0:
            delay += plan.slow_s
        if delay:
            await asyncio.sleep(delay)
        if plan.garbage_every and number % plan.garbage_every == 0:
            self.counters.by_status["garbage"] += 1
            return web.Response(text="<html>502 Bad Gateway</html>", status=200, content_type="application/json")
        full_text = params.get("return_full_text")
        full_text = full_text_default if full_text is None else bool(full_text)
        if stream:
            return await self._stream(request, number, key, seed, body["inputs"], pieces, finish, full_text)
        self._count_answer(key, seed, len(pieces), full_text)
        details = {"finish_reason": FINISH[finish], "generated_tokens": len(pieces), "seed": seed,
                   "prefill": [], "tokens": [_token(i, piece) for i, piece in enumerate(pieces)]}  # fmt: skip
        if params.get("decoder_input_details"):
            details["prefill"] = [_token(i, word) for i, word in enumerate(body["inputs"].split())]
        answer = {"generated_text": (body["inputs"] if full_text else "") + content}
        if params.get("details"):
            answer["details"] = details
        return web.json_response([answer] if wrap else answer)

    def _injected(self, number: int, request: web.Request) -> web.StreamResponse | None:
        """The chat-side failures that do not depend on TGI's schema: an outage, 500s, dropped connections."""
        plan = self.plan
        if plan.outage and plan.outage[0] <= number < plan.outage[0] + plan.outage[1]:
            self.counters.by_status[503] += 1
            return web.Response(text="upstream connect error", status=503)  # a proxy in front of a dead TGI
        if plan.error_500_every and number % plan.error_500_every == 0:
            return self._error(_TgiError(500, "incomplete_generation", "Incomplete generation"))
        if plan.drop_every and number % plan.drop_every == 0:
            self.counters.by_status["dropped"] += 1
            request.transport.close()
            return web.Response(status=200)
        return None

    def _count_answer(self, key: str, seed, tokens: int, full_text: bool) -> None:
        self.counters.by_status[200] += 1
        self.counters.completed_per_key[key] += 1
        self.counters.completed_per_seed[seed] += 1
        self.counters.completion_tokens += tokens
        self.tgi.full_text_requests += full_text

    def _error(self, err: _TgiError) -> web.Response:
        self.counters.by_status[err.status] += 1
        return web.json_response({"error": err.message, "error_type": err.error_type}, status=err.status)

    async def _open_stream(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        return response

    async def _error_event_stream(self, request: web.Request, err: _TgiError) -> web.StreamResponse:
        self.counters.by_status[f"stream_{err.error_type}"] += 1
        response = await self._open_stream(request)
        await response.write(_event({"error": err.message, "error_type": err.error_type}))
        await response.write_eof()
        return response

    async def _stream(self, request, number, key, seed, inputs, pieces, finish, full_text) -> web.StreamResponse:
        plan = self.plan
        response = await self._open_stream(request)
        half = len(pieces) // 2
        cut = plan.stream_cut_every and number % plan.stream_cut_every == 0
        early = plan.stream_end_early_every and number % plan.stream_end_early_every == 0
        error = plan.stream_error_every and number % plan.stream_error_every == 0
        for index, piece in enumerate(pieces):
            if index == half and (cut or early or error):
                if cut:
                    self.counters.by_status["stream_cut"] += 1
                    request.transport.close()  # the client reads a body that stops mid-way
                    return response
                if error:
                    self.counters.by_status["stream_generation"] += 1
                    await response.write(_event({"error": "Request failed during generation: Server error: "
                                                 "NCCL watchdog timeout", "error_type": "generation"}))  # fmt: skip
                else:
                    self.counters.by_status["stream_ended_early"] += 1
                await response.write_eof()
                return response
            event = {"index": index, "token": _token(index, piece), "generated_text": None, "details": None}
            if index == len(pieces) - 1:
                event["generated_text"] = (inputs if full_text else "") + "".join(pieces)
                event["details"] = {"finish_reason": FINISH[finish], "generated_tokens": len(pieces), "seed": seed,
                                    "input_length": len(inputs.split())}  # fmt: skip
            await response.write(_event(event))
        self._count_answer(key, seed, len(pieces), full_text)
        await response.write_eof()
        return response


def _token(index: int, text: str) -> dict:
    return {"id": index, "text": text, "logprob": -0.5, "special": False}


def _event(payload: dict) -> bytes:
    return b"data:" + json.dumps(payload).encode() + b"\n\n"


def main(argv: list[str] | None = None) -> None:
    serve_from_command_line(FakeTgiServer, TgiFailurePlan,
                            "A failure-injecting server speaking TGI's native and chat APIs.", argv)  # fmt: skip


if __name__ == "__main__":
    main()
