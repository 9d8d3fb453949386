"""Several checkpoints side by side (alpha -> beta -> final): each evaluated into its own folder, then one
report with pass@1 beside the paper's Table 2, bits per byte per benchmark, the stage-to-stage changes
and both plots.

`OUTPUT/<name>/` holds each checkpoint's own report; `OUTPUT/summary.json` is
`{name: {benchmark: {"pass@1", "bits_per_byte", ...}}}` in the order given, `OUTPUT/report.md`,
`OUTPUT/pass_at_1.png` and `OUTPUT/bits_per_byte.png` compare them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snowcoder_hf.eval.paper_table import COLUMNS, HEADERS


def parse_named(values: list[str], what: str = "checkpoints") -> list[tuple[str, str]]:
    """`NAME=PATH` (or a bare path or Hub id, named after its last part) -> `[(name, path)]`, names distinct."""
    pairs = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep:
            name, path = Path(value.rstrip("/")).name, value
        if not name or not path:
            raise ValueError(f"`{what}` entries must look like NAME=PATH or PATH, got {value!r}.")
        pairs.append((name, path))
    if not pairs:
        raise ValueError(f"`{what}` is empty: give NAME=PATH entries, e.g. alpha=outputs/tiny/alpha.")
    names = [n for n, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"`{what}` names must be distinct, got {names}: name them, e.g. alpha=PATH beta=PATH.")
    return pairs


def comparison_markdown(rows: list[dict]) -> str:
    """The stage-to-stage change per benchmark (points of pass@1)."""
    lines = ["| from -> to | " + " | ".join(HEADERS[c] for c in COLUMNS) + " |", "|---|" + "---|" * len(COLUMNS)]
    for before, after in zip(rows, rows[1:], strict=False):
        cells = []
        for column in COLUMNS:
            a, b = before["scores"].get(column), after["scores"].get(column)
            cells.append("-" if a is None or b is None else f"{b - a:+.1f}")
        lines.append(f"| {before['model']} -> {after['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def pass_at_1_markdown(summaries: dict[str, dict]) -> str:
    """pass@1 of every scored benchmark (the ones outside Table 2 too), checkpoints as rows."""
    tasks = [t for t in dict.fromkeys(t for s in summaries.values() for t, e in s.items() if e.get("tasks"))]
    lines = ["| checkpoint | " + " | ".join(tasks) + " |", "|---|" + "---:|" * len(tasks)]
    for name, summary in summaries.items():
        cells = [(summary.get(t) or {}).get("pass@1") for t in tasks]
        lines.append(f"| {name} | " + " | ".join("-" if c is None else f"{c:.1f}" for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_comparison(output: str | Path, summaries: dict[str, dict], title: str = "alpha -> beta -> final") -> str:
    """Write `summary.json`, `report.md`, `pass_at_1.png` and `bits_per_byte.png`; returns the report text."""
    from snowcoder_hf.eval.bpb_report import bpb_columns, bpb_section, plot_bits_per_byte
    from snowcoder_hf.eval.report import plot_rows, row_from_summary, table_markdown

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows = [row_from_summary(name, summary) for name, summary in summaries.items()]
    has_bpb = bool(bpb_columns(summaries))
    text = "# Checkpoints side by side\n\n## pass@1 (greedy)\n\n" + pass_at_1_markdown(summaries)
    text += "\n### Beside the paper's Table 2\n\n" + table_markdown(rows)
    if len(rows) > 1:
        text += "\n### Stage to stage\n\n" + comparison_markdown(rows)
    text += "\n## Bits per byte\n\n" + "\n".join(bpb_section(summaries, "bits_per_byte.png" if has_bpb else None))
    (output / "report.md").write_text(text)
    (output / "summary.json").write_text(json.dumps(summaries, indent=2))
    plot_rows(rows, output / "pass_at_1.png", f"{title}, pass@1 (greedy)")
    if has_bpb:
        plot_bits_per_byte(summaries, output / "bits_per_byte.png", f"{title}, bits per byte on benchmark programs")
    return text


def evaluate_models(named: list[tuple[str, str]], output: str | Path, **kwargs: Any) -> dict[str, dict]:
    """Evaluate each `(name, model)` into `output/name/` (`kwargs` go to `evaluate_model`), then compare them."""
    from snowcoder_hf.eval.evaluate import evaluate_model

    output = Path(output)
    summaries = {name: evaluate_model(model, output / name, name=name, **kwargs) for name, model in named}
    write_comparison(output, summaries, " -> ".join(summaries) if len(summaries) <= 4 else "checkpoints")
    return summaries
