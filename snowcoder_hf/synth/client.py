"""Chat calls to an OpenAI-compatible server through `huggingface_hub.AsyncInferenceClient`.

The same code talks to TGI, vLLM, SGLang, llama.cpp's server, `transformers serve` and Inference
Endpoints: it posts to `/v1/chat/completions`, always sends `model`, an explicit `max_tokens` and a
per-sample `seed` (TGI ignores `n`, so k samples are k requests with distinct seeds).

`api: tgi-native` reuses this caller's retries with TGI's native route instead (`synth/tgi_native.py`).

Errors are sorted into two kinds. Retryable ones (429, 5xx, timeouts, dropped connections, a body
that is not a chat completion) are retried with capped exponential backoff and jitter, honouring
`Retry-After`; permanent ones (other 4xx) fail at once. Both are counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import math
import os
import random
from dataclasses import dataclass, field
from urllib.parse import urlparse

from snowcoder_hf.synth.native_settings import API_CHOICES, TgiNativeSettings

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
POOL_CONNECTIONS = 16  # connections per pooled client (see ChatCaller)


@dataclass
class EndpointConfig:
    """Where generation requests go. The token is read from the environment variable `token_env`."""

    url: str
    model: str
    token_env: str = "HF_TOKEN"
    timeout_s: float = 900.0  # one request; long files at a loaded server take minutes
    max_retries: int = 8
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    api: str = "chat"  # chat (/v1/chat/completions) | tgi-native (TGI's raw-prompt route, see synth/tgi_native.py)
    native: TgiNativeSettings = field(default_factory=TgiNativeSettings)

    def __post_init__(self) -> None:
        if self.api not in API_CHOICES:
            raise ValueError(f"`api` must be one of {', '.join(API_CHOICES)}, got {self.api!r}.")
        if isinstance(self.native, dict):
            self.native = TgiNativeSettings.from_mapping(self.native)
        parsed = urlparse(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"`endpoint` must be an http(s) URL such as http://127.0.0.1:8080, got {self.url!r}.")
        if not self.model:
            raise ValueError("`model` must name the served model; it is sent with every request.")
        if self.max_retries < 0 or self.backoff_s < 0 or self.timeout_s <= 0:
            raise ValueError("`max_retries` and `backoff_s` must be >= 0 and `timeout_s` > 0.")

    @property
    def root(self) -> str:
        """The server root: `http://h:8080/v1/` and `http://h:8080/v1/chat/completions` become `http://h:8080`."""
        url = self.url.rstrip("/")
        for suffix in ("/chat/completions", "/v1"):
            url = url.removesuffix(suffix)
        return url

    @property
    def token(self) -> str | None:
        return os.environ.get(self.token_env) or None


class RetryableError(Exception):
    """The request may succeed later: 429, 5xx, timeout, dropped connection, garbage answer."""


class PermanentError(Exception):
    """The request will not succeed as sent (400, 401, 403, 404, 422...)."""


class EndpointUnreachable(ConnectionError):
    """The server did not answer its readiness probes."""


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ssl_context(url: str):
    """One TLS context per process: building one (the CA bundle load) costs 0.1-0.5 s of CPU, and every
    new httpx client would otherwise build its own. Plain-http URLs get a bare context they never use."""
    return _ssl_context(urlparse(url).scheme == "https")


@functools.lru_cache(maxsize=2)
def _ssl_context(secure: bool):
    import ssl

    if not secure:
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    import httpx

    return httpx.create_ssl_context()


def probe_endpoint(config: EndpointConfig, attempts: int = 3, delay_s: float = 1.0) -> str:
    """Check the server answers `GET /health` or `GET /v1/models` (TGI, vLLM, llama.cpp and `transformers
    serve` all have one of them); return the path that answered. A few quick tries, never 25 minutes."""
    import httpx

    headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
    last = "no answer"
    for attempt in range(attempts):
        for path in ("/health", "/v1/models"):
            try:
                response = httpx.get(config.root + path, headers=headers, timeout=5.0, verify=ssl_context(config.root))
            except httpx.HTTPError as err:
                last = f"{type(err).__name__}: {err}"
                continue
            if response.status_code in (401, 403):
                raise ValueError(f"The server at {config.root} rejected the token (HTTP {response.status_code}): "
                                 f"set `{config.token_env}` to a valid token.")  # fmt: skip
            if response.status_code == 200:
                return path
            last = f"HTTP {response.status_code} on {path}"
        if attempt + 1 < attempts:
            import time

            time.sleep(delay_s)
    raise EndpointUnreachable(
        f"Cannot reach the inference server at {config.root} ({last}). Start it (TGI, vLLM, `transformers serve`, ...) "
        "or pass the right `--endpoint`."
    )


def _make_client(config: EndpointConfig, max_connections: int, mixin: type | None = None):
    """An AsyncInferenceClient whose connection pool fits the concurrency (httpx's default of 100
    connections would queue requests in the client, below TGI's 128 concurrent requests); `mixin`
    goes first in its bases (the native caller's stream handling)."""
    import httpx2
    from huggingface_hub import AsyncInferenceClient

    class _PooledClient(*((mixin,) if mixin else ()), AsyncInferenceClient):
        # Our own server is not the Hub: HF_HUB_OFFLINE must not block it, so the session is built
        # without the Hub's request hooks.
        async def _get_async_client(self):
            if self._async_client is None:
                limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
                self._async_client = await self.exit_stack.enter_async_context(
                    httpx2.AsyncClient(
                        follow_redirects=True, timeout=None, limits=limits, verify=ssl_context(config.root)
                    )  # fmt: skip
                )
            return self._async_client

    return _PooledClient(base_url=config.root, api_key=config.token, timeout=config.timeout_s)


def _classify(error: Exception) -> Exception:
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

    if isinstance(error, HfHubHTTPError) and error.response is not None:
        status = error.response.status_code
        body = (error.response.text or "")[:300]
        if status in RETRYABLE_STATUS or status >= 500:
            retry = RetryableError(f"HTTP {status}: {body}")
            retry.retry_after = _retry_after(error.response.headers.get("Retry-After"))
            retry.status = status
            return retry
        return PermanentError(f"HTTP {status}: {body}")
    if isinstance(error, (InferenceTimeoutError, asyncio.TimeoutError, httpx2.TransportError, OSError)):
        return RetryableError(f"{type(error).__name__}: {error}")
    if isinstance(error, (ValueError, KeyError, TypeError)):  # a 200 whose body is not a chat completion
        return RetryableError(f"malformed answer: {type(error).__name__}: {error}")
    return error


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ChatCaller:
    """One client pool per event loop; `await caller.complete(payload)` returns an OpenAI-style dict.

    The connections are split over several pooled clients of at most `POOL_CONNECTIONS` each, and a
    request takes the least busy one: httpcore walks its whole pool on every request and every
    response, probing each idle socket (`has_expired`), so one pool of 128 connections costs about
    twice the client CPU per request of eight pools of 16 (benchmarks/results/generation.md)."""

    client_mixin: type | None = None  # mixed into every pooled client (the native caller's stream handling)

    def __init__(self, config: EndpointConfig, max_connections: int, on_retry=None):
        self.config = config
        self.max_connections = max_connections
        self.on_retry = on_retry  # called with (reason) before each retry, for counters
        self._clients: list = []
        self._in_flight: list[int] = []

    async def close(self) -> None:
        clients, self._clients, self._in_flight = self._clients, [], []
        for client in clients:
            await client.close()

    @contextlib.contextmanager
    def _pooled_client(self):
        """The least busy pooled client, counted busy while the block runs."""
        if not self._clients:
            shards = max(1, math.ceil(self.max_connections / POOL_CONNECTIONS))
            per_client = math.ceil(self.max_connections / shards)
            self._clients = [_make_client(self.config, per_client, self.client_mixin) for _ in range(shards)]
            self._in_flight = [0] * shards
        index = min(range(len(self._clients)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            yield self._clients[index]
        finally:
            if index < len(self._in_flight):  # not closed meanwhile
                self._in_flight[index] -= 1

    async def _once(self, payload: dict) -> dict:
        params = {k: v for k, v in payload.items() if k not in ("messages", "model")}
        with self._pooled_client() as client:
            output = await client.chat_completion(messages=payload["messages"], model=self.config.model, **params)
        choice = output.choices[0]
        usage = output.usage
        return {
            "choices": [{"message": {"content": choice.message.content or ""}, "finish_reason": choice.finish_reason}],
            "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                      "total_tokens": usage.total_tokens} if usage else {},
            "model": output.model,
            "system_fingerprint": getattr(output, "system_fingerprint", None),
        }  # fmt: skip

    async def complete(self, payload: dict) -> dict:
        """Send one chat request, retrying retryable failures up to `max_retries` times."""
        if "max_tokens" not in payload or "seed" not in payload:
            raise ValueError("every generation payload must set `max_tokens` and `seed`.")
        for attempt in range(self.config.max_retries + 1):
            try:
                return await self._once(payload)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # sorted below: retry, fail at once, or re-raise
                error = _classify(err)
                if not isinstance(error, RetryableError):
                    raise error from err
                if attempt == self.config.max_retries:
                    raise error from err
                if self.on_retry is not None:
                    self.on_retry(getattr(error, "status", None) or type(err).__name__)
                delay = min(self.config.max_backoff_s, self.config.backoff_s * 2**attempt)
                retry_after = getattr(error, "retry_after", None)
                delay = max(delay, retry_after) if retry_after is not None else delay
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
        raise AssertionError("unreachable: the retry loop returns or raises")
