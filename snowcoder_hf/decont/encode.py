"""Documents to token ids in every channel: one regex pass, then a few C-level dict lookups per token.

The per-token Python work of `normalize.canonicalize` runs on index texts only. Documents reuse one
lexical token list for all three channels. Ids come from the index vocabulary: a token the index never
saw gets 0, and no n-gram holding it can match. The canonical channel is the exception: there an unseen
name is just another placeholder.
"""

from __future__ import annotations

from itertools import compress, islice, repeat

import numpy as np

from snowcoder_hf.decont.normalize import KEPT_NAMES, PLACEHOLDER, PUNCTUATION, QUOTES, TOKEN_RE, is_identifier

SKIP = -1
_NO_DOT = -2
_BITS = 21
_FIELD = 1 << _BITS
_MASK = _FIELD - 1
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
        if max(len(self.exact), len(self.plain), len(self.prose)) >= _FIELD - 2:
            raise ValueError(f"A channel vocabulary holds {_FIELD - 2} tokens or more: too many for the packed ids.")
        self._packed: dict[str, int] = {}  # raw token -> its three channel ids in one int, filled on first sight

    def _pack(self, token: str) -> int:
        exact = self.exact.get(token, 0)
        plain = self.plain.get(token, self.placeholder) + 2  # SKIP and _NO_DOT are negative
        prose = self.prose.get(token.lower(), 0) + 1  # SKIP is -1
        return exact | plain << _BITS | prose << (2 * _BITS)

    def _packed_ids(self, raw: list[str]) -> np.ndarray:
        """One dict lookup per token for all channels; a token not seen before is packed once, in Python."""
        packed = np.fromiter(map(self._packed.get, raw, repeat(-1)), dtype=np.int64, count=len(raw))
        missing = np.nonzero(packed < 0)[0]
        if len(missing):
            tokens = list(map(raw.__getitem__, missing.tolist()))
            for token in set(tokens):
                self._packed[token] = self._pack(token)
            packed[missing] = np.fromiter(map(self._packed.__getitem__, tokens), dtype=np.int64, count=len(tokens))
            if len(self._packed) > _MAX_CACHED:
                self._packed.clear()  # bounded memory on corpora with endless new identifiers
        return packed

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
        packed = self._packed_ids(raw)
        out = {}
        if "exact" in channels:
            out["exact"] = (packed & _MASK, np.arange(len(raw)))
        if "canonical" in channels:
            canonical_ids, canonical_positions = self._canonical(raw, ((packed >> _BITS) & _MASK) - 2)
            out["canonical"] = (canonical_ids, canonical_positions)
            out["back"] = self._back_references(canonical_ids, canonical_positions, raw)
        if "prose" in channels:
            prose = ((packed >> (2 * _BITS)) & _MASK) - 1
            keep = np.nonzero(prose != SKIP)[0]
            out["prose"] = (prose[keep], keep)
        return out

    def _back_references(self, ids: np.ndarray, positions: np.ndarray, raw: list[str]) -> np.ndarray:
        """For each placeholder, how many canonical tokens back the same name last occurred (0: not before);
        -1 for every other token. Hashing uses the distance when it falls inside the n-gram, so `a = a + b`
        and `a = b + c` stay apart after renaming, while a consistent renaming changes nothing."""
        back = np.full(len(ids), -1, dtype=np.int64)
        if not self.placeholder:
            return back
        slots = np.nonzero(ids == self.placeholder)[0]
        back[slots] = 0
        if len(slots) < 2:
            return back
        names = np.fromiter(
            map(hash, map(raw.__getitem__, positions[slots].tolist())), dtype=np.int64, count=len(slots)
        )
        order = np.argsort(names, kind="stable")
        repeated = names[order][1:] == names[order][:-1]
        later, earlier = slots[order[1:][repeated]], slots[order[:-1][repeated]]
        back[later] = later - earlier
        return back

    def _canonical(self, raw: list[str], ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        positions = np.nonzero(ids != SKIP)[0]
        ids = ids[positions]
        dots = np.nonzero(ids[:-1] == self.dot)[0]
        if len(dots):
            following = list(map(raw.__getitem__, positions[dots + 1].tolist()))
            named = np.fromiter(map(is_identifier, following), dtype=bool, count=len(following))
            if named.any():
                attributes = list(compress(following, named.tolist()))
                ids[dots[named] + 1] = np.fromiter(map(self.attr.get, attributes, repeat(0)), dtype=np.int64,
                                                   count=len(attributes))  # fmt: skip
                keep = np.ones(len(ids), dtype=bool)
                keep[dots[named]] = False
                ids, positions = ids[keep], positions[keep]
        ids[ids == _NO_DOT] = 0
        return ids, positions


def raw_spans(text: str, upto: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the raw tokens that `Encoder.encode` positions refer to (the first `upto`)."""
    return [m.span() for m in islice(TOKEN_RE.finditer(text), upto)]
