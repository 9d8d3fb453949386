"""Resolve a `dataset_path` in any stage's output layout into the token sources to pack.

Layouts recognised by `dataset_format: auto`:
- stage 1: `OUT/tokens/` (DataTrove token shards, preferred) or `OUT/documents/` (repo-level jsonl.gz);
- stage 2: `OUT/selection.json` with `repeat` and `OUT/selected/` (per-file jsonl.gz);
- stage 3: `OUT/mixture.yaml` (`sources: [{path, weight, repeat}]`, paths relative to the YAML file);
- a folder of `*.ds` shards, a folder or file of JSONL/JSONL.GZ/Parquet, a `save_to_disk` folder, or a
  Hub dataset id (streamed at `dataset_revision`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from snowcoder_hf.training.data import find_token_shards, iter_texts, read_token_shards, tokenize_texts
from snowcoder_hf.training.packing import PackedSource

logger = logging.getLogger(__name__)
DATASET_FORMATS = ("auto", "tokens", "text", "selection", "mixture")


@dataclass
class SourceSpec:
    """One source before it is read: where, how, and its mixture weight and repetition factor."""

    path: str
    kind: str  # "tokens" or "text"
    weight: float = 1.0
    repeat: int = 1


def _mixture_specs(path: Path) -> list[SourceSpec]:
    import yaml

    mixture = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    sources = mixture.get("sources") if isinstance(mixture, dict) else None
    if isinstance(sources, list) and not sources:
        raise ValueError(f"{path} lists no source: stage 3 kept no synthetic file and replays nothing (see "
                         f"{path.parent / 'report.md'} for why every answer was dropped).")  # fmt: skip
    if not isinstance(sources, list):
        raise ValueError(f"{path} must hold `sources: [{{path, weight, repeat}}, ...]`.")
    specs = []
    for entry in sources:
        if not isinstance(entry, dict) or "path" not in entry or set(entry) - {"path", "weight", "repeat", "name"}:
            raise ValueError(f"{path}: every source must be a mapping of `path`, `weight`, `repeat`; got {entry!r}.")
        source_path = Path(entry["path"])
        if not source_path.is_absolute() and not source_path.exists():
            source_path = path.parent / source_path
        inner = resolve_specs(str(source_path), "auto")
        if len(inner) != 1:
            raise ValueError(f"{path}: source {entry['path']!r} is itself a mixture; nest by listing its parts.")
        specs.append(SourceSpec(inner[0].path, inner[0].kind, float(entry.get("weight", 1.0)),
                                int(entry.get("repeat", 1))))  # fmt: skip
    return specs


def resolve_specs(dataset_path: str, dataset_format: str = "auto", repeat: int | None = None) -> list[SourceSpec]:
    """The sources `dataset_path` stands for; `repeat` overrides a stage-2 `selection.json`'s factor."""
    if dataset_format not in DATASET_FORMATS:
        raise ValueError(f"`dataset_format` must be one of {', '.join(DATASET_FORMATS)}, got {dataset_format!r}.")
    path = Path(dataset_path)
    if dataset_format in ("auto", "mixture"):
        mixture = path if path.suffix in (".yaml", ".yml") else path / "mixture.yaml"
        if mixture.is_file():
            return _mixture_specs(mixture)
        if dataset_format == "mixture":
            raise ValueError(f"`dataset_path` {dataset_path} has no mixture.yaml (`dataset_format: mixture`).")
    if dataset_format in ("auto", "selection") and (path / "selection.json").is_file():
        selection = json.loads((path / "selection.json").read_text(encoding="utf-8"))
        factor = repeat if repeat is not None else int(selection.get("repeat", 1))
        folder = path / "selected" if (path / "selected").is_dir() else path
        return [SourceSpec(str(folder), "text", repeat=factor)]
    if dataset_format == "selection":
        raise ValueError(f"`dataset_path` {dataset_path} has no selection.json (`dataset_format: selection`).")
    if dataset_format in ("auto", "tokens") and path.is_dir():
        folder = path / "tokens" if (path / "tokens").is_dir() else path
        if find_token_shards(folder):
            return [SourceSpec(str(folder), "tokens", repeat=repeat or 1)]
    if dataset_format == "tokens":
        raise ValueError(f"`dataset_path` {dataset_path} holds no DataTrove token shards (`dataset_format: tokens`).")
    if path.is_dir() and (path / "documents").is_dir():
        return [SourceSpec(str(path / "documents"), "text", repeat=repeat or 1)]
    if not path.exists() and (dataset_path.startswith((".", "/", "~")) or dataset_path.count("/") != 1):
        raise FileNotFoundError(f"`dataset_path` {dataset_path} does not exist (and is not a Hub `org/name` id).")
    return [SourceSpec(dataset_path, "text", repeat=repeat or 1)]


def load_sources(specs: list[SourceSpec], tokenizer, *, needed_tokens: int | None = None, text_field: str = "text",
                 revision: str | None = None, split: str = "train", margin_tokens: int = 0) -> list[PackedSource]:  # fmt: skip
    """Read every source: token shards are memory-mapped; text is tokenized, only as far as `needed_tokens`
    (this source's weighted share of it, divided by its repetition factor) requires."""
    total_weight = sum(s.weight for s in specs)
    sources = []
    for spec in specs:
        if spec.kind == "tokens":
            stream = read_token_shards(spec.path)
        else:
            limit = None
            if needed_tokens is not None:
                limit = int(needed_tokens * spec.weight / total_weight / spec.repeat) + 1 + margin_tokens
            texts = iter_texts(spec.path, text_field=text_field, revision=revision, split=split)
            stream = tokenize_texts(texts, tokenizer, max_tokens=limit, name=spec.path)
        logger.info("source %s: %s tokens in %s documents (weight %s, repeat %s)", spec.path, f"{len(stream):,}",
                    f"{stream.num_documents:,}", spec.weight, spec.repeat)  # fmt: skip
        sources.append(PackedSource(stream, weight=spec.weight, repeat=spec.repeat, name=spec.path))
    return sources
