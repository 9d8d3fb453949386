"""Documents to token ids in every channel: one regex pass, one C-level dict lookup per token, numpy gathers.

The per-token Python work of `normalize.canonicalize` runs on index texts only. Documents reuse one
lexical token list for all three channels. Ids come from the index vocabulary: a token the index never
saw gets 0, and no n-gram holding it can match. The canonical channel is the exception: there an unseen
name is just another placeholder.
"""

from __future__ import annotations

from itertools import islice, repeat

import numpy as np

from snowcoder_hf.decont.normalize import KEPT_NAMES, PLACEHOLDER, PUNCTUATION, QUOTES, TOKEN_RE, is_identifier

SKIP = -1
_NO_DOT = -2
_MAX_CACHED = 2_000_000


class Encoder:
    """Token ids of a text per channel, and for each id the raw token it came from (for spans)."""

    def __init__(self, vocab: dict[str, list[str]]):
        self.exact = {tok: i + 1 for i, tok in enumerate(vocab["exact"])}
        canonical = {tok: i + 1 for i, tok in enumerate(vocab["canonical"])}
        self.attr = {tok[1:]: i for tok, i in canonical.items() if tok.startswith(".") and len(tok) > 1}
        self.plain = {name: 0 for name in KEPT_NAMES}  # a kept name the index never saw cannot match
        self.plain.update({p: 0 for p in PUNCTUATION})  # nor can an unseen punctuation mark
        self.plain.update({tok: i for tok, i in canonical.items() if not tok.startswith(".") or tok == "."})
        self.plain.update(dict.fromkeys(QUOTES, SKIP))
        self.dot = self.plain.get(".", _NO_DOT)
        self.plain["."] = self.dot
        self.placeholder = canonical.get(PLACEHOLDER, 0)
        self.prose = dict.fromkeys(PUNCTUATION, SKIP)  # punctuation is not part of a sentence's words
        self.prose.update({tok: i + 1 for i, tok in enumerate(vocab["prose"])})
        self._canonical_vocab: dict[str, int] | None = None
        # Raw token -> slot, filled on first sight; per slot, in parallel arrays: its exact, plain canonical and
        # prose ids, its `.name` attribute id, and whether it is an identifier. A document costs one dict lookup
        # per token, then numpy gathers.
        self._slots: dict[str, int] = {}
        self._columns = np.zeros((5, 1024), dtype=np.int64)

    def _properties(self, token: str) -> tuple[int, int, int, int, int]:
        ident = is_identifier(token)
        return (self.exact.get(token, 0), self.plain.get(token, self.placeholder), self.prose.get(token.lower(), 0),
                self.attr.get(token, 0) if ident else 0, int(ident))  # fmt: skip

    def _slot_ids(self, raw: list[str]) -> np.ndarray:
        """Slot of every raw token; tokens not seen before get their properties computed once, in Python."""
        if len(self._slots) > _MAX_CACHED:
            self._slots.clear()  # bounded memory on corpora with endless new identifiers
        slots = np.fromiter(map(self._slots.get, raw, repeat(-1)), dtype=np.int64, count=len(raw))
        missing = np.nonzero(slots < 0)[0]
        if len(missing):
            tokens = list(map(raw.__getitem__, missing.tolist()))
            new = list(dict.fromkeys(tokens))
            start = len(self._slots)
            if start + len(new) > self._columns.shape[1]:
                grown = np.zeros((5, max(2 * self._columns.shape[1], start + len(new))), dtype=np.int64)
                grown[:, :start] = self._columns[:, :start]
                self._columns = grown
            self._columns[:, start : start + len(new)] = np.array([self._properties(t) for t in new]).T
            self._slots.update(zip(new, range(start, start + len(new)), strict=True))
            slots[missing] = np.fromiter(map(self._slots.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        return slots

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
        """`{channel: (ids, raw token positions)}`, positions indexing `TOKEN_RE` matches, plus `"back"`
        with the canonical channel: its placeholders' back-references."""
        raw = TOKEN_RE.findall(text)
        slots = self._slot_ids(raw)
        exact, plain, prose, attr, ident = self._columns
        out = {}
        if "exact" in channels:
            out["exact"] = (exact[slots], np.arange(len(raw)))
        if "canonical" in channels:
            canonical_ids, canonical_positions = self._canonical(slots, plain[slots], attr, ident)
            out["canonical"] = (canonical_ids, canonical_positions)
            out["back"] = self._back_references(canonical_ids, slots[canonical_positions])
        if "prose" in channels:
            prose_ids = prose[slots]
            keep = np.nonzero(prose_ids != SKIP)[0]
            out["prose"] = (prose_ids[keep], keep)
        return out

    def _back_references(self, ids: np.ndarray, names: np.ndarray) -> np.ndarray:
        """For each placeholder, how many canonical tokens back the same name last occurred (0: not before);
        -1 for every other token. Hashing uses the distance when it falls inside the n-gram, so `a = a + b`
        and `a = b + c` stay apart after renaming, while a consistent renaming changes nothing. `names`: a
        number per token that is equal exactly for equal raw tokens (their slots)."""
        back = np.full(len(ids), -1, dtype=np.int64)
        if not self.placeholder:
            return back
        holders = np.nonzero(ids == self.placeholder)[0]
        back[holders] = 0
        if len(holders) < 2:
            return back
        names = names[holders]
        order = np.argsort(names, kind="stable")
        repeated = names[order][1:] == names[order][:-1]
        later, earlier = holders[order[1:][repeated]], holders[order[:-1][repeated]]
        back[later] = later - earlier
        return back

    def _canonical(self, slots: np.ndarray, ids: np.ndarray, attr: np.ndarray, ident: np.ndarray):
        positions = np.nonzero(ids != SKIP)[0]
        ids = ids[positions]
        dots = np.nonzero(ids[:-1] == self.dot)[0]
        if len(dots):
            following = slots[positions[dots + 1]]
            named = ident[following] == 1
            if named.any():
                ids[dots[named] + 1] = attr[following[named]]
                keep = np.ones(len(ids), dtype=bool)
                keep[dots[named]] = False
                ids, positions = ids[keep], positions[keep]
        ids[ids == _NO_DOT] = 0
        return ids, positions


def raw_spans(text: str, upto: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the raw tokens that `Encoder.encode` positions refer to (the first `upto`)."""
    return [m.span() for m in islice(TOKEN_RE.finditer(text), upto)]
