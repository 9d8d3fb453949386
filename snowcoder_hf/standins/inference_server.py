"""A small OpenAI-compatible chat server that injects failures, for tests and the generation benchmark.

It answers `POST /v1/chat/completions` with a deterministic completion derived from the request's
messages and `seed`, so that a rerun of the same request gets the same text, and it speaks TGI's
readiness probes (`GET /health`, `GET /v1/models`). Failures are injected by request number (429
bursts, 500s, slow answers, garbage bodies, dropped connections) or by request key (truncated
completions, echoed seeds, refusals), and every request is counted per key, so a test can check
that nothing was lost and nothing was generated twice.

    python -m snowcoder_hf.standins.inference_server --port 8089 --latency-s 0.5 --tokens-per-s 200
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

_LANGUAGE_RE = re.compile(r"^Language: (.+)$", re.MULTILINE)
_FUNCTION_RE = re.compile(r"^Function name: (\w+)$", re.MULTILINE)
_TOPIC_RE = re.compile(r"^Topic: (.+)$", re.MULTILINE)
_RATING_RE = re.compile(r"^Rate the educational value", re.MULTILINE)


def _fake_rating(prompt: str) -> str:
    """An EDU rating that follows the code: more docstrings and comments, a higher score."""
    code = prompt.split("```", 1)[-1]
    score = 1 + min(4, code.count('"""') // 2 + code.count("# "))
    return f"The code is {'well' if score > 2 else 'poorly'} documented.\nEducational value: {score}"


def _fake_exercise(name: str, key: str) -> str:
    offset = int(key[:4], 16) % 10
    return (
        f"def {name}(values: list[int]) -> int:\n"
        f'    """Return the sum of `values` plus {offset}.\n\n'
        f"    >>> {name}([1, 2])\n    {3 + offset}\n    >>> {name}([])\n    {offset}\n"
        f'    """\n    return sum(values) + {offset}\n'
    )


def _fake_section(topic: str, key: str) -> str:
    return (
        f"## {topic}\n\nWe start from a small example ({key[:6]}).\n\n```python\n"
        f"data = [3, 1, 2]\nprint(sorted(data))\n```\n\nSorting returns a new list. Next we count.\n\n"
        f"```python\nfrom collections import Counter\nprint(Counter('{key[:8]}'))\n```\n\nIn short: build on small steps."
    )


@dataclass
class FailurePlan:
    """Which requests fail, and how. Request numbers count from 1 in arrival order."""

    burst_429: tuple[int, int] | None = None  # (first request number, how many) answered 429
    outage: tuple[int, int] | None = None  # (first request number, how many) answered 503: the server is down
    error_500_every: int = 0  # every n-th request answers 500
    slow_every: int = 0  # every n-th request waits `slow_s` more
    slow_s: float = 0.0
    garbage_every: int = 0  # every n-th request answers 200 with a body that is not JSON
    drop_every: int = 0  # every n-th request closes the connection without an answer
    truncate_modulo: int = 0  # keys whose hash % n == 0 finish with "length" (stable across retries)
    refuse_modulo: int = 0  # keys whose hash % n == 1 answer with a refusal
    duplicate_modulo: int = 0  # keys whose hash % n == 2 answer with one shared text (exact duplicates)
    unscored_modulo: int = 0  # rating requests whose key hash % n == 0 answer without a score


@dataclass
class ServerCounters:
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    completed_per_key: Counter = field(default_factory=Counter)  # 200 answers with a completion
    models_seen: set = field(default_factory=set)
    max_tokens_seen: set = field(default_factory=set)
    completion_tokens: int = 0
    requests_per_seed: Counter = field(default_factory=Counter)  # every request, by its sampling seed
    completed_per_seed: Counter = field(default_factory=Counter)


def request_key(body: dict) -> str:
    """What identifies one generation: the messages and the sampling seed."""
    raw = json.dumps([body.get("messages"), body.get("seed")], sort_keys=True)
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def _fake_code(language: str, key: str) -> str:
    ident = f"item_{key[:8]}"
    if language == "JavaScript":
        return f"function {ident}(values) {{\n  // keep the positive values of the input\n  return values.filter((v) => v > 0);\n}}\n\nmodule.exports = {{ {ident} }};\n"
    number = int(key[:6], 16) % 97
    return (
        f'"""Solve task {key}: sort records and keep the top {number}."""\n\n\n'
        f"def {ident}(values: list[int], limit: int = {number}) -> list[int]:\n"
        f'    """Return the `limit` largest values of `values`, largest first."""\n'
        f"    ranked = sorted(values, reverse=True)\n"
        f"    return ranked[:limit]\n\n\n"
        f'if __name__ == "__main__":\n    print({ident}([3, 1, 2], 2))\n'
    )


def fake_completion(body: dict, plan: FailurePlan) -> tuple[str, str]:
    """(content, finish_reason) for a request: prose, then a fenced code block, as instruct models answer."""
    key = request_key(body)
    bucket = int(key, 16)
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])
    if _RATING_RE.search(prompt):
        if plan.unscored_modulo and bucket % plan.unscored_modulo == 0:
            return "This file is interesting, but hard to judge.", "stop"
        return _fake_rating(prompt), "stop"
    match = _LANGUAGE_RE.search(prompt)
    language = match.group(1).strip() if match else "Python"
    if plan.refuse_modulo and bucket % plan.refuse_modulo == 1:
        return "I'm sorry, but I can't help with that request.", "stop"
    function = _FUNCTION_RE.search(prompt)
    topic = _TOPIC_RE.search(prompt)
    if function:
        return f"```python\n{_fake_exercise(function.group(1), key)}```", "stop"
    if topic:
        return _fake_section(topic.group(1), key), "stop"
    if plan.duplicate_modulo and bucket % plan.duplicate_modulo == 2:
        code = _fake_code(language, "0" * 16)
    else:
        code = _fake_code(language, key)
    fence = "javascript" if language == "JavaScript" else "python"
    content = f"Here is a self-contained solution.\n\n```{fence}\n{code}```\n\nIt runs as a script."
    if plan.truncate_modulo and bucket % plan.truncate_modulo == 0:
        return content[: len(content) // 2], "length"
    return content, "stop"


class FakeChatServer:
    """Run with `with FakeChatServer(...) as server:`; `server.base_url` is where it listens."""

    def __init__(self, plan: FailurePlan | None = None, *, latency_s: float = 0.0, tokens_per_s: float = 0.0,
                 host: str = "127.0.0.1", port: int = 0):  # fmt: skip
        self.plan = plan or FailurePlan()
        self.latency_s = latency_s
        self.tokens_per_s = tokens_per_s
        self.host, self.port = host, port
        self.counters = ServerCounters()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/health", self._health)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.counters.requests += 1
        number, plan = self.counters.requests, self.plan
        try:
            body = await request.json()
        except json.JSONDecodeError:
            self.counters.by_status[400] += 1
            return web.json_response({"error": "body is not JSON"}, status=400)
        if not body.get("model") or not body.get("messages"):
            self.counters.by_status[422] += 1
            return web.json_response({"error": "`model` and `messages` are required"}, status=422)
        self.counters.models_seen.add(body["model"])
        self.counters.requests_per_seed[body.get("seed")] += 1
        self.counters.max_tokens_seen.add(body.get("max_tokens"))
        if plan.burst_429 and plan.burst_429[0] <= number < plan.burst_429[0] + plan.burst_429[1]:
            self.counters.by_status[429] += 1
            return web.json_response({"error": "Model is overloaded"}, status=429, headers={"Retry-After": "0"})
        if plan.outage and plan.outage[0] <= number < plan.outage[0] + plan.outage[1]:
            self.counters.by_status[503] += 1
            return web.json_response({"error": "Service Unavailable"}, status=503)
        if plan.error_500_every and number % plan.error_500_every == 0:
            self.counters.by_status[500] += 1
            return web.json_response({"error": "CUDA error: an illegal memory access"}, status=500)
        if plan.drop_every and number % plan.drop_every == 0:
            self.counters.by_status["dropped"] += 1
            request.transport.close()  # the client sees the connection end without an answer
            return web.Response(status=200)
        content, finish_reason = fake_completion(body, plan)
        tokens = max(1, len(content.split()))
        delay = self.latency_s + (tokens / self.tokens_per_s if self.tokens_per_s else 0.0)
        if plan.slow_every and number % plan.slow_every == 0:
            delay += plan.slow_s
        if delay:
            await asyncio.sleep(delay)
        if plan.garbage_every and number % plan.garbage_every == 0:
            self.counters.by_status["garbage"] += 1
            return web.Response(text="<html>502 Bad Gateway</html>", status=200, content_type="application/json")
        self.counters.by_status[200] += 1
        self.counters.completed_per_key[request_key(body)] += 1
        self.counters.completed_per_seed[body.get("seed")] += 1
        self.counters.completion_tokens += tokens
        return web.json_response({
            "id": f"chatcmpl-{number}", "object": "chat.completion", "created": 0, "model": body["model"],
            "system_fingerprint": "fake-1",
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(str(body["messages"]).split()), "completion_tokens": tokens,
                      "total_tokens": tokens + len(str(body["messages"]).split())},
        })  # fmt: skip

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def __enter__(self) -> FakeChatServer:
        self._thread = threading.Thread(target=self._serve, name="fake-chat-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the fake chat server did not start within 30 s")
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=30)


def serve_from_command_line(server_class, plan_class, description: str, argv: list[str] | None = None) -> None:
    """Parse `--host --port --latency-s --tokens-per-s --plan JSON` and serve `server_class` in the foreground."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--latency-s", type=float, default=0.0, help="Fixed time before each answer.")
    parser.add_argument("--tokens-per-s", type=float, default=0.0, help="Per-request decode speed (0: instant).")
    parser.add_argument("--plan", default="{}", help=f"{plan_class.__name__} fields as JSON.")
    args = parser.parse_args(argv)
    server = server_class(plan_class(**json.loads(args.plan)), latency_s=args.latency_s,
                          tokens_per_s=args.tokens_per_s, host=args.host, port=args.port)  # fmt: skip
    web.run_app(server.build_app(), host=args.host, port=args.port, access_log=None, print=None, backlog=1024)


def main(argv: list[str] | None = None) -> None:
    serve_from_command_line(FakeChatServer, FailurePlan, "A failure-injecting OpenAI-compatible chat server.", argv)


if __name__ == "__main__":
    main()
