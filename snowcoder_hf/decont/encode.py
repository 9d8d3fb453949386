"""Documents to token ids in every channel, with one regex pass per stream and one C-level dict lookup per
token; the per-token Python work of `normalize.canonicalize` is done on index texts only.

Ids are defined by the index vocabulary: a token the index never saw gets 0 (no n-gram holding it can
match), except in the canonical channel, where an unseen name is just another placeholder.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np

from snowcoder_hf.decont.normalize import CODE_TOKEN_RE, KEPT_NAMES, PLACEHOLDER, QUOTES, WORD_RE, is_identifier

SKIP = -1
_NO_DOT = -2


class Encoder:
    """Token ids of a text per channel, and for each id the raw token it came from (for spans)."""

    def __init__(self, vocab: dict[str, list[str]]):
        self.exact = {tok: i + 1 for i, tok in enumerate(vocab["exact"])}
        self.exact[""] = SKIP  # a comment
        canonical = {tok: i + 1 for i, tok in enumerate(vocab["canonical"])}
        self.attr = {tok[1:]: i for tok, i in canonical.items() if tok.startswith(".") and len(tok) > 1}
        self.plain = {name: 0 for name in KEPT_NAMES}  # a kept name the index never saw cannot match
        self.plain.update({tok: i for tok, i in canonical.items() if not tok.startswith(".") or tok == "."})
        self.plain.update({q: SKIP for q in QUOTES} | {"": SKIP})
        self.dot = self.plain.get(".", _NO_DOT)
        self.plain["."] = self.dot
        self.placeholder = canonical.get(PLACEHOLDER, 0)
        self.prose = {tok: i + 1 for i, tok in enumerate(vocab["prose"])}
        self._canonical_vocab: dict[str, int] | None = None

    def ids(self, tokens: list[str], channel: str) -> np.ndarray:
        """Ids of tokens already in `channel`'s form (`normalize.stream`), as the index stores them."""
        vocab = {"exact": self.exact, "prose": self.prose}.get(channel)
        if vocab is None:
            if self._canonical_vocab is None:
                self._canonical_vocab = {**self.plain, **{"." + k: v for k, v in self.attr.items()}}
                self._canonical_vocab["."] = max(self.dot, 0)
            vocab = self._canonical_vocab
        return np.fromiter(map(vocab.get, tokens, repeat(0)), dtype=np.int64, count=len(tokens))

    def encode(self, text: str, channels: tuple[str, ...] = ("exact", "canonical", "prose")) -> dict:
        """`{channel: (ids, raw token positions)}`, positions indexing `CODE_TOKEN_RE` / `WORD_RE` matches,
        plus `"back"` with the canonical channel: its placeholders' back-references."""
        out = {}
        if "exact" in channels or "canonical" in channels:
            raw = CODE_TOKEN_RE.findall(text)
            if "exact" in channels:
                exact = np.fromiter(map(self.exact.get, raw, repeat(0)), dtype=np.int64, count=len(raw))
                keep = np.nonzero(exact != SKIP)[0]
                out["exact"] = (exact[keep], keep)
            if "canonical" in channels:
                canonical_ids, canonical_positions = self._canonical(raw)
                out["canonical"] = (canonical_ids, canonical_positions)
                out["back"] = self._back_references(canonical_ids, canonical_positions, raw)
        if "prose" in channels:
            words = WORD_RE.findall(text.lower())
            prose = np.fromiter(map(self.prose.get, words, repeat(0)), dtype=np.int64, count=len(words))
            out["prose"] = (prose, np.arange(len(words)))
        return out

    def _back_references(self, ids: np.ndarray, positions: np.ndarray, raw: list[str]) -> np.ndarray:
        """For each placeholder, how many canonical tokens back the same name last occurred (0: not before);
        -1 for every other token. Hashing uses the distance when it falls inside the n-gram, so `a = a + b`
        and `a = b + c` stay apart after renaming, while a consistent renaming changes nothing."""
        back = np.full(len(ids), -1, dtype=np.int64)
        if not self.placeholder:
            return back
        last: dict[str, int] = {}
        for k in np.nonzero(ids == self.placeholder)[0].tolist():
            name = raw[positions[k]]
            back[k] = k - last[name] if name in last else 0
            last[name] = k
        return back

    def _canonical(self, raw: list[str]) -> tuple[np.ndarray, np.ndarray]:
        ids = np.fromiter(map(self.plain.get, raw, repeat(self.placeholder)), dtype=np.int64, count=len(raw))
        positions = np.nonzero(ids != SKIP)[0]
        ids = ids[positions]
        dots = np.nonzero(ids[:-1] == self.dot)[0]
        if len(dots):
            drop = []
            for k in dots.tolist():
                token = raw[positions[k + 1]]
                if is_identifier(token):
                    ids[k + 1] = self.attr.get(token, 0)
                    drop.append(k)
            if drop:
                keep = np.ones(len(ids), dtype=bool)
                keep[drop] = False
                ids, positions = ids[keep], positions[keep]
        ids[ids == _NO_DOT] = 0
        return ids, positions


def raw_spans(text: str, channel: str) -> list[tuple[int, int]]:
    """Character spans of the raw tokens that `Encoder.encode` positions refer to."""
    if channel == "prose":
        lowered = text.lower()
        return [m.span() for m in WORD_RE.finditer(lowered if len(lowered) == len(text) else text)]
    return [m.span() for m in CODE_TOKEN_RE.finditer(text)]
