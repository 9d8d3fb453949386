"""Stage-shaped data fixtures for the training tests (no tests here; helpers only).

They mirror the layouts the data stages write: stage 1 `documents/` + `tokens/` (a real DataTrove
`DocumentTokenizer` run) + `tokenizer/`; stage 2 `selected/` + `selection.json`; stage 3 `synthetic/` +
`mixture.yaml`.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import yaml


def stdlib_documents(stdlib_dir: Path, count: int, offset: int = 0, max_chars: int = 6000) -> list[dict]:
    files = sorted(p for p in stdlib_dir.glob("*.py") if 500 < p.stat().st_size < 60_000)[offset : offset + count]
    return [{"id": f"doc-{offset + i}", "text": p.read_text(encoding="utf-8", errors="replace")[:max_chars],
             "metadata": {"repo": "cpython", "path": p.name, "language": "Python", "license": "PSF",
                          "size": p.stat().st_size}} for i, p in enumerate(files)]  # fmt: skip


def write_jsonl_gz(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    return path


def build_stage1(root: Path, tokenizer_dir: Path, stdlib_dir: Path, count: int = 40, tokens: bool = True) -> Path:
    """A stage-1 output folder: documents/, tokens/ (DataTrove shards) and tokenizer/."""
    out = root / "stage1"
    docs = stdlib_documents(stdlib_dir, count)
    write_jsonl_gz(out / "documents" / "00000.jsonl.gz", docs)
    shutil.copytree(tokenizer_dir, out / "tokenizer", dirs_exist_ok=True)
    if tokens:
        from datatrove.data import Document
        from datatrove.pipeline.tokens import DocumentTokenizer

        step = DocumentTokenizer(str(out / "tokens"), tokenizer_name_or_path=str(tokenizer_dir / "tokenizer.json"),
                                 eos_token="<|endoftext|>", seed=0)  # fmt: skip
        documents = [Document(text=d["text"], id=d["id"], metadata=d["metadata"]) for d in docs]
        list(step.run(iter(documents), rank=0, world_size=1) or [])
    return out


def build_stage2(root: Path, stdlib_dir: Path, repeat: int = 4, count: int = 10) -> Path:
    out = root / "stage2"
    docs = stdlib_documents(stdlib_dir, count, offset=40)
    for i, doc in enumerate(docs):
        doc["metadata"]["quality_score"] = 0.9 - 0.01 * i
    write_jsonl_gz(out / "selected" / "00000.jsonl.gz", docs)
    (out / "selection.json").write_text(json.dumps({"repeat": repeat, "budget_tokens": 0,
                                                    "tokens_per_language": {}, "thresholds": {}}))  # fmt: skip
    return out


def build_stage3(root: Path, stdlib_dir: Path, weights: tuple[float, float] = (0.5, 0.5)) -> Path:
    out = root / "stage3"
    write_jsonl_gz(out / "synthetic" / "00000.jsonl.gz", stdlib_documents(stdlib_dir, 8, offset=60))
    write_jsonl_gz(out / "replay" / "00000.jsonl.gz", stdlib_documents(stdlib_dir, 8, offset=70))
    mixture = {"sources": [{"path": "synthetic", "weight": weights[0], "repeat": 1},
                           {"path": "replay", "weight": weights[1], "repeat": 1}]}  # fmt: skip
    (out / "mixture.yaml").write_text(yaml.safe_dump(mixture))
    return out
