"""The stage-2 selection run (`snowcoder select`): count tokens, plan the per-language cut, write `selected/` and a report.

The report and `selection.json` state the budget, the tokens selected, and each language's share
against its target, with a warning where a language's files are too coarse for its share.

Pass 1 reads every scored document once (id, language, score, tokens under the training tokenizer).
Pass 2 is a DataTrove pipeline that keeps what the plan selected, so it runs on any executor.
Token counts add one `<|endoftext|>` per document, as the packed training data does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from snowcoder_hf.pipeline.select import ScoredDoc, SelectionPlan, plan_selection, resolve_shares

logger = logging.getLogger(__name__)


def read_scored_documents(input_path: str | Path, tokenizer_path: str | Path, batch: int = 256) -> list[ScoredDoc]:
    from tqdm import tqdm
    from transformers import AutoTokenizer

    from snowcoder_hf.pipeline.document_files import DocumentFileReader

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_path))
    docs: list[ScoredDoc] = []
    pending: list[tuple[str, str, float, str]] = []

    def flush():
        lengths = [len(ids) for ids in tokenizer([p[3] for p in pending], add_special_tokens=False)["input_ids"]]
        docs.extend(ScoredDoc(i, lang, s, n + 1) for (i, lang, s, _), n in zip(pending, lengths, strict=True))
        pending.clear()

    reader = DocumentFileReader(str(input_path))
    for doc in tqdm(reader.run(), desc="counting tokens", unit="doc"):
        score = doc.metadata.get("quality_score")
        if score is None:
            continue  # unscored documents cannot rank; pass 2 counts them under `unscored`
        pending.append((doc.id, str(doc.metadata.get("language") or "unknown"), float(score), doc.text))
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return docs


def input_mix(docs: list[ScoredDoc]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for doc in docs:
        totals[doc.language] = totals.get(doc.language, 0) + doc.tokens
    return totals


def plot_histograms(docs: list[ScoredDoc], plan: SelectionPlan, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    languages = sorted({d.language for d in docs})
    cols = min(3, max(1, len(languages)))
    rows = (len(languages) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.2 * rows), squeeze=False)
    for ax, language in zip(axes.flat, languages, strict=False):
        scores = [d.score for d in docs if d.language == language]
        ax.hist(scores, bins=30, color="#4C72B0")
        if language in plan.thresholds:
            cut = plan.thresholds[language][0]
            ax.axvline(cut, color="#C44E52", linestyle="--", label=f"cut-off {cut:.3f}")
            ax.legend(fontsize=8)
        ax.set_title(f"{language}: {plan.kept_documents.get(language, 0)}/{len(scores)} kept")
        ax.set_xlabel("quality score")
    for ax in list(axes.flat)[len(languages) :]:
        ax.axis("off")
    from snowcoder_hf.common.reporting import save_figure

    return save_figure(fig, path)


def budget_rows(selection: dict[str, Any]) -> list[list[str]]:
    """The honest budget table from a `selection.json`: per language, target share and tokens against what was
    selected, then a total row with the budget."""
    kept = selection.get("tokens_per_language") or {}
    targets, shares = selection.get("targets") or dict.fromkeys(kept, 0), selection.get("shares") or {}
    total = sum(kept.values())
    selected_shares = selection.get("selected_shares") or {k: (v / total if total else 0.0) for k, v in kept.items()}
    skipped, docs = selection.get("skipped_documents") or {}, selection.get("documents_per_language") or {}
    rows = []
    for language, target in sorted(targets.items()):
        tokens = kept.get(language, 0)
        rows.append([language, f"{shares.get(language, 0):.1%}", f"{target:,}", f"{tokens:,}",
                     f"{selected_shares.get(language, 0):.1%}", f"{tokens - target:+,}", f"{docs.get(language, 0):,}",
                     f"{skipped.get(language, 0):,}"])  # fmt: skip
    budget = selection.get("budget_tokens", 0)
    rows.append(["**total**", "100%", f"{budget:,}", f"{total:,}", "100%", f"{total - budget:+,}",
                 f"{sum(docs.values()):,}", f"{sum(skipped.values()):,}"])  # fmt: skip
    return rows


BUDGET_HEADER = ["language", "target share", "target tokens", "selected tokens", "selected share", "off by", "files",
                 "skipped (too big)"]  # fmt: skip


def write_report(output: Path, plan: SelectionPlan, repeat: int, histogram: Path, selection: dict[str, Any]) -> Path:
    lines = [
        "# Stage-2 selection",
        "",
        (
            f"Budget: {plan.budget_tokens:,} tokens, selected {plan.selected_tokens:,} "
            f"({plan.selected_tokens / plan.budget_tokens:.1%}), repeated {repeat}x in training."
        ),
        "",
        "| " + " | ".join(BUDGET_HEADER) + " |",
        "|---|" + "---:|" * (len(BUDGET_HEADER) - 1),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in budget_rows(selection)]
    lines += ["", "| language | available tokens | median file | largest file | threshold | picked below it |",
              "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for language in plan.targets:
        cut = plan.thresholds.get(language)
        lines.append(f"| {language} | {plan.available_tokens.get(language, 0):,} | "
                     f"{plan.median_file_tokens.get(language, 0):,} | {plan.largest_file_tokens.get(language, 0):,} | "
                     f"{f'{cut[0]:.4f}' if cut else '-'} | {len(plan.picked.get(language, [])):,} |")  # fmt: skip
    if plan.warnings:
        lines += ["", "**Warnings**", "", *(f"- {w}" for w in plan.warnings)]
    lines += ["", f"![score histograms with the cut-off]({histogram.name})", ""]
    path = output / "report.md"
    path.write_text("\n".join(lines))
    return path


def run_selection(
    input_path: str | Path,
    output: str | Path,
    *,
    budget_tokens: int,
    tokenizer_path: str | Path,
    repeat: int = 4,
    mix: dict[str, float] | None = None,
    default_mix: dict[str, float] | None = None,
    executor_config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Select the top documents per language to `budget_tokens`; returns what `selection.json` holds."""
    from snowcoder_hf.common.executors import build_executor
    from snowcoder_hf.pipeline.document_files import DocumentFileReader, removed_writer
    from snowcoder_hf.pipeline.select import TopPercentileSelector

    if repeat < 1:
        raise ValueError(f"`repeat` must be at least 1, got {repeat}.")
    output = Path(output)
    docs = read_scored_documents(input_path, tokenizer_path)
    if not docs:
        raise ValueError(
            f"`--input` {input_path} holds no document with a `quality_score`: run `snowcoder score` first."
        )
    shares = resolve_shares(default_mix or input_mix(docs), mix)
    plan = plan_selection(docs, budget_tokens, shares)
    from datatrove.pipeline.writers import JsonlWriter

    pipeline = [
        DocumentFileReader(str(input_path)),
        TopPercentileSelector.from_plan(plan, exclusion_writer=removed_writer(output, "select")),
        JsonlWriter(str(output / "selected"), output_filename="${rank}.jsonl.gz"),
    ]
    build_executor(pipeline, executor_config, str(output / "stats" / "select")).run()
    histogram = plot_histograms(docs, plan, output / "score_histograms.png")
    for warning in plan.warnings:
        logger.warning(warning)
    selection = {
        "repeat": repeat,
        "budget_tokens": budget_tokens,
        "selected_tokens": plan.selected_tokens,
        "tokens_per_language": plan.kept_tokens,
        "targets": plan.targets,
        "shares": plan.shares,
        "selected_shares": plan.selected_shares(),
        "documents_per_language": plan.kept_documents,
        "skipped_documents": plan.skipped_documents,
        "thresholds": {k: v[0] for k, v in plan.thresholds.items()},
        "picked_below_threshold": {k: len(v) for k, v in plan.picked.items()},
        "warnings": plan.warnings,
        "tokenizer": Path(tokenizer_path).name,
    }
    write_report(output, plan, repeat, histogram, selection)
    (output / "selection.json").write_text(json.dumps(selection, indent=2))
    return selection


def stage1_mix(stage1_dir: str | Path) -> dict[str, float]:
    """The language token mix of a stage-1 output folder (`summary.json` `languages`)."""
    path = Path(stage1_dir) / "summary.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: `--stage1` must be a stage-1 output folder.")
    languages = json.loads(path.read_text()).get("languages") or {}
    return {k: float(v) for k, v in languages.items() if float(v) > 0}
