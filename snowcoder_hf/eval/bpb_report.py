"""Bits per byte across checkpoints: the table, the stage-to-stage changes, a verdict in words, and the plot.

Input is the comparison summary `{checkpoint: {benchmark: {"pass@1", "bits_per_byte", ...}}}` in stage
order, with an optional `reference` entry per checkpoint (bits per byte on general code, e.g. stage-1
files). Lower is better. A drop on the benchmarks says little alone, since any further training on code
lowers it; the verdict compares it with the drop on the reference, and says so when there is none.
"""

from __future__ import annotations

from pathlib import Path

from snowcoder_hf.evalsets.registry import GROUPS

REFERENCE = "reference"
UNCHANGED = 0.001  # bits per byte: smaller changes are reported as unchanged
_ORDER = ("humaneval", "humaneval_plus", "mbpp_plus", "evoeval", "bigcodebench")


def bpb_columns(summaries: dict[str, dict]) -> list[str]:
    """Benchmarks measured for every checkpoint, groups shown instead of their members, paper order first."""
    names = None
    for tasks in summaries.values():
        measured = {t for t, e in tasks.items() if isinstance(e, dict) and e.get("bits_per_byte") is not None}
        names = measured if names is None else names & measured
    names = (names or set()) - {REFERENCE}
    hidden = {m for group, members in GROUPS.items() if group in names for m in members}
    names -= hidden
    return sorted(names, key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))


def _value(summaries: dict, checkpoint: str, task: str) -> float | None:
    entry = (summaries.get(checkpoint) or {}).get(task)
    return entry.get("bits_per_byte") if isinstance(entry, dict) else None


def has_reference(summaries: dict[str, dict]) -> bool:
    return bool(summaries) and all(_value(summaries, c, REFERENCE) is not None for c in summaries)


def bpb_table_markdown(summaries: dict[str, dict]) -> str:
    """Checkpoints as rows, benchmarks (then the reference) as columns; the last column is the benchmarks' mean."""
    columns = bpb_columns(summaries)
    extra = [REFERENCE] if has_reference(summaries) else []
    head = ["checkpoint", *columns, "benchmark mean", *extra]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for checkpoint in summaries:
        values = [_value(summaries, checkpoint, c) for c in columns]
        mean = sum(values) / len(values) if values else None
        cells = [*values, mean, *(_value(summaries, checkpoint, c) for c in extra)]
        lines.append(f"| {checkpoint} | " + " | ".join("-" if v is None else f"{v:.4f}" for v in cells) + " |")
    return "\n".join(lines) + "\n"


def bpb_changes_markdown(summaries: dict[str, dict]) -> str:
    """Stage-to-stage change of bits per byte per benchmark (negative: the model got better at that text)."""
    columns = bpb_columns(summaries)
    extra = [REFERENCE] if has_reference(summaries) else []
    lines = ["| from -> to | " + " | ".join([*columns, *extra]) + " |", "|---|" + "---:|" * (len(columns) + len(extra))]
    names = list(summaries)
    for before, after in zip(names, names[1:], strict=False):
        cells = [_value(summaries, after, c) - _value(summaries, before, c) for c in [*columns, *extra]]
        lines.append(f"| {before} -> {after} | " + " | ".join(f"{c:+.4f}" for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _moved(delta: float) -> str:
    return "stayed the same" if abs(delta) < UNCHANGED else ("fell" if delta < 0 else "rose")


def verdict_lines(summaries: dict[str, dict]) -> list[str]:
    """One sentence per stage-to-stage step (and first to last), from the numbers, whichever way they point."""
    columns = bpb_columns(summaries)
    names = list(summaries)
    if not columns or len(names) < 2:
        return []
    reference = has_reference(summaries)
    pairs = list(zip(names, names[1:], strict=False))
    if len(names) > 2:
        pairs.append((names[0], names[-1]))
    lines = []
    for before, after in pairs:
        deltas = [_value(summaries, after, c) - _value(summaries, before, c) for c in columns]
        mean = sum(deltas) / len(deltas)
        fell = sum(d <= -UNCHANGED for d in deltas)
        text = (f"{before} -> {after}: bits per byte on the benchmarks {_moved(mean)} (mean {mean:+.4f}; lower on "
                f"{fell} of {len(deltas)}).")  # fmt: skip
        if reference:
            ref = _value(summaries, after, REFERENCE) - _value(summaries, before, REFERENCE)
            relative = mean - ref
            direction = ("the benchmarks gained on general code, a move towards their distribution"
                         if relative <= -UNCHANGED else
                         "general code gained on the benchmarks, no move towards their distribution"
                         if relative >= UNCHANGED else
                         "the benchmarks moved with general code, no sign of a move towards their distribution")  # fmt: skip
            text += (f" On the reference it {_moved(ref)} ({ref:+.4f}), so relative to general code the benchmarks "
                     f"moved {relative:+.4f}: {direction}.")  # fmt: skip
        else:
            text += (" With no reference text this cannot tell moving towards the benchmarks from more training on "
                     "code in general (pass `reference_dir`).")  # fmt: skip
        lines.append(text)
    return lines


def plot_bits_per_byte(summaries: dict[str, dict], path: str | Path, title: str = "bits per byte by checkpoint"):
    """One line per benchmark across the checkpoints (stage order), the reference dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summaries)
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(names)), 4.2))
    for column in bpb_columns(summaries):
        ax.plot(names, [_value(summaries, n, column) for n in names], marker="o", label=column)
    if has_reference(summaries):
        source = (summaries[names[0]][REFERENCE].get("source") or "").strip()
        label = f"reference ({source})" if source else "reference"
        ax.plot(names, [_value(summaries, n, REFERENCE) for n in names], "k--", marker="s", label=label)
    ax.set_ylabel("bits per byte (lower is better)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    from snowcoder_hf.common.reporting import save_figure

    return save_figure(fig, path)


def bpb_section(summaries: dict[str, dict], plot_name: str | None) -> list[str]:
    """The markdown section: table, changes, verdict and the plot's image line."""
    if not bpb_columns(summaries):
        return ["_No bits per byte measured (it needs the checkpoints' weights, not a served endpoint)._", ""]
    lines = ["Whole canonical programs (prompt + reference solution) of each benchmark; lower is better.", "",
             bpb_table_markdown(summaries)]  # fmt: skip
    if len(summaries) > 1:
        lines += ["Stage to stage:", "", bpb_changes_markdown(summaries), *(f"- {v}" for v in verdict_lines(summaries))]
        lines.append("")
    if plot_name:
        lines += [f"![bits per byte]({plot_name})", ""]
    return lines
