"""The match records of flagged documents as a report a reviewer can judge in seconds: per document, each
match's benchmark and task id, what of the task matched (field), how (kind and channel), where (character
span and, in a repo-level document, the file) and an excerpt of the matched text."""

from __future__ import annotations

import html
from collections import Counter

from snowcoder_hf.decont.matcher import MATCH_CHANNELS, MATCH_KINDS, excerpt

CHANNEL_MEANING = {
    "exact": "lexical tokens, whitespace ignored",
    "canonical": "names replaced by placeholders, formatting ignored",
    "prose": "case-folded words of a problem statement",
    "function": "a whole function with the same syntax tree",
}


def render_match_report(flagged: list[tuple[str, str, list[dict]]], benchmarks: list[str], total: int) -> str:
    """Markdown for `(doc_id, text, matches)` of every flagged document, out of `total` documents read."""
    kinds = Counter(m["kind"] for _, _, found in flagged for m in found)
    channels = Counter(m.get("channel", "?") for _, _, found in flagged for m in found)
    lines = ["# Benchmark matches", "",
             f"{len(flagged):,} of {total:,} documents match {', '.join(benchmarks)}.", "",
             "| kind | matches |", "|---|---:|", *(f"| {k} | {kinds[k]:,} |" for k in MATCH_KINDS if kinds[k]), "",
             "| channel | what it compares | matches |", "|---|---|---:|",
             *(f"| {c} | {CHANNEL_MEANING[c]} | {channels[c]:,} |" for c in MATCH_CHANNELS if channels[c]), ""]  # fmt: skip
    for doc_id, text, found in flagged:
        lines += [f"## `{doc_id}`", "",
                  "| benchmark | task | field | kind | channel | tokens | span | file |", "|---|---|---|---|---|---:|---|---|"]  # fmt: skip
        for m in found:
            start, end = m["spans"][0]
            more = f" (+{len(m['spans']) - 1})" if len(m["spans"]) > 1 else ""
            lines.append(f"| {m['benchmark']} | `{m['task_id']}` | {m['field']} | {m['kind']} | {m.get('channel', '')} "
                         f"| {m['matched_tokens']} | {start}-{end}{more} | {m.get('path') or ''} |")  # fmt: skip
        lines.append("")
        for m in found:
            shown = m.get("excerpt") or excerpt(text, m["spans"][0])
            lines += [f"`{m['task_id']}` ({m['field']}, {m['kind']}):", "", f"<pre>{html.escape(shown)}</pre>", ""]
    if not flagged:
        lines.append("No document matches.")
    return "\n".join(lines) + "\n"
