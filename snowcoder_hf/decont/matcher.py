"""Find benchmark leaks in one text: which sources its n-grams hit, and whether the evidence is enough.

A match needs the n-grams of one benchmark source (a prompt, solution or test) to cover at least the
channel's minimum evidence span of the document's tokens. Each match records the benchmark, task id,
field, kind (`verbatim`, `renamed` or `statement`), character spans, and, inside a repo-level document,
the path of the file the first span falls in.
"""

from __future__ import annotations

import numpy as np

from snowcoder_hf.decont.encode import raw_spans
from snowcoder_hf.decont.hashing import covered_length, densest_coverage, merged_intervals
from snowcoder_hf.decont.index import FIELDS, DecontIndex
from snowcoder_hf.decont.normalize import CHANNELS

KIND_OF_CHANNEL = {"exact": "verbatim", "canonical": "renamed", "prose": "statement"}
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
            required = params.required(int(index.sources["effective"][source]))
            if required is None or covered_length(starts, params.n) < required:
                continue
            # the evidence must sit in one block about as long as the source, not be scattered over the file
            window = int(index.sources["length"][source] * 1.5) + 2 * params.n
            covered = densest_coverage(np.asarray(starts), params.n, window)
            if covered < required:
                continue
            item = int(index.sources["item"][source])
            if index.items[item] in ignore_tasks:
                continue
            key = (item, int(index.sources["field"][source]))
            candidate = (_PRIORITY[channel], -covered, channel, starts, covered, positions)
            if key not in best or candidate[:2] < best[key][:2]:
                best[key] = candidate
    matches = []
    if best:
        last = max(int(c[5][min(max(c[3]) + index.config.params[c[2]].n, len(c[5])) - 1]) for c in best.values())
        spans_cache = {"raw": raw_spans(text, last + 1)}
    else:
        spans_cache = {}
    for (item, field_code), (_, _, channel, starts, covered, positions) in sorted(
        best.items(), key=lambda kv: kv[1][:2]
    ):
        if "raw" not in spans_cache:
            spans_cache["raw"] = raw_spans(text)
        char_spans = spans_cache["raw"]
        n = index.config.params[channel].n
        spans = []
        for a, b in merged_intervals(starts, n):
            first, last = positions[a], positions[min(b, len(positions)) - 1]
            spans.append(
                [char_spans[min(first, len(char_spans) - 1)][0], char_spans[min(last, len(char_spans) - 1)][1]]
            )
        benchmark, task_id = index.items[item]
        match = {"benchmark": benchmark, "task_id": task_id, "field": FIELDS[field_code],
                 "kind": KIND_OF_CHANNEL[channel], "spans": spans, "matched_tokens": covered}  # fmt: skip
        path = file_at(text, spans[0][0])
        if path:
            match["path"] = path
        matches.append(match)
    return matches
