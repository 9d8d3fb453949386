"""Run summaries: what each block kept and dropped, per reason, read back from DataTrove's stats.

Every command ends with `print_summary(...)`: one screen, one row per block. The same numbers feed the
dataset cards and the bar charts of the reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Stat keys DataTrove and our blocks write that are not drop reasons.
_NON_REASON_KEYS = {
    "total",
    "forwarded",
    "dropped",
    "documents",
    "doc_len",
    "doc_len_tokens",
    "kept",
    "input_files",
    "batches",
}


@dataclass
class BlockCounts:
    """What one pipeline block saw: documents in, forwarded, and dropped by reason."""

    name: str
    forwarded: int = 0
    dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.forwarded + self.dropped


def _stat_value(value: Any) -> float:
    if isinstance(value, dict):
        return float(value.get("total", value.get("sum", 0)))
    return float(value)


def parse_pipeline_stats(stats: list[dict[str, Any]]) -> list[BlockCounts]:
    """Turn DataTrove's merged `stats.json` (a list of per-block dicts) into `BlockCounts`."""
    blocks = []
    for block in stats:
        values = {key: _stat_value(v) for key, v in (block.get("stats") or {}).items()}
        if not values:
            continue  # writers and pass-through steps count nothing worth a row
        dropped = int(values.get("dropped", 0))
        # Filters count what came in as `total`; readers count what they emitted as `documents`.
        forwarded = int(values["total"]) - dropped if "total" in values else int(values.get("documents", 0))
        counts = BlockCounts(
            name=block.get("name", "?"),
            forwarded=int(values.get("forwarded", forwarded)),
            dropped=dropped,
            seconds=float((block.get("time_stats") or {}).get("total", 0.0)),
        )
        for key, value in values.items():
            if key in _NON_REASON_KEYS:
                continue
            if key.startswith("dropped_") or key in ("malformed_json", "missing_text", "empty_text"):
                counts.reasons[key.removeprefix("dropped_")] = int(value)
            else:
                counts.extra[key] = value
        blocks.append(counts)
    return blocks


def load_pipeline_stats(logging_dir: str | Path) -> list[BlockCounts]:
    """The merged stats of every task of a run.

    DataTrove's `stats.json` only sums the tasks that ran in the last launch: after a resumed run it
    misses the tasks finished before the interruption (and a run killed between its last task and the
    merge has none). So the per-task `stats/<rank>.json` files are merged when they are all there.
    """
    logging_dir = Path(logging_dir)
    per_task = sorted((logging_dir / "stats").glob("*.json"))
    completions = logging_dir / "completions"
    if per_task and (not completions.is_dir() or len(per_task) >= len(list(completions.iterdir()))):
        from datatrove.utils.stats import PipelineStats

        merged = sum((PipelineStats.from_json(json.loads(p.read_text())) for p in per_task), start=PipelineStats())
        return parse_pipeline_stats(json.loads(merged.to_json()))
    path = logging_dir / "stats.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: the run has not finished all of its tasks.")
    return parse_pipeline_stats(json.loads(path.read_text()))


def print_summary(title: str, blocks: list[BlockCounts], elapsed_s: float, input_bytes: int | None = None) -> None:
    """One screen: a row per block with in/forwarded/dropped and the top drop reasons, then throughput."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column, justify in (("block", "left"), ("in", "right"), ("kept", "right"), ("dropped", "right"),
                            ("reasons", "left")):  # fmt: skip
        table.add_column(column, justify=justify)
    for block in blocks:
        reasons = ", ".join(f"{r}={n:,}" for r, n in sorted(block.reasons.items(), key=lambda kv: -kv[1]))
        table.add_row(block.name, f"{block.total:,}", f"{block.forwarded:,}", f"{block.dropped:,}", reasons or "-")
    console = Console(stderr=False)
    console.print(table)
    documents_in = blocks[0].total if blocks else 0
    rate = f"{documents_in / elapsed_s:,.0f} docs/s" if elapsed_s > 0 else "-"
    if input_bytes and elapsed_s > 0:
        rate += f", {input_bytes / elapsed_s / 1e6:,.1f} MB/s"
    console.print(f"{documents_in:,} documents in {elapsed_s:,.1f}s ({rate})")


def plot_counts(counts: dict[str, dict[str, int]], path: str | Path, title: str) -> Path:
    """A horizontal bar chart of `{group: {category: count}}`, e.g. kept/dropped per reason or per language."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(counts)
    fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 0.35 * max(
        (len(v) for v in counts.values()), default=1) + 1.5), squeeze=False)  # fmt: skip
    for ax, group in zip(axes[0], groups, strict=True):
        items = sorted(counts[group].items(), key=lambda kv: kv[1])
        ax.barh([k for k, _ in items], [v for _, v in items], color="#4C72B0")
        ax.set_title(group)
        ax.set_xlabel("documents")
        for y, (_, value) in enumerate(items):
            ax.text(value, y, f" {value:,}", va="center", fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, path)


def save_figure(fig, path: str | Path) -> Path:
    """Lay out, write (creating the folder) and close a matplotlib figure: every report PNG goes through here."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
