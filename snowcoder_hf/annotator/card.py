"""The annotator card: training data and counts, held-out accuracy, ROC-AUC per benchmark, encoder id and revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_annotator_card(folder: str | Path, annotator, *, command: str, config: str,
                         manifest: dict[str, Any] | None = None) -> Path:  # fmt: skip
    from snowcoder_hf.hub.cards import write_card

    cfg, metrics = annotator.config, annotator.config.metrics
    counts = []
    for source, splits in (manifest or {}).get("counts", {}).items():
        counts.append({"block": f"training data: {source}", "in": splits["train"] + splits["heldout"],
                       "kept": splits["train"], "dropped": splits["heldout"], "reasons": {"held_out": splits["heldout"]}})  # fmt: skip
    eval_results = [{"task": "heldout", "metric": "accuracy", "value": metrics["heldout_accuracy"]}] if (
        "heldout_accuracy" in metrics) else []  # fmt: skip
    eval_results += [{"task": b, "metric": "roc_auc", "value": v} for b, v in metrics.get("roc_auc", {}).items()]
    sources = (manifest or {}).get("sources", {})
    body = "\n".join(f"- `{name}`: " + ", ".join(str(s.get("id") or s.get("path") or s.get("type")) for s in specs)
                     for name, specs in sources.items()) or "- (not recorded)"  # fmt: skip
    context = {
        "title": f"snowcoder annotator ({cfg.variant})",
        "summary": f"ANN-{cfg.variant.upper()}: a quality annotator for code pretraining data, trained as in "
        "Arctic-SnowCoder. Chunks are chosen with the `" + cfg.chunks + "` strategy.",
        "license": "apache-2.0",
        "tags": ["code", "quality-annotator", "arctic-snowcoder", f"ann-{cfg.variant}"],
        "lineage": [{"role": "encoder", "id": cfg.encoder, "revision": cfg.encoder_revision or "main"}],
        "command": command,
        "config": config,
        "base_model": cfg.encoder,
        "counts": counts,
        "eval_results": eval_results or None,
        "extra_sections": [
            {"title": "Training data", "body": f"Positive and negative sources:\n\n{body}\n\n"
             f"Training: {metrics.get('train_files', '?')} files ({metrics.get('train_chunks', '?')} chunks); "
             f"held out: {metrics.get('heldout_files', '?')} files."},
            {"title": "Usage", "body": "```python\nfrom snowcoder_hf.annotator.model import Annotator\n"
             "annotator = Annotator.load(\"path/to/this/folder\")\nprint(annotator.score([\"def f(): ...\"]))\n```"},
        ],
    }  # fmt: skip
    return write_card(folder, "annotator", context)
