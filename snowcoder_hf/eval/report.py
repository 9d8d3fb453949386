"""Evaluation reports: per-task details, summary JSON, a Table-2-style markdown and a bar chart."""

from __future__ import annotations

import json
import re
from pathlib import Path

from snowcoder_hf.eval.paper_table import COLUMNS, HEADERS, paper_rows


def _cell(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def table_markdown(our_rows: list[dict]) -> str:
    """Table 2 with `our_rows` ({model, tokens, scores: {column: pass@1}}) after the paper's rows."""
    head = "| model | tokens | " + " | ".join(HEADERS[c] for c in COLUMNS) + " | source |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 3)]
    for row in paper_rows() + our_rows:
        cells = " | ".join(_cell(row["scores"].get(c)) for c in COLUMNS)
        lines.append(f"| {row['model']} | {row.get('tokens') or '-'} | {cells} | {row.get('source', 'this run')} |")
    return "\n".join(lines) + "\n"


def row_from_summary(model: str, summary: dict, tokens: str | None = None) -> dict:
    return {"model": model, "tokens": tokens, "source": "this run",
            "scores": {c: (summary.get(c) or {}).get("pass@1") for c in COLUMNS}}  # fmt: skip


def eval_results(summary: dict) -> list[dict]:
    """The card context's `eval_results`: [{task, metric, value}] for every scored column."""
    return [{"task": HEADERS.get(name, name), "metric": "pass@1", "value": round(entry["pass@1"], 2)}
            for name, entry in summary.items() if entry.get("pass@1") is not None and name in COLUMNS]  # fmt: skip


CARD_METRIC = re.compile(r"pass@\d+|bits_per_byte")


def card_metrics(summary: dict) -> list[dict]:
    """Every computed metric of every benchmark (pass@k, bits per byte), as card `eval_results` ({task, metric,
    value}) for the model-index; counts such as `tasks` are not metrics."""
    return [{"task": name, "metric": metric, "value": float(value)}
            for name, entry in sorted(summary.items()) if isinstance(entry, dict)
            for metric, value in entry.items()
            if CARD_METRIC.fullmatch(metric) and isinstance(value, (int, float)) and not isinstance(value, bool)]  # fmt: skip


def plot_rows(rows: list[dict], path: str | Path, title: str = "pass@1 (greedy)") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(rows)), 4.5))
    width = 0.8 / max(len(rows), 1)
    for i, row in enumerate(rows):
        values = [row["scores"].get(c) or 0.0 for c in COLUMNS]
        bars = ax.bar([x + i * width for x in range(len(COLUMNS))], values, width, label=row["model"])
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks([x + width * (len(rows) - 1) / 2 for x in range(len(COLUMNS))], [HEADERS[c] for c in COLUMNS])
    ax.set_ylabel("pass@1 (%)")
    ax.set_title(title)
    ax.legend(fontsize=7)
    from snowcoder_hf.common.reporting import save_figure

    return save_figure(fig, path)


def write_report(output: str | Path, model: str, results: list, programs: list[str], summary: dict,
                 completions: list[str] | None = None, extra_rows: list[dict] | None = None) -> dict[str, Path]:  # fmt: skip
    """Write `details.jsonl`, `summary.json`, `report.md` and `pass_at_1.png` into `output`."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    with open(output / "details.jsonl", "w") as handle:
        for i, (result, program) in enumerate(zip(results, programs, strict=True)):
            row = {**result.to_dict(), "program": program}
            if completions is not None:
                row["completion"] = completions[i]
            handle.write(json.dumps(row) + "\n")
    (output / "summary.json").write_text(json.dumps({"model": model, "results": summary}, indent=2))
    rows = [*(extra_rows or []), row_from_summary(model, summary)]
    lines = [f"# Evaluation of {model}\n", table_markdown(rows), "\n## Per benchmark\n",
             "| benchmark | pass@1 | tasks | environment missing | statuses | bits per byte (programs) |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for name, entry in summary.items():
        statuses = ", ".join(f"{k}={v}" for k, v in sorted(entry["statuses"].items()))
        bpb = entry.get("bits_per_byte")
        bpb_cell = "-" if bpb is None else f"{bpb:.4f} ({entry.get('bits_per_byte_items', 0)})"
        lines.append(f"| {name} | {_cell(entry['pass@1'])} | {entry['tasks']} | {entry['environment_missing']} | "
                     f"{statuses} | {bpb_cell} |")  # fmt: skip
    (output / "report.md").write_text("\n".join(lines) + "\n")
    plot_rows(rows, output / "pass_at_1.png")
    return {n: output / n for n in ("details.jsonl", "summary.json", "report.md", "pass_at_1.png")}
