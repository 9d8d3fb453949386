"""Find benchmark leaks in one text: which sources its n-grams hit, and whether the evidence is enough.

A match needs the n-grams of one benchmark source (a prompt, solution or test) to cover at least the
channel's minimum evidence span of the document's tokens. Each match records the benchmark, task id,
field, kind (`verbatim`, `renamed` or `statement`), the channel that found it (`exact`, `canonical`, `prose`
or `function`), character spans, an excerpt of the matched text, and, inside a repo-level document, the
path of the file the first span falls in. A solution too short for its token runs to be evidence matches
only through the whole-function channel (`decont.functions`).
"""

from __future__ import annotations

import numpy as np

from snowcoder_hf.decont.encode import raw_spans
from snowcoder_hf.decont.functions import block_end
from snowcoder_hf.decont.hashing import covered_length, densest_coverage, merged_intervals
from snowcoder_hf.decont.index import FIELDS, DecontIndex
from snowcoder_hf.decont.normalize import CHANNELS

KIND_OF_CHANNEL = {"exact": "verbatim", "canonical": "renamed", "prose": "statement"}
MATCH_CHANNELS = (*CHANNELS, "function")
MATCH_KINDS = tuple(KIND_OF_CHANNEL.values())
_PRIORITY = {"exact": 0, "canonical": 1, "prose": 2}
FILE_SEPARATOR = "<file_sep>"


def file_at(text: str, position: int, separator: str = FILE_SEPARATOR) -> str | None:
    """The path of the file holding `position` in a StarCoder2-style repo-level document, if any."""
    start = text.rfind(separator, 0, position + 1)
    if start < 0:
        return None
    start += len(separator)
    end = text.find("\n", start)
    return text[start : end if end >= 0 else len(text)].strip() or None


def _starts_by_source(hit, rows, offsets, postings, params):
    """`(source, window starts)` for every source some hit n-gram belongs to, skipping sources whose hits
    cannot reach their floor; vectorized, because a leaked document hits thousands of postings."""
    n = params.n
    counts = offsets[rows + 1] - offsets[rows]
    total = int(counts.sum())
    first = np.repeat(offsets[rows], counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    sources = postings[first + within]
    starts = np.repeat(hit, counts)
    order = np.lexsort((starts, sources))
    sources, starts = sources[order], starts[order]
    bounds = np.concatenate(([0], np.nonzero(np.diff(sources))[0] + 1, [len(sources)]))
    # union length per source: n per group plus min(gap, n) inside it; a quick bound before the exact checks
    gains = np.minimum(np.diff(starts), n)
    gains = np.concatenate((gains, [0]))
    gains[bounds[1:-1] - 1] = 0
    union = np.add.reduceat(gains, bounds[:-1]) + n if len(sources) else np.empty(0)
    for k in np.nonzero(union >= params.short_floor)[0].tolist():  # no source matches on less
        yield int(sources[bounds[k]]), starts[bounds[k] : bounds[k + 1]]


def find_matches(index: DecontIndex, text: str, ignore_tasks: frozenset[tuple[str, str]] = frozenset()) -> list[dict]:
    """Every benchmark source with enough evidence in `text`, strongest kind first, one per (task, field)."""
    best: dict[tuple[int, int], tuple] = {}
    encoded = index.encoder.encode(text)
    short = index.short_sources
    for channel in CHANNELS:
        positions = encoded[channel][1]
        params = index.config.params[channel]
        hashes, valid = index.encoded_hashes(encoded, channel)
        hit, rows = index.lookup(hashes, valid, channel)
        if not len(hit):
            continue
        table = index.tables[channel]
        offsets, postings = table["offsets"], table["postings"]
        for source, starts in _starts_by_source(hit, rows, offsets, postings, params):
            if short[source]:
                continue  # a short solution counts only as a whole function (below)
            effective = int(index.sources["effective"][source])
            required = params.required(effective)
            if required is None or covered_length(starts, params.n) < required:
                continue
            # the evidence must sit in one block about as long as the source, not be scattered over the file
            window = int(index.sources["length"][source] * 1.5) + 2 * params.n
            # a fragment repeated over a file (test code re-runs one `with ...: f.write(...)` line) is not a
            # copy: each different n-gram counts once, where it first occurs
            _, first = np.unique(hashes[starts], return_index=True)
            starts = np.sort(np.asarray(starts)[first])
            covered = densest_coverage(starts, params.n, window)
            if covered < required:
                continue
            item = int(index.sources["item"][source])
            if index.items[item] in ignore_tasks:
                continue
            key = (item, int(index.sources["field"][source]))
            candidate = (_PRIORITY[channel], -covered, channel, starts, covered, positions)
            if key not in best or candidate[:2] < best[key][:2]:
                best[key] = candidate
    spans_of_tokens = _token_spans(index, text, best)
    matches = []
    for (item, field_code), (_, _, channel, starts, covered, positions) in sorted(
        best.items(), key=lambda kv: kv[1][:2]
    ):
        n = index.config.params[channel].n
        spans = []
        for a, b in merged_intervals(starts, n):
            first, last = positions[a], positions[min(b, len(positions)) - 1]
            spans.append([spans_of_tokens[min(first, len(spans_of_tokens) - 1)][0],
                          spans_of_tokens[min(last, len(spans_of_tokens) - 1)][1]])  # fmt: skip
        matches.append(
            _record(index, text, item, FIELDS[field_code], KIND_OF_CHANNEL[channel], channel, spans, covered)
        )
    found = {(m["benchmark"], m["task_id"], m["field"]) for m in matches}
    matches += [m for m in function_matches(index, text, encoded, ignore_tasks) if
                (m["benchmark"], m["task_id"], m["field"]) not in found]  # fmt: skip
    return matches


def function_matches(index: DecontIndex, text: str, encoded: dict, ignore_tasks=frozenset()) -> list[dict]:
    """Benchmark solutions all of whose functions stand whole in `text` (see `decont.functions`)."""
    hits = index.function_hits(text, encoded)
    if not hits:
        return []
    table = index.functions
    found: dict[int, dict[int, tuple[int, str]]] = {}
    for function, offset, kind in hits:
        if function in table.suppressed:
            continue
        found.setdefault(table.functions[function]["item"], {}).setdefault(function, (offset, kind))
    matches = []
    for item, functions in found.items():
        if set(functions) != set(table.per_item[item]) or index.items[item] in ignore_tasks:
            continue  # every function of the solution must be there
        kinds = {kind for _, kind in functions.values()}
        spans = [[offset, block_end(text, offset)] for offset, _ in sorted(functions.values())]
        tokens = sum(table.functions[f]["tokens"] for f in functions)
        kind = "verbatim" if kinds == {"verbatim"} else "renamed"
        matches.append(_record(index, text, item, "solution", kind, "function", spans, tokens))
    return matches


def _token_spans(index: DecontIndex, text: str, best: dict) -> list[tuple[int, int]]:
    if not best:
        return []
    last = max(int(c[5][min(max(c[3]) + index.config.params[c[2]].n, len(c[5])) - 1]) for c in best.values())
    return raw_spans(text, last + 1)


EXCERPT_CHARS = 240


def excerpt(text: str, span: list[int], limit: int = EXCERPT_CHARS) -> str:
    """The matched text, its whitespace collapsed and cut to `limit` characters, for a reviewer to read."""
    piece = " ".join(text[span[0] : span[1]].split())
    return piece if len(piece) <= limit else piece[: limit - 3] + "..."


def _record(index, text, item, field, kind, channel, spans, tokens) -> dict:
    benchmark, task_id = index.items[item]
    match = {"benchmark": benchmark, "task_id": task_id, "field": field, "kind": kind, "channel": channel,
             "spans": spans, "matched_tokens": int(tokens), "excerpt": excerpt(text, spans[0])}  # fmt: skip
    path = file_at(text, spans[0][0])
    if path:
        match["path"] = path
    return match
