"""The demo's one-page report, `OUT/report.md` with PNGs beside it.

Sections: the steps and their times; what each stage kept and dropped (with the stage-2 budget against
its per-language targets); the annotator's ROC-AUC per benchmark; the loss curves of the three training
stages; the evaluation table; bits per byte on the benchmarks per checkpoint, with a plot and a verdict;
links to every published artifact. A section whose input is missing says which file it looked for, so
nothing is silently absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STAGES = ("alpha", "beta", "final")


def _json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def trainer_state_path(checkpoint: Path) -> Path:
    """`trainer_state.json` at the top of a training output, else in its latest `checkpoint-N/`."""
    top = checkpoint / "trainer_state.json"
    saved = sorted(checkpoint.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[-1]))
    return top if top.exists() or not saved else saved[-1]


def loss_history(checkpoint: Path) -> list[tuple[int, float]]:
    """`(step, loss)` pairs from a Trainer's `trainer_state.json` log history."""
    state = _json(trainer_state_path(checkpoint)) or {}
    return [(int(e["step"]), float(e["loss"])) for e in state.get("log_history", []) if "loss" in e and "step" in e]


def plot_losses(histories: dict[str, list[tuple[int, float]]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    offset = 0
    for name, history in histories.items():
        if not history:
            continue
        steps = [offset + s for s, _ in history]
        ax.plot(steps, [loss for _, loss in history], marker=".", label=name)
        ax.axvline(offset, color="grey", linewidth=0.5)
        offset = steps[-1]
    ax.set_xlabel("optimizer step (stages back to back)")
    ax.set_ylabel("training loss")
    ax.set_title("Loss curves: alpha, beta, final")
    ax.legend()
    from snowcoder_hf.common.reporting import save_figure

    return save_figure(fig, path)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _missing(path: Path, out: Path) -> str:
    return f"_Not produced: `{path.relative_to(out) if path.is_relative_to(out) else path}` is missing._"


def _counts_section(out: Path) -> list[str]:
    from snowcoder_hf.common.reporting import plot_counts

    lines = ["## What each stage kept and dropped", ""]
    summary = _json(out / "stage1" / "summary.json")
    if summary and summary.get("counts"):
        rows = [[c["block"], f"{c['in']:,}", f"{c['kept']:,}", f"{c['dropped']:,}",
                 ", ".join(f"{r}={n:,}" for r, n in sorted(c["reasons"].items())) or "-"] for c in summary["counts"]]  # fmt: skip
        lines += ["**Stage 1** (curation)", "", _table(["block", "in", "kept", "dropped", "reasons"], rows), ""]
        lines.append(f"Stage-1 tokens: {summary.get('tokens', 0):,}")
        plot = {"kept": {c["block"]: c["kept"] for c in summary["counts"]},
                "dropped": {c["block"]: c["dropped"] for c in summary["counts"]}}  # fmt: skip
        plot_counts(plot, out / "report_stage1_counts.png", "Stage 1: documents kept and dropped per block")
        lines += ["", "![stage-1 counts](report_stage1_counts.png)", ""]
    else:
        lines += [_missing(out / "stage1" / "summary.json", out), ""]
    selection = _json(out / "stage2" / "selection.json")
    if selection:
        from snowcoder_hf.stages.selection import BUDGET_HEADER, budget_rows

        selected = sum((selection.get("tokens_per_language") or {}).values())
        lines += ["**Stage 2** (quality selection)", "",
                  (f"Budget {selection.get('budget_tokens', 0):,} tokens, selected {selected:,}, "
                   f"repeated x{selection.get('repeat', '?')}."), "",
                  _table(BUDGET_HEADER, budget_rows(selection)), ""]  # fmt: skip
        warnings = selection.get("warnings") or []
        lines += [*(f"- warning: {w}" for w in warnings), ""] if warnings else []
    else:
        lines += [_missing(out / "stage2" / "selection.json", out), ""]
    from snowcoder_hf.demo.publish import mixture_sources

    sources = mixture_sources(out)
    if sources:
        rows = [[s.get("path"), s.get("weight"), s.get("repeat", 1)] for s in sources]
        lines += ["**Stage 3** (synthetic mixture)", "", _table(["source", "weight", "repeat"], rows), ""]
    else:
        lines += [_missing(out / "stage3" / "mixture.yaml", out), ""]
    return lines


def _roc_section(out: Path) -> list[str]:
    lines = ["## Annotator ROC-AUC", "",
             "Benchmark solutions as positives, unseen stage-1 files as negatives (the paper's Figure 2).", ""]  # fmt: skip
    # validation.json holds every annotator variant side by side: {variant: {benchmark: roc_auc}}.
    path = out / "stage2" / "validation" / "validation.json"
    table = _json(path)
    if not table:
        return [*lines, _missing(path, out), ""]
    benchmarks = sorted({b for scores in table.values() for b in scores})
    rows = [[variant] + [f"{scores.get(b, float('nan')):.3f}" for b in benchmarks] for variant, scores in table.items()]
    roc_png = out / "stage2" / "validation" / "roc.png"
    image = [f"![ROC curves]({roc_png.relative_to(out)})", ""] if roc_png.exists() else []
    return [*lines, _table(["annotator", *benchmarks], rows), "", *_not_covered(benchmarks), *image]


def _not_covered(benchmarks: list[str]) -> list[str]:
    """A line naming the paper's benchmarks a table lacks, so a short table never reads as complete."""
    from snowcoder_hf.evalsets.available import PAPER_BENCHMARKS

    missing = [b for b in PAPER_BENCHMARKS if b not in benchmarks and not any(c.startswith(b) for c in benchmarks)]
    if not missing:
        return []
    return [f"_Not covered: {', '.join(missing)} (their release files were not given: pass `benchmark_dir`)._", ""]


def _eval_section(out: Path) -> list[str]:
    from snowcoder_hf.demo.publish import eval_pass_at_1
    from snowcoder_hf.eval.bpb_report import bpb_columns, bpb_section, plot_bits_per_byte

    lines = ["## Evaluation (pass@1, greedy, fixed subset)", ""]
    results = eval_pass_at_1(out)
    summaries = _json(out / "eval" / "summary.json") or {}
    if not results and not summaries:
        return [*lines, _missing(out / "eval" / "summary.json", out), ""]
    tasks = sorted({t for name in STAGES for t in (results.get(name) or {})})
    rows = [[name] + [f"{(results.get(name) or {}).get(t, float('nan')):.3f}" for t in tasks] for name in STAGES]
    lines += [_table(["model", *tasks], rows), ""]
    ordered = {name: summaries[name] for name in STAGES if isinstance(summaries.get(name), dict)}
    lines += ["## Bits per byte on the benchmarks (does each stage move towards them?)", ""]
    plot = None
    if bpb_columns(ordered):
        plot = plot_bits_per_byte(ordered, out / "report_bits_per_byte.png", "alpha -> beta -> final, bits per byte")
    return [*lines, *bpb_section(ordered, plot.name if plot else None)]


def _steps_section(config, out: Path, markers) -> list[str]:
    """Each step's time and share of the total, then what the two longest data steps spent it on."""
    records = {step.name: markers.read(step.name) or {} for step in config.steps}
    total = sum(r.get("seconds", 0.0) for r in records.values())
    rows = []
    for step in config.steps:
        seconds = records[step.name].get("seconds")
        rows.append([step.name, step.title, "not run" if seconds is None else f"{seconds:,.0f}s",
                     f"{seconds / total:.0%}" if seconds is not None and total else ""])  # fmt: skip
    rows.append(["**all**", "", f"**{total:,.0f}s** ({total / 60:.1f} min)", ""])
    lines = ["## Steps", "", _table(["step", "what", "time", "share"], rows), ""]
    stage2 = _json(out / "stage2" / "stage2_summary.json") or {}
    if stage2.get("timings"):
        parts = ", ".join(f"{name} {seconds:,.0f}s" for name, seconds in stage2["timings"].items())
        lines += [f"Inside `stage2_data`: {parts}.", ""]
    generation = (_json(out / "stage3" / "summary.json") or {}).get("generation") or {}
    if generation.get("inference_time"):
        tokens, seconds = generation.get("completion_tokens", 0), generation["inference_time"]
        lines += [(f"Inside `stage3_data`: {generation.get('successful_requests', 0)} answers, {tokens:,} completion "
                   f"tokens in {seconds:,.0f}s of generation ({tokens / seconds:.1f} tokens/s)."), ""]  # fmt: skip
    return lines


def write_report(config, out: Path, published: list[dict[str, Any]], markers) -> Path:
    """Assemble `OUT/report.md` (and its PNGs) from what the steps wrote; returns its path."""
    lines = ["# snowcoder demo: the whole recipe at tiny scale", ""]
    lines += _steps_section(config, out, markers)
    lines += _counts_section(out)
    lines += _roc_section(out)
    lines += ["## Loss curves", ""]
    histories = {name: loss_history(out / name) for name in STAGES}
    if any(histories.values()):
        plot_losses(histories, out / "report_losses.png")
        lines += ["![loss curves](report_losses.png)", ""]
        lines += [_table(["stage", "logged steps", "first loss", "last loss"],
                         [[n, len(h), f"{h[0][1]:.3f}", f"{h[-1][1]:.3f}"] for n, h in histories.items() if h]), ""]  # fmt: skip
    for name, history in histories.items():
        if not history:
            lines += [_missing(trainer_state_path(out / name), out), ""]
    lines += _eval_section(out)
    lines += ["## Published artifacts", ""]
    if published:
        lines += [_table(["artifact", "kind", "repo", "revision", "link"],
                         [[p["name"], p["kind"], f"`{p['repo_id']}`", f"`{p['revision'][:12]}`", f"<{p['url']}>"]
                          for p in published]), ""]  # fmt: skip
        lines += [("Load any of them back with `snowcoder hub pull REPO --revision REV` (for the local stand-in, "
                  "serve it first with `snowcoder hub serve --root OUT/hub` and pass `--endpoint`)."), ""]  # fmt: skip
    else:
        lines += ["_Nothing was published._", ""]
    lines += ["## Scaling to the paper", "",
              ("Swap `recipes/configs/tiny/` for `recipes/configs/paper/` and the CPU accelerate config for the "
              "FSDP ones; the data stages take `executor: {type: slurm}` or `{type: ray}`. See docs/scaling.md."), ""]  # fmt: skip
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
