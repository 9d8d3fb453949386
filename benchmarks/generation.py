"""Generator throughput vs a plain asyncio load generator, against the same local server.

The server is `snowcoder_hf.standins.inference_server` in its own process, with TGI-like latency (a fixed
time to first token plus a per-request decode speed). Three clients send the same N requests at the
same concurrency K:

- `raw aiohttp`: a bare asyncio + aiohttp loop that only sends requests (the ceiling);
- `raw AsyncInferenceClient`: the same loop through huggingface_hub's client;
- `snowcoder generator`: the full generation stage (DataTrove InferenceRunner, AsyncInferenceClient,
  retries, chunked checkpoints, the sqlite replay cache, the plan reader and the raw writer).

Usage:
    python benchmarks/generation.py --requests 600 --concurrency 64 --latency-s 0.5 --tokens-per-s 100 --repeats 3

Each client first runs once untimed on 2K requests (imports, first connections), then `--repeats` timed
runs in rotating order; the table gives the median requests/s of each client, its ratios, and the
client process's CPU milliseconds per request (`time.process_time`: unlike wall time, it hardly moves
with the load of a shared machine). The generator's temporary output folder is made before and removed
after its timed run: deleting files is the benchmark's chore, not generation.

`--api tgi-native` adds the same two comparisons on TGI's native route (`POST /` with `inputs` and
`parameters`, raw prompts): raw aiohttp posting native bodies, and the generator with `api: tgi-native`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(latency_s: float, tokens_per_s: float) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _free_port()  # the TGI stand-in answers the chat route exactly as the chat stand-in does, and /
    process = subprocess.Popen([sys.executable, "-m", "snowcoder_hf.standins.tgi_server", "--port", str(port),
                                "--latency-s", str(latency_s), "--tokens-per-s", str(tokens_per_s)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the benchmark server did not start")


def _payloads(requests) -> list[dict]:
    return [{"model": "bench", "messages": [{"role": "user", "content": doc.text}], "max_tokens": 512,
             "seed": doc.metadata["sampling_seed"]} for doc in requests]  # fmt: skip


async def _raw_aiohttp(url: str, payloads: list[dict], concurrency: int) -> tuple[int, int]:
    import aiohttp

    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(payload):
            async with semaphore, session.post(url + "/v1/chat/completions", json=payload) as response:
                body = await response.json()
                return body["usage"]["completion_tokens"]

        tokens = await asyncio.gather(*(one(p) for p in payloads))
    return len(tokens), sum(tokens)


async def _raw_aiohttp_native(url: str, payloads: list[dict], concurrency: int) -> tuple[int, int]:
    import aiohttp

    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(payload):
            body = {"inputs": payload["messages"][0]["content"], "parameters": {
                "max_new_tokens": payload["max_tokens"], "seed": payload["seed"], "details": True,
                "return_full_text": False}}  # fmt: skip
            async with semaphore, session.post(url + "/", json=body) as response:
                return (await response.json())[0]["details"]["generated_tokens"]

        tokens = await asyncio.gather(*(one(p) for p in payloads))
    return len(tokens), sum(tokens)


async def _raw_hub_client(url: str, payloads: list[dict], concurrency: int, one_pool: bool = False) -> tuple[int, int]:
    from snowcoder_hf.synth import client
    from snowcoder_hf.synth.client import ChatCaller, EndpointConfig

    caller = ChatCaller(EndpointConfig(url=url, model="bench"), max_connections=concurrency)
    if one_pool:  # the client as it was: one connection pool of `concurrency` connections
        caller._pooled_client = _one_pool(caller, client)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(payload):
        async with semaphore:
            return (await caller.complete(payload))["usage"]["completion_tokens"]

    tokens = await asyncio.gather(*(one(p) for p in payloads))
    await caller.close()
    return len(tokens), sum(tokens)


def _one_pool(caller, client):
    import contextlib

    @contextlib.contextmanager
    def pooled():
        if not caller._clients:
            caller._clients = [client._make_client(caller.config, caller.max_connections)]
        yield caller._clients[0]

    return pooled


def _generator(url: str, requests, concurrency: int, work_dir: Path, api: str = "chat") -> tuple[int, int]:
    from snowcoder_hf.stages.stage3_data import _write_plan, generate
    from snowcoder_hf.synth.config import Stage3Config

    _write_plan(requests, work_dir / "plan.jsonl.gz")
    config = Stage3Config(output=str(work_dir), kind="textbook", endpoint=url, model="bench", max_tokens=512,
                          concurrency=concurrency, num_samples=len(requests), show_progress=False,
                          records_per_chunk=500, api=api,
                          tgi_native={"prompt_format": "raw"} if api == "tgi-native" else {})  # fmt: skip
    stats = generate(config, requests, work_dir)
    return int(stats.get("successful_requests", 0)), int(stats.get("completion_tokens", 0))


CLIENTS = ("raw aiohttp", "raw AsyncInferenceClient", "snowcoder generator")
NATIVE_CLIENTS = ("raw aiohttp, native", "snowcoder generator, tgi-native")
ONE_POOL = "raw AsyncInferenceClient, one pool"


def _run_client(name: str, url: str, requests, payloads: list[dict], concurrency: int,
                work_dir: Path | None = None) -> tuple[int, int]:  # fmt: skip
    if name == "raw aiohttp":
        return asyncio.run(_raw_aiohttp(url, payloads, concurrency))
    if name == "raw aiohttp, native":
        return asyncio.run(_raw_aiohttp_native(url, payloads, concurrency))
    if name in ("raw AsyncInferenceClient", ONE_POOL):
        return asyncio.run(_raw_hub_client(url, payloads, concurrency, one_pool=name == ONE_POOL))
    api = "tgi-native" if name.endswith("tgi-native") else "chat"
    if work_dir is not None:
        return _generator(url, requests, concurrency, work_dir, api)
    with tempfile.TemporaryDirectory() as tmp:
        return _generator(url, requests, concurrency, Path(tmp), api)


def _timed(name: str, url: str, requests, payloads: list[dict], concurrency: int) -> tuple[int, int, float, float]:
    """(requests done, completion tokens, wall seconds, client CPU seconds), the output folder outside the timing."""
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        done, tokens = _run_client(name, url, requests, payloads, concurrency, Path(tmp))
        return done, tokens, time.perf_counter() - started, time.process_time() - cpu


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[64])
    parser.add_argument("--latency-s", type=float, default=0.5)
    parser.add_argument("--tokens-per-s", type=float, default=100.0)
    parser.add_argument("--repeats", type=int, default=3, help="Timed runs per client; the median is reported.")
    parser.add_argument(
        "--api",
        nargs="+",
        default=["chat"],
        choices=["chat", "tgi-native"],
        help="tgi-native adds raw aiohttp and the generator on TGI's native route.",
    )
    parser.add_argument(
        "--one-pool",
        action="store_true",
        help="Also time the bare client with one connection pool (before the pool was split).",
    )
    parser.add_argument("--output", default="benchmarks/results/generation.json")
    args = parser.parse_args()
    from loguru import logger

    logger.remove()
    from snowcoder_hf.synth.textbook import plan_textbook

    requests = plan_textbook(args.requests, run_seed=1)
    payloads = _payloads(requests)
    rows, summary = [], []
    server, url = _start_server(args.latency_s, args.tokens_per_s)
    try:
        clients = (
            CLIENTS + ((ONE_POOL,) if args.one_pool else ()) + (NATIVE_CLIENTS if "tgi-native" in args.api else ())
        )
        for concurrency in args.concurrency:
            warm = min(len(requests), 2 * concurrency)  # imports, first connections, first executor start
            for name in clients:
                _run_client(name, url, requests[:warm], payloads[:warm], concurrency)
            for repeat in range(args.repeats):
                # rotate the order so slow drift of a shared machine's load does not favour one client
                shift = repeat % len(clients)
                for name in clients[shift:] + clients[:shift]:
                    done, tokens, elapsed, cpu = _timed(name, url, requests, payloads, concurrency)
                    rows.append({"client": name, "concurrency": concurrency, "repeat": repeat, "requests": done,
                                 "seconds": round(elapsed, 3), "req_per_s": round(done / elapsed, 2),
                                 "tokens_per_s": round(tokens / elapsed, 1),
                                 "cpu_ms_per_request": round(1000 * cpu / max(done, 1), 3)})  # fmt: skip
                    print(json.dumps(rows[-1]), flush=True)
            medians = {name: _median([r["req_per_s"] for r in rows if r["client"] == name
                                      and r["concurrency"] == concurrency]) for name in clients}  # fmt: skip
            cpu = {name: _median([r["cpu_ms_per_request"] for r in rows if r["client"] == name
                                  and r["concurrency"] == concurrency]) for name in clients}  # fmt: skip
            for name in clients:
                raw = "raw aiohttp, native" if name in NATIVE_CLIENTS else "raw aiohttp"
                summary.append({"concurrency": concurrency, "client": name, "median_req_per_s": medians[name],
                                "vs_raw_aiohttp": round(medians[name] / medians[raw], 3),
                                "vs_AsyncInferenceClient": round(medians[name] / medians["raw AsyncInferenceClient"], 3),
                                "median_cpu_ms_per_request": cpu[name]})  # fmt: skip
    finally:
        server.kill()
        server.wait()
    print("| K | client | median req/s | vs raw aiohttp (same API) | vs raw AsyncInferenceClient | client CPU ms/req |")
    print("|---|---|---|---|---|---|")
    for row in summary:
        print(f"| {row['concurrency']} | {row['client']} | {row['median_req_per_s']:.2f} | "
              f"{row['vs_raw_aiohttp']:.0%} | {row['vs_AsyncInferenceClient']:.0%} | "
              f"{row['median_cpu_ms_per_request']:.2f} |")  # fmt: skip
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps({"args": vars(args), "cpu_count": os.cpu_count(), "rows": rows,
                                             "summary": summary}, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
