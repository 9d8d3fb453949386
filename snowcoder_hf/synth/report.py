"""`OUT/report.md` and `OUT/summary.json` of a stage-3 run, and its one-screen console summary."""

from __future__ import annotations

import json


def write_report(result, config, blocks) -> None:
    out = result.output_dir
    summary = {
        "kind": config.kind, "fingerprint": result.fingerprint, "model": config.model,
        "model_revision": config.model_revision, "planned": result.planned, "kept": result.kept,
        "counts": result.reasons, "tokens": result.tokens, "languages": result.tokens_per_language,
        "generation": result.generation, "diversity": result.diversity, "elapsed_s": round(result.elapsed_s, 1),
    }  # fmt: skip
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    gen = result.generation
    lines = [
        f"# Stage-3 synthetic data: {config.kind}", "",
        f"- model: `{config.model}` (revision `{config.model_revision}`), endpoint `{config.endpoint}`",
        f"- fingerprint: `{result.fingerprint}` (settings in `work/{result.fingerprint}/settings.json`)",
        f"- requests planned: {result.planned:,}; documents kept: {result.kept:,}",
        (
            f"- requests answered: {int(gen.get('successful_requests', 0)):,}, failed after retries: "
            f"{int(gen.get('requests_failed', 0)):,}, retries: {int(gen.get('request_retries', 0)):,}, "
            f"resumed from checkpoints: {int(gen.get('requests_resumed', 0)):,}, failed in an earlier run and "
            f"asked again: {int(gen.get('requests_rerun', 0)):,}"
        ),
        f"- completion tokens: {int(gen.get('completion_tokens', 0)):,}; code tokens kept: {result.tokens:,}",
        "", "## Rejections by reason", "", "| reason | documents |", "|---|---|",
    ]  # fmt: skip
    lines += [f"| {reason} | {count:,} |" for reason, count in sorted(result.reasons.items(), key=lambda kv: -kv[1])]
    lines += ["", "## Blocks", "", "| block | in | kept | dropped |", "|---|---|---|---|"]
    lines += [f"| {b.name} | {b.total:,} | {b.forwarded:,} | {b.dropped:,} |" for b in blocks]
    lines += ["", "## Tokens per language", "", "| language | code tokens | share |", "|---|---|---|"]
    total = result.tokens or 1
    lines += [f"| {lang} | {n:,} | {n / total:.1%} |" for lang, n in sorted(result.tokens_per_language.items(),
                                                                             key=lambda kv: -kv[1])]  # fmt: skip
    lines += ["", "## Diversity", ""]
    lines += [f"- {key}: {value}" for key, value in result.diversity.items()]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def print_stage3_summary(result) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"stage 3 ({result.fingerprint}): {result.planned:,} requests -> {result.kept:,} kept",
                  title_justify="left")  # fmt: skip
    table.add_column("reason")
    table.add_column("dropped", justify="right")
    for reason, count in sorted(result.reasons.items(), key=lambda kv: -kv[1]):
        table.add_row(reason, f"{count:,}")
    console = Console()
    console.print(table)
    gen = result.generation
    console.print(f"retries {int(gen.get('request_retries', 0)):,}, failed {int(gen.get('requests_failed', 0)):,}, "
                  f"{result.tokens:,} code tokens kept, distinct-2 {result.diversity.get('distinct_2')}, "
                  f"{result.elapsed_s:,.1f}s -> {result.output_dir}")  # fmt: skip
