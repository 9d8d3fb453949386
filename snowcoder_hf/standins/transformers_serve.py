"""The offline default generator: SmolLM2-135M-Instruct served by `transformers serve` on 127.0.0.1.

`transformers serve <dir>:<file>.gguf` cannot serve the packaged GGUF (its config carries no
`architectures`), and a GGUF-quantized model refuses `save_pretrained`. So the GGUF is loaded once,
its de-quantized weights copied into a plain model of the same config, and saved as a local folder
(cached under the output dir, about 0.5 GB), which `transformers serve` loads like any checkpoint.
The saved generation config samples (`do_sample=True`), so per-request `temperature` and `seed` apply.

    with serve_local_model("OUT/.cache") as server:
        run_stage3(Stage3Config(..., endpoint=server.base_url, model=server.model))
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)
_MARKER = "converted-from-gguf.txt"


@dataclass
class LocalServer:
    base_url: str
    model: str
    process: subprocess.Popen


def convert_smollm2(cache_dir: str | Path) -> Path:
    """A `save_pretrained` folder of SmolLM2-135M-Instruct made from the packaged GGUF (done once)."""
    from snowcoder_hf.common.offline_models import smollm2_gguf_path

    target = Path(cache_dir) / "smollm2-135m-instruct"
    if (target / _MARKER).exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    quantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config_dict = quantized.config.to_dict()
    config_dict.pop("quantization_config", None)
    config_dict["architectures"] = [type(quantized).__name__]
    model = type(quantized)(type(quantized.config).from_dict(config_dict))
    missing, unexpected = model.load_state_dict(quantized.state_dict(), strict=False)
    if missing or unexpected:
        raise RuntimeError(f"GGUF conversion lost weights: missing {missing}, unexpected {unexpected}")
    model.generation_config.do_sample = True
    model.generation_config.temperature = 0.7
    model.generation_config.top_p = 0.9
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    (target / _MARKER).write_text(f"{gguf.name}\n")
    return target


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, timeout_s: float, log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"`transformers serve` exited with code {process.returncode}:\n{tail}")
        try:
            if httpx.get(url + "/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"`transformers serve` was not ready within {timeout_s:.0f}s (log: {log_path}).")


@contextlib.contextmanager
def serve_local_model(cache_dir: str | Path, *, model_dir: str | Path | None = None, host: str = "127.0.0.1",
                      port: int | None = None, threads: int | None = None, startup_timeout_s: float = 300.0,
                      continuous_batching: bool = True):  # fmt: skip
    """Start `transformers serve` on `host` with SmolLM2 (or `model_dir`), wait until ready, stop it on exit.

    `continuous_batching` (paged attention) decodes all open requests in one forward pass. Without it the
    server answers one request at a time: on one CPU thread, SmolLM2 made 14.5 tokens/s at 2 concurrent
    requests either way, and 30 tokens/s (2 requests), 49 tokens/s (6) with it. The price: a request's
    `seed` no longer fixes its sample, since batch-mates share the sampler (answers are checkpointed, so a
    resumed run does not ask again)."""
    model_path = Path(model_dir) if model_dir else convert_smollm2(cache_dir)
    port = port or _free_port(host)
    log_path = Path(cache_dir) / f"transformers-serve-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    command = [sys.executable, "-c", "from transformers.cli.transformers import main; main()", "serve",
               str(model_path), "--host", host, "--port", str(port), "--device", "cpu", "--dtype", "float32",
               *(["--continuous-batching"] if continuous_batching else [])]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        _wait_ready(f"http://{host}:{port}", process, startup_timeout_s, log_path)
        logger.info("transformers serve is ready at http://%s:%d (%s)", host, port, model_path)
        yield LocalServer(base_url=f"http://{host}:{port}", model=str(model_path), process=process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
