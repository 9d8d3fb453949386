"""Matched spans: one overlap-free list per text, and the text with each span replaced by its placeholder."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

# On equal spans, the more specific finding names the kind (a key assigned to `password` stays a key).
_PRIORITY = {"key": 0, "password": 1, "email": 2, "ip_address": 3}


class Span(NamedTuple):
    """`text[start:end]` is a `kind` value found by the detector `rule` (offsets into the scanned text)."""

    kind: str
    start: int
    end: int
    rule: str

    def as_record(self) -> dict:
        return {"kind": self.kind, "start": self.start, "end": self.end, "rule": self.rule}


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans. A span inside an earlier, longer one is dropped (an email inside a
    redacted password stays part of the password); two spans that only partly overlap merge into one with
    the earlier span's kind, so that no character of either is left in clear."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, _PRIORITY.get(s.kind, 9))):
        if span.end <= span.start:
            continue
        if out and span.start < out[-1].end:
            last = out[-1]
            if span.end > last.end:
                out[-1] = last._replace(end=span.end)
            continue
        out.append(span)
    return out


def apply_spans(text: str, spans: list[Span], placeholders: Mapping[str, str]) -> str:
    """`text` with every span (sorted and overlap-free) replaced by its kind's placeholder."""
    if not spans:
        return text
    pieces: list[str] = []
    position = 0
    for span in spans:
        pieces.append(text[position : span.start])
        pieces.append(placeholders[span.kind])
        position = span.end
    pieces.append(text[position:])
    return "".join(pieces)
