"""The markdown of benchmarks/results/stage1_scale.md, from the `bench.json` files `stage1_scale.py run` writes."""

from __future__ import annotations

# Which stage's input a stage's throughput is measured on: the characters the named block passed on.
_INPUT_BLOCK = {
    # one-pass dedup (`dedup.layout: auto`, the default)
    "dedup_signatures": ("dedup_signatures", 0),  # the reader
    "dedup_filter": ("dedup_signatures", -1),  # what the first stage wrote to work/input
    # the four-stage layout (`dedup.layout: stages`)
    "exact_signatures": ("exact_signatures", 0),
    "exact_filter": ("exact_signatures", -1),
    "near_filter": ("exact_filter", -1),  # what the exact filter wrote to work/unique
    "repo_documents": ("near_filter", -1),  # the per-repository shards
    "tokenize": ("tokenize", 0),  # the documents reader
}
_REPO_SHARDS_FROM = ("near_filter", "dedup_filter")  # the stage whose last writer fed repo_documents


def _name(path: str) -> str:
    """A corpus by its folder name: where it sat on the measuring machine says nothing."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def _mb(chars: float) -> float:
    return chars / 1e6


def _stage_input(run: dict, step: str) -> tuple[int, float]:
    """(documents, characters) a stage read."""
    blocks = run["blocks"]
    if step == "repo_documents":
        source = next((name for name in _REPO_SHARDS_FROM if name in blocks), None)
        if source:
            return int(blocks[source][-1]["out"]), float(blocks[source][-1]["chars_out"])
    if step in _INPUT_BLOCK and _INPUT_BLOCK[step][0] in blocks:
        source, index = _INPUT_BLOCK[step]
        block = blocks[source][index]
        return int(block["out"]), float(block["chars_out"])
    if step in blocks and blocks[step]:
        return int(blocks[step][0]["in"]), 0.0
    return 0, 0.0


def _rate(value: float, seconds: float) -> str:
    return f"{value / seconds:,.1f}" if seconds > 0 and value else "-"


def stage_table(run: dict) -> list[str]:
    mb = run["corpus_stats"]["bytes"] / 1e6
    lines = [
        (
            "| stage | wall s | CPU s | peak RSS, largest process (MB) | RSS, all processes (MB) | open files | "
            "documents in | MB in | documents/s per core | MB/s per core | CPU s per corpus MB |"
        ),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in [*run["steps"], run["report"]]:
        if not step:
            continue
        docs, chars = _stage_input(run, step["step"])
        cpu = step.get("cpu_s", 0.0)
        lines.append(
            f"| {step['step']} | {step['wall_s']:,.1f} | {cpu:,.1f} | {step.get('peak_rss_mb', 0):,.0f} | "
            f"{step.get('tree_rss_mb', 0):,.0f} | {step.get('open_files', 0)} | {docs:,} | "
            f"{_mb(chars):,.1f} | {_rate(docs, cpu)} | {_rate(_mb(chars), cpu)} | {cpu / mb:.3f} |"
        )
    total_cpu = sum(s.get("cpu_s", 0.0) for s in [*run["steps"], run["report"]] if s)
    total_wall = sum(s["wall_s"] for s in [*run["steps"], run["report"]] if s)
    lines.append(f"| **all** | **{total_wall:,.1f}** | **{total_cpu:,.1f}** | | | | | {mb:,.1f} | | "
                 f"{_rate(mb, total_cpu)} | **{total_cpu / mb:.3f}** |")  # fmt: skip
    return lines


def block_table(run: dict) -> list[str]:
    """Each block's share of its stage's CPU, in proportion to the blocks' in-task seconds. A block's input is what
    the block before it passed on (filters and readers count the characters they forward)."""
    cpu = {s["step"]: s.get("cpu_s", 0.0) for s in run["steps"]}
    lines = [
        "| stage | block | documents in | MB in | CPU s (share) | MB/s per core |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for stage, blocks in run["blocks"].items():
        total = sum(b["seconds"] for b in blocks) or 1.0
        docs, chars = _stage_input(run, stage)
        for block in blocks:
            share = cpu.get(stage, 0.0) * block["seconds"] / total
            if "READER" in block["name"]:
                docs, chars = int(block["out"]) or docs, block["chars_out"] or chars
            name = block["name"].split(": ", 1)[-1]
            lines.append(f"| {stage} | {name} | {docs:,} | {_mb(chars):,.1f} | {share:,.1f} | "
                         f"{_rate(_mb(chars), share)} |")  # fmt: skip
            if block["chars_out"]:
                chars = block["chars_out"]
            if block["out"]:
                docs = int(block["out"])
    return lines


def _step_rows(run: dict) -> dict[str, dict]:
    return {s["step"]: s for s in [*run["steps"], run["report"]] if s}


def scaling_table(runs: list[dict]) -> list[str]:
    """CPU per corpus MB at each fraction; with three or more runs, the line through the two smallest (fixed CPU
    plus CPU per MB) and how far the largest run lands from that line's prediction."""
    fractions = [r["corpus_stats"]["files"] / runs[-1]["corpus_stats"]["files"] for r in runs]
    sizes = [r["corpus_stats"]["bytes"] / 1e6 for r in runs]
    fit = len(runs) >= 3
    head = " | ".join(f"{f:.0%}: CPU s/MB" for f in fractions)
    rss = " | ".join(f"{f:.0%}: peak RSS MB" for f in fractions)
    extra = " fixed CPU s | CPU s per MB | largest: measured / predicted |" if fit else ""
    lines = [f"| stage | {head} | largest / smallest |{extra} {rss} |",
             "|---|" + "---:|" * (2 * len(runs) + 1 + (3 if fit else 0))]  # fmt: skip
    steps = [s["step"] for s in runs[-1]["steps"]] + ["report"]
    for step in [*steps, "all"]:
        cpu, peaks = [], []
        for run in runs:
            rows = _step_rows(run)
            chosen = list(rows.values()) if step == "all" else [rows[step]] if step in rows else []
            cpu.append(sum(r.get("cpu_s", 0.0) for r in chosen) if chosen else float("nan"))
            peaks.append(max((r.get("peak_rss_mb", 0.0) for r in chosen), default=float("nan")))
        costs = [c / m for c, m in zip(cpu, sizes, strict=True)]
        ratio = costs[-1] / costs[0] if costs[0] else float("nan")
        name = "**all**" if step == "all" else step
        row = f"| {name} | " + " | ".join(f"{c:.4f}" for c in costs) + f" | {ratio:.2f}x |"
        if fit:
            slope = (cpu[1] - cpu[0]) / (sizes[1] - sizes[0])
            fixed = cpu[0] - slope * sizes[0]
            predicted = fixed + slope * sizes[-1]
            row += f" {fixed:,.1f} | {slope:.4f} | {cpu[-1] / predicted if predicted > 0 else float('nan'):.2f} |"
        lines.append(row + " " + " | ".join(f"{p:,.0f}" for p in peaks) + " |")
    return lines


def input_scaling_table(runs: list[dict]) -> list[str]:
    """CPU per MB of each stage's own input: dedup removes a larger share of a larger corpus, so later stages see
    less per corpus MB; per input MB is the cost a stage's code has."""
    fractions = [r["corpus_stats"]["files"] / runs[-1]["corpus_stats"]["files"] for r in runs]
    head = " | ".join(f"{f:.0%}: MB in | {f:.0%}: CPU s/MB in" for f in fractions)
    lines = [f"| stage | {head} | largest / smallest |", "|---|" + "---:|" * (2 * len(runs) + 1)]
    for step in [s["step"] for s in runs[-1]["steps"] if s["step"] in _INPUT_BLOCK]:
        cells, costs = [], []
        for run in runs:
            rows = _step_rows(run)
            chars = _stage_input(run, step)[1] if step in rows else 0.0
            cost = rows[step].get("cpu_s", 0.0) / _mb(chars) if chars else float("nan")
            cells.append(f"{_mb(chars):,.1f} | {cost:.4f}")
            costs.append(cost)
        lines.append(f"| {step} | " + " | ".join(cells) + f" | {costs[-1] / costs[0]:.2f}x |")
    return lines


def _reasons(dropped: dict, top: int = 4) -> str:
    items = sorted(dropped.items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{r} {n:,}" for r, n in items[:top])
    rest = sum(n for _, n in items[top:])
    return text + (f", others {rest:,}" if rest else "") if items else "-"


def language_table(run: dict, kind: str, min_files: int = 1) -> list[str]:
    tokens_key = "tokens" if kind == "language" else "tokens_estimated"
    tokens_head = "tokens out" if kind == "language" else "tokens out (estimated)"
    lines = [f"| {kind} | files in | MB in | kept | kept % | MB kept | dropped, by reason | {tokens_head} |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]  # fmt: skip
    rows = sorted(run["languages"][kind].items(), key=lambda kv: -kv[1]["in"])
    others = {"in": 0, "in_bytes": 0, "kept": 0, "kept_bytes": 0, "dropped": {}, tokens_key: 0}
    for key, row in rows:
        if row["in"] < min_files:
            for field in ("in", "in_bytes", "kept", "kept_bytes", tokens_key):
                others[field] += row.get(field, 0)
            for reason, n in row["dropped"].items():
                others["dropped"][reason] = others["dropped"].get(reason, 0) + n
            continue
        lines.append(_language_row(key, row, tokens_key))
    if others["in"]:
        lines.append(_language_row(f"others (< {min_files} files each)", others, tokens_key))
    return lines


def _language_row(key: str, row: dict, tokens_key: str) -> str:
    share = row["kept"] / row["in"] if row["in"] else 0.0
    return (f"| {key} | {row['in']:,} | {row['in_bytes'] / 1e6:,.1f} | {row['kept']:,} | {share:.1%} | "
            f"{row['kept_bytes'] / 1e6:,.1f} | {_reasons(row['dropped'])} | {row.get(tokens_key, 0):,} |")  # fmt: skip


def folder_table(run: dict) -> list[str]:
    lines = ["| folder | MB on disk |", "|---|---:|"]
    for name, size in run["folders"].items():
        lines.append(f"| {name} | {size / 1e6:,.1f} |")
    return lines


def digest_line(reference: dict, other: dict) -> str:
    a, b = reference["digests"], other["digests"]
    same = sum(1 for k in set(a) & set(b) if a[k] == b[k])
    differ = sorted(k for k in set(a) & set(b) if a[k] != b[k])
    missing = sorted(set(a) ^ set(b))
    verdict = "**identical**" if not differ and not missing else f"**differ**: {', '.join((differ + missing)[:8])}"
    return f"{same} of {len(set(a) | set(b))} output shards have the same sha256: {verdict}."


def render(runs: list[dict], resume: dict | None, ray: dict | None, commands: list[str]) -> str:
    largest = runs[-1]
    mb = largest["corpus_stats"]["bytes"] / 1e6
    out = [
        "# Stage 1 at scale",
        "",
        (
            f"Corpus: `{_name(largest['corpus'])}`, {largest['corpus_stats']['files']:,} files, {mb:,.1f} MB. "
            f"Local executor, {largest['tasks']} tasks on {largest['workers']} workers. MB are 10^6 characters of text "
            "for a stage's input and 10^6 bytes for the corpus. CPU seconds are exact (`wait4` of each stage's process "
            "tree); wall seconds depend on what else ran on the shared machine (load average at the end: "
            f"{', '.join(f'{x:.1f}' for x in largest['load_average'])})."
        ),
        "",
        "## Per stage",
        "",
        *stage_table(largest),
        "",
        "## Per block (each stage's CPU split by the blocks' in-task time)",
        "",
        *block_table(largest),
        "",
        "## Scaling",
        "",
        *scaling_table(runs),
        "",
        "Per MB of each stage's own input (what the stage's code costs, whatever dedup removed before it):",
        "",
        *input_scaling_table(runs),
        "",
        "## Per language",
        "",
        *language_table(largest, "language", min_files=20),
        "",
        "## Per licence (`max_stars_repo_licenses`)",
        "",
        *language_table(largest, "licence"),
        "",
        "## Disk",
        "",
        *folder_table(largest),
        "",
    ]
    if resume:
        kills = ", ".join(f"`{k['step']}` {k['wall_s']:,.0f} s in" for k in resume["kill"] or [])
        out += ["## Kill and resume", "",
                (f"The same corpus run again, killed (SIGKILL to the stage's process group) {kills}, and resumed each "
                 f"time by running the stage again. {digest_line(largest, resume)}"), ""]  # fmt: skip
    if ray:
        reference = next((r for r in runs if r["corpus"] == ray["corpus"]), None)
        wall = ray["steps"][0]["wall_s"]
        out += ["## Ray executor", "", (f"DataTrove's `RayPipelineExecutor` on a local Ray cluster of {ray['workers']} "
                f"CPUs, {ray['tasks']} tasks, corpus `{_name(ray['corpus'])}`: {wall:,.0f} s wall for the whole chain, "
                "with the local run's tokenizer (a cluster run does not train one).")]  # fmt: skip
        if reference:
            local_wall = sum(s["wall_s"] for s in reference["steps"])
            out.append(
                f"The local run of the same corpus took {local_wall:,.0f} s, tokenizer training included (wall "
                f"seconds of two runs compare only on an otherwise idle machine). {digest_line(reference, ray)}"
            )
        out.append("")
    if commands:
        out += ["## Commands", "", "```bash", *commands, "```", ""]
    return "\n".join(out)
