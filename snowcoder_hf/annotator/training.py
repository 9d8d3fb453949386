"""`annotator build-data` and `annotator train`: one pooled training set, heads trained from cached embeddings.

`build-data` writes `records.jsonl.gz` (every positive source, the negatives and the held-out sample,
each record tagged with `source` and `split`) and `manifest.json` (counts and where each came from).
`train --variant V` picks V's positives from that pool; all variants share one embedding cache, so
the second variant trains in seconds.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from snowcoder_hf.annotator.sources import (
    EDU_POSITIVE_MIN,
    VARIANTS,
    check_variant,
    load_source,
    sample_negatives,
    text_id,
)


def build_training_data(
    output: str | Path,
    *,
    stage1_files: str | Path,
    sources: dict[str, list[dict[str, Any]]],
    limits: dict[str, int],
    negatives: int,
    heldout_negatives: int,
    heldout_fraction: float = 0.1,
    ratings: str | Path | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Write the pooled training set to `output`; returns the manifest."""
    if not 0 <= heldout_fraction < 1:
        raise ValueError(f"`heldout_fraction` must be in [0, 1), got {heldout_fraction}.")
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for name, specs in sources.items():
        texts = []
        for spec in specs:
            texts += load_source(spec, limits.get(name, 1000) - len(texts), seed)
        for i, text in enumerate(texts):
            split = "heldout" if i < int(len(texts) * heldout_fraction) else "train"
            records.append({"id": text_id(text), "text": text, "source": name, "split": split})
    train_neg, heldout_neg = sample_negatives(stage1_files, negatives, heldout_negatives, seed)
    for split, rows in (("train", train_neg), ("heldout", heldout_neg)):
        for row in rows:
            meta = row.get("metadata") or {}
            records.append({"id": str(row.get("id") or text_id(row["text"])), "text": row["text"], "source": "negative",
                            "split": split, "language": meta.get("language")})  # fmt: skip
    if ratings:
        records += _rated_records(ratings, {r["id"] for r in records if r["split"] == "heldout"}, heldout_fraction, rng)
    with gzip.open(output / "records.jsonl.gz", "wt", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    counts: dict[str, dict[str, int]] = {}
    for record in records:
        counts.setdefault(record["source"], {"train": 0, "heldout": 0})[record["split"]] += 1
    manifest = {"counts": counts, "sources": sources, "stage1_files": Path(stage1_files).name, "seed": seed}
    (output / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def _rated_records(path, heldout_ids, heldout_fraction, rng) -> list[dict[str, Any]]:
    """EDU ratings (JSONL of {id, text, score}) become `edu` records; held-out negatives are never trained on."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("score") is not None and r["id"] not in heldout_ids]
    rng.shuffle(rows)
    cut = int(len(rows) * heldout_fraction)
    return [{"id": r["id"], "text": r["text"], "source": "edu", "split": "heldout" if i < cut else "train",
             "edu_score": float(r["score"])} for i, r in enumerate(rows)]  # fmt: skip


def read_records(data_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(data_dir) / "records.jsonl.gz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `snowcoder annotator build-data` first.")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def variant_examples(records: list[dict[str, Any]], variant: str) -> list[tuple[dict[str, Any], float]]:
    """(record, target) pairs for `variant`: 1/0 labels, or the EDU rating for the regression head."""
    spec = VARIANTS[check_variant(variant)]
    if variant == "edu":
        rated = [(r, r["edu_score"]) for r in records if r["source"] == "edu"]
        if not rated:
            raise ValueError("variant `edu` needs EDU ratings: pass a JSONL of {id, text, score} records to "
                             "`annotator build-data --ratings`.")  # fmt: skip
        return rated
    positives = set(spec["positives"])
    out = []
    for record in records:
        if record["source"] == "negative":
            out.append((record, 0.0))
        elif record["source"] in positives or (
            "edu_high" in positives and record["source"] == "edu" and record["edu_score"] >= EDU_POSITIVE_MIN
        ):
            out.append((record, 1.0))
    if not any(t == 1.0 for _, t in out):
        raise ValueError(f"variant `{variant}` has no positive record in this training set (sources: "
                         f"{sorted({r['source'] for r in records})}).")  # fmt: skip
    return out


def train_from_cache(examples, embeddings, kind: str, c: float = 1.0, seed: int = 0):
    """Train on the chunks of the `train` split (each chunk carries its file's target); report held-out
    document-level accuracy (classification) or mean absolute error (regression)."""
    from snowcoder_hf.annotator.chunks import mean_score
    from snowcoder_hf.annotator.head import train_head

    train = [(e, t) for (r, t), e in zip(examples, embeddings, strict=True) if r["split"] == "train" and len(e)]
    x = np.concatenate([e for e, _ in train])
    y = np.concatenate([[t] * len(e) for e, t in train])
    head = train_head(x, y, kind, c=c, seed=seed)
    heldout = [(e, t) for (r, t), e in zip(examples, embeddings, strict=True) if r["split"] == "heldout" and len(e)]
    scores = np.array([mean_score(list(head(e))) for e, _ in heldout])
    targets = np.array([t for _, t in heldout])
    metrics: dict[str, Any] = {"train_files": len(train), "train_chunks": int(len(x)), "heldout_files": len(heldout)}
    if len(heldout) and kind == "classification":
        metrics["heldout_accuracy"] = float(np.mean((scores >= 0.5) == (targets >= 0.5)))
    elif len(heldout):
        metrics["heldout_mae"] = float(np.mean(np.abs(scores - targets)))
    return head, metrics


def train_annotator(
    data_dir: str | Path,
    variant: str,
    output: str | Path,
    *,
    encoder: str,
    encoder_revision: str | None = None,
    cache_dir: str | Path | None = None,
    chunks: str = "top_middle_bottom",
    c: float = 1.0,
    seed: int = 0,
    device: str | None = None,
    chunk_encoder=None,
    command: str = "",
    config_text: str = "",
):
    """Train `variant`'s head from the (cached) chunk embeddings of `data_dir`; save the annotator folder
    with its card. Returns the `Annotator`."""
    from snowcoder_hf.annotator.card import write_annotator_card
    from snowcoder_hf.annotator.embedding_cache import EmbeddingCache, encoder_key
    from snowcoder_hf.annotator.encoder import ChunkEncoder
    from snowcoder_hf.annotator.model import Annotator, AnnotatorConfig

    examples = variant_examples(read_records(data_dir), variant)
    chunk_encoder = chunk_encoder or ChunkEncoder(encoder, revision=encoder_revision, device=device)
    cache = EmbeddingCache(
        cache_dir or Path(data_dir) / "embeddings", chunk_encoder,
        encoder_key(encoder, encoder_revision, getattr(chunk_encoder, "dtype", "float32")), chunks,
    )  # fmt: skip
    embeddings = cache.embed([r["text"] for r, _ in examples])
    head, metrics = train_from_cache(examples, embeddings, VARIANTS[variant]["head"], c=c, seed=seed)
    annotator = Annotator(AnnotatorConfig(encoder=encoder, encoder_revision=encoder_revision, variant=variant,
                                          chunks=chunks, metrics=metrics), head, encoder=chunk_encoder)  # fmt: skip
    annotator.save(output)
    manifest_path = Path(data_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    write_annotator_card(output, annotator, command=command, config=config_text, manifest=manifest)
    return annotator
