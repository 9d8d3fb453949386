"""The alignment report (Figure 2 of the paper): ROC-AUC of each annotator, per benchmark.

Positives are a benchmark's reference solutions with their prompts (from `snowcoder_hf.evalsets.registry`);
negatives are the held-out random stage-1 files no head was trained on. A higher ROC-AUC means the
annotator's idea of quality is closer to the benchmarks, which the paper found predicts pass@1
after continued pretraining: readable before any training compute is spent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def benchmark_texts(names: list[str], benchmark_dir: str | Path | None) -> dict[str, list[str]]:
    """Prompt + canonical solution of every item, per benchmark."""
    from snowcoder_hf.evalsets.programs import canonical_program
    from snowcoder_hf.evalsets.registry import load_benchmark

    return {name: [canonical_program(item) for item in load_benchmark(name, benchmark_dir)] for name in names}


def load_annotators(folders: list[str | Path], device: str | None = None, dtype: str = "auto") -> dict[str, Any]:
    """Annotators by folder name; those with the same encoder share one loaded encoder."""
    from snowcoder_hf.annotator.encoder import ChunkEncoder
    from snowcoder_hf.annotator.model import Annotator

    encoders: dict[tuple, Any] = {}
    annotators = {}
    for folder in folders:
        annotator = Annotator.load(folder)
        key = (annotator.config.encoder, annotator.config.encoder_revision)
        if key not in encoders:
            encoders[key] = ChunkEncoder(key[0], revision=key[1], device=device, dtype=dtype)
        annotator._encoder = encoders[key]
        annotators[Path(folder).name] = annotator
    return annotators


def roc_table(annotators: dict[str, Any], positives: dict[str, list[str]], negatives: list[str],
              cache_dir: str | Path) -> tuple[dict[str, dict[str, float]], dict]:  # fmt: skip
    """`{annotator: {benchmark: roc_auc}}` and the curves `{annotator: {benchmark: (fpr, tpr)}}`."""
    from sklearn.metrics import roc_auc_score, roc_curve

    from snowcoder_hf.annotator.embedding_cache import EmbeddingCache, encoder_key

    if not negatives:
        raise ValueError("no held-out negatives: build the training data with `heldout_negatives` > 0.")
    table: dict[str, dict[str, float]] = {}
    curves: dict[str, dict[str, tuple]] = {}
    for name, annotator in annotators.items():
        config = annotator.config
        cache = EmbeddingCache(
            cache_dir,
            annotator.encoder,
            encoder_key(config.encoder, config.encoder_revision, getattr(annotator.encoder, "dtype", "float32")),
            config.chunks,
        )
        negative_scores = [s.score for s in annotator.score_embeddings(cache.embed(negatives))]
        table[name], curves[name] = {}, {}
        for benchmark, texts in positives.items():
            positive_scores = [s.score for s in annotator.score_embeddings(cache.embed(texts))]
            labels = [1] * len(positive_scores) + [0] * len(negative_scores)
            pairs = [(y, s) for y, s in zip(labels, positive_scores + negative_scores, strict=True) if s is not None]
            y, s = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
            table[name][benchmark] = float(roc_auc_score(y, s))
            fpr, tpr, _ = roc_curve(y, s)
            curves[name][benchmark] = (fpr, tpr)
    return table, curves


def plot_roc(curves: dict, table: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    benchmarks = list(next(iter(curves.values())))
    cols = min(3, len(benchmarks))
    rows = (len(benchmarks) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 4 * rows), squeeze=False)
    for ax, benchmark in zip(axes.flat, benchmarks, strict=False):
        for name, per_benchmark in curves.items():
            fpr, tpr = per_benchmark[benchmark]
            ax.plot(fpr, tpr, label=f"{name} ({table[name][benchmark]:.3f})")
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
        ax.set_title(benchmark)
        ax.set_xlabel("false positive rate (random files)")
        ax.set_ylabel("true positive rate (solutions)")
        ax.legend(fontsize=8, loc="lower right")
    for ax in list(axes.flat)[len(benchmarks) :]:
        ax.axis("off")
    from snowcoder_hf.common.reporting import save_figure

    return save_figure(fig, path)


def write_validation(
    output: str | Path, table: dict, curves: dict, skipped: dict[str, str] | None = None
) -> dict[str, Path]:
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    benchmarks = list(next(iter(table.values())))
    lines = ["# Annotator alignment: ROC-AUC per benchmark", "",
             "Positives: benchmark prompts + reference solutions. Negatives: held-out random stage-1 files.", "",
             "| annotator | " + " | ".join(benchmarks) + " | mean |", "|---|" + "---:|" * (len(benchmarks) + 1)]  # fmt: skip
    for name, row in table.items():
        values = [row[b] for b in benchmarks]
        lines.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {np.mean(values):.3f} |")
    if skipped:
        lines += ["", "Not covered: " + ", ".join(f"{name} ({why})" for name, why in skipped.items()) + "."]
    png = plot_roc(curves, table, output / "roc.png")
    lines += ["", f"![ROC curves]({png.name})", ""]
    report = output / "validation.md"
    report.write_text("\n".join(lines))
    (output / "validation.json").write_text(json.dumps(table, indent=2))
    return {"report": report, "plot": png}


def run_validation(annotator_dirs, data_dir, benchmarks: list[str] | str, benchmark_dir, output, *, cache_dir=None,
                   device=None, dtype: str = "auto", command: str = "") -> dict[str, dict[str, float]]:  # fmt: skip
    """Validate annotators on `benchmarks` (names, or `auto`: every paper benchmark reachable from
    `benchmark_dir`), write the report and plot, and record each ROC-AUC in its annotator's folder
    (annotator.json and the card)."""
    from snowcoder_hf.annotator.card import write_annotator_card
    from snowcoder_hf.annotator.training import read_records
    from snowcoder_hf.evalsets.available import resolve_benchmarks

    benchmarks, skipped = resolve_benchmarks(benchmarks if isinstance(benchmarks, str) else ",".join(benchmarks),
                                             benchmark_dir)  # fmt: skip

    negatives = [r["text"] for r in read_records(data_dir) if r["source"] == "negative" and r["split"] == "heldout"]
    annotators = load_annotators(annotator_dirs, device=device, dtype=dtype)
    table, curves = roc_table(annotators, benchmark_texts(benchmarks, benchmark_dir), negatives,
                              cache_dir or Path(data_dir) / "embeddings")  # fmt: skip
    write_validation(output, table, curves, skipped)
    manifest_path = Path(data_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    for folder in annotator_dirs:
        annotator = annotators[Path(folder).name]
        annotator.config.metrics["roc_auc"] = table[Path(folder).name]
        annotator.save(folder)
        write_annotator_card(folder, annotator, command=command, config=json.dumps({"benchmarks": benchmarks}),
                             manifest=manifest)  # fmt: skip
    return table
