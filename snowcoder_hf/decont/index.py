"""The decontamination index: n-gram hashes of everything that counts as leaked, with boilerplate removed.

Built from the benchmark registry. For every item it stores, per token stream (see `normalize`):
- the prompt (`exact` and `prose`), import lines dropped;
- the canonical solution (`exact`), and the full program without docstrings, as written and as
  `ast.unparse` formats it (`canonical`);
- the test code, or EvoEval's assertion inputs (`exact`).
An n-gram is then removed as boilerplate when it is shared by `max_task_groups` or more distinct
problems, occurs in `reference_min_files` or more files of a reference sample of ordinary code, or
occurs in the shipped boilerplate list or the user's allowlist.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import keyword
import logging
import os
import re
import sysconfig
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm import tqdm

from snowcoder_hf.decont.encode import Encoder
from snowcoder_hf.decont.functions import FunctionIndex
from snowcoder_hf.decont.hashing import covered_length, token_codes, window_hashes
from snowcoder_hf.decont.normalize import (
    CHANNELS,
    KEPT_NAMES,
    ast_normalized,
    informative,
    stream,
    strip_docstrings,
    strip_imports,
)
from snowcoder_hf.decont.sources import full_solution, item_test_code, task_group
from snowcoder_hf.evalsets.registry import BenchmarkItem

logger = logging.getLogger(__name__)
_FIXED_NAMES = frozenset([*keyword.kwlist, *dir(builtins), "self", "cls"])  # a renaming leaves these alone
INDEX_FORMAT = 10  # bump when what is stored changes, so stale caches are rebuilt
FIELDS = ("prompt", "solution", "test")


@dataclass(frozen=True)
class ChannelParams:
    """`n`: n-gram length. A source matches when the document tokens its indexed n-grams cover reach
    `max(floor, min(cap, ceil(fraction * effective_length)))`, the minimum evidence span, where
    `effective_length` is what a full copy of the source would cover."""

    n: int
    floor: int
    cap: int
    fraction: float
    min_informative: int  # an n-gram with fewer informative tokens (names, words) is literal data: not indexed
    short_floor: int  # a source shorter than `floor` still matches when copied whole, if at least this long

    def required(self, effective_length: int) -> int | None:
        """Tokens a document must cover with a source's indexed n-grams, or None when the source is too
        short (or too boilerplate) to ever count as evidence."""
        if effective_length >= self.floor:
            return max(self.floor, min(self.cap, int(np.ceil(self.fraction * effective_length))))
        return effective_length if effective_length >= self.short_floor else None


DEFAULT_PARAMS: dict[str, ChannelParams] = {
    # Code: 45% of what a full copy shows, so half a solution pasted alone still matches (the hard benchmark's
    # `partial` form went from 0.03-0.57 to 0.53-0.93 recall, with no new false positive there).
    # The floor keeps a 20-token run of a mid-sized solution from being evidence on its own.
    "exact": ChannelParams(n=10, floor=24, cap=150, fraction=0.45, min_informative=2, short_floor=12),
    "canonical": ChannelParams(n=12, floor=24, cap=200, fraction=0.45, min_informative=2, short_floor=18),
    # Statements are short (an MBPP task is one sentence): 6-grams, and half of what a full copy shows, so a
    # copy with a word changed every dozen or so still matches (the hard benchmark's `prompt_edited` form).
    "prose": ChannelParams(n=6, floor=10, cap=60, fraction=0.5, min_informative=3, short_floor=10),
}


@dataclass
class IndexConfig:
    """Everything that shapes an index; its hash (with the benchmark data's) keys the on-disk cache."""

    params: dict[str, ChannelParams] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    max_task_groups: int = 4
    reference_min_files: int = 1
    allowlist: tuple[str, ...] = ()
    # A solution none of whose sources (completion, full program, formatted program) shows this many tokens of
    # evidence counts only as a whole function (`functions`): its token runs are shared with too much ordinary code.
    short_solution_tokens: int = 50

    def __post_init__(self):
        if set(self.params) != set(CHANNELS):
            raise ValueError(f"`params` must have exactly the channels {', '.join(CHANNELS)}.")
        for channel, p in self.params.items():
            if (
                p.n < 2
                or p.floor < p.n
                or p.cap < p.floor
                or not 0 < p.fraction <= 1
                or not 0 <= p.min_informative <= p.n
            ):
                raise ValueError(
                    f"`params[{channel!r}]` needs n >= 2, n <= floor <= cap, 0 < fraction <= 1, "
                    f"0 <= min_informative <= n and n <= short_floor <= floor, got {p}."
                )
        if self.max_task_groups < 2:
            raise ValueError(f"`max_task_groups` must be at least 2, got {self.max_task_groups}.")
        if self.short_solution_tokens < 0:
            raise ValueError(f"`short_solution_tokens` must be at least 0, got {self.short_solution_tokens}.")
        if self.reference_min_files < 1:
            raise ValueError(f"`reference_min_files` must be at least 1, got {self.reference_min_files}.")

    def fingerprint(self) -> dict:
        return {"format": INDEX_FORMAT, "params": {k: asdict(v) for k, v in sorted(self.params.items())},
                "max_task_groups": self.max_task_groups, "reference_min_files": self.reference_min_files,
                "allowlist": list(self.allowlist), "short_solution_tokens": self.short_solution_tokens}  # fmt: skip


def shipped_boilerplate() -> list[str]:
    text = resources.files("snowcoder_hf.decont").joinpath("boilerplate.txt").read_text(encoding="utf-8")
    blocks = text.split("\n---\n")
    return [block.strip("\n") for block in blocks[1:] if block.strip()]


# Files in the default boilerplate sample. Short solutions now match only as whole functions, so the sample
# guards longer runs alone; on the hard benchmark 300 files keep false positives where 1,200 did, for a
# quarter of the index build (see docs/decontamination.md).
REFERENCE_FILES = 300


def in_reference_half(path: str | Path, root: str | Path) -> bool:
    """The stable half of a tree that the default reference sample draws from; the other half stays unseen,
    so false positives can be measured on code the boilerplate was not learned from."""
    return zlib.crc32(str(Path(path).relative_to(root)).encode()) % 2 == 0


def reference_roots() -> list[Path]:
    """The standard library and the installed packages of the running interpreter."""
    paths = sysconfig.get_paths()
    return [Path(paths["stdlib"]), Path(paths["purelib"])]


def default_reference_files(limit: int = REFERENCE_FILES, max_bytes: int = 150_000) -> list[Path]:
    """A sample of ordinary Python code to learn boilerplate from: the reference half of the standard
    library and of the installed packages, spread by a stable hash of the path. Paths are ranked before
    any file is opened or measured, so a large environment costs one directory walk."""
    ranked = []
    for root in reference_roots():
        if not root.is_dir():
            continue
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d != "site-packages" and d != "__pycache__"]
            rel_folder = os.path.relpath(folder, root)
            for name in names:
                if name.endswith(".py"):
                    rel = name if rel_folder == "." else os.path.join(rel_folder, name)
                    if zlib.crc32(rel.encode()) % 2 == 0:  # `in_reference_half`, without building paths
                        full = os.path.join(folder, name)
                        ranked.append((zlib.crc32(full.encode()), full))
    ranked.sort()
    files = []
    for _, full in ranked:
        if len(files) >= limit:
            break
        try:
            if os.path.getsize(full) <= max_bytes:
                files.append(Path(full))
        except OSError:
            continue
    return files


def item_sources(item: BenchmarkItem, formatted: str | None = None) -> list[tuple[str, str, str]]:
    """`(field, channel, text)` for everything of `item` the index stores; `formatted`: the full solution as
    `ast_normalized` gives it, when the caller has it already."""
    out = []
    prompt = strip_imports(item.prompt)
    out += [("prompt", "exact", prompt), ("prompt", "prose", prompt)]
    instruct = item.raw.get("instruct_prompt")
    if isinstance(instruct, str) and instruct.strip() and instruct != item.prompt:
        out.append(("prompt", "prose", instruct))  # BigCodeBench's natural-language task, as released
    if item.solution.strip():
        out.append(("solution", "exact", strip_imports(item.solution)))
        program = full_solution(item)
        out.append(("solution", "canonical", strip_imports(strip_docstrings(program))))
        formatted = formatted if formatted is not None else ast_normalized(program)
        if formatted:
            out.append(("solution", "canonical", strip_imports(formatted)))
    test = item_test_code(item)
    if test.strip():
        out.append(("test", "exact", strip_imports(test)))
    return out


class DecontIndex:
    """Per channel: sorted unique n-gram hashes, and for each the benchmark sources it occurs in."""

    def __init__(self, items: list[tuple[str, str]], sources: dict[str, np.ndarray], vocab: dict[str, list[str]],
                 tables: dict[str, dict[str, np.ndarray]], config: IndexConfig, stats: dict,
                 functions: FunctionIndex | None = None):  # fmt: skip
        self.items = items  # (benchmark, task_id)
        self.sources = sources  # parallel arrays: item, field, channel, length
        self.encoder = Encoder(vocab)
        self._vocab_lists = vocab
        self.codes = {ch: token_codes(len(tokens) + 1) for ch, tokens in vocab.items()}
        self.tables = tables  # channel -> {"hashes", "offsets", "postings"}
        self.config = config
        self.stats = stats
        self.prefilter = {ch: _bitset(t["hashes"]) for ch, t in tables.items()}
        self.functions = functions or FunctionIndex([], np.empty(0, np.uint64), np.empty(0, np.int32),
                                                    np.empty(0, np.int64))  # fmt: skip
        self.def_id = self.encoder.plain.get("def", 0)
        # Whole-function keys see every name a renaming may touch as the placeholder, module names too
        # (`string`, `time`, `random` are common argument names).
        renamable = [tok in KEPT_NAMES and tok not in _FIXED_NAMES for tok in vocab["canonical"]]
        self.key_map = np.arange(len(vocab["canonical"]) + 1, dtype=np.int64)
        self.key_map[1:][np.array(renamable, dtype=bool)] = self.encoder.placeholder

    @property
    def short_sources(self) -> np.ndarray:
        """Per source: a code source of a solution whose item is short, i.e. none of its solution sources shows
        `short_solution_tokens` of evidence. Such sources match only as whole functions."""
        if getattr(self, "_short", None) is None or len(self._short) != len(self.sources["item"]):
            code = (self.sources["field"] == FIELDS.index("solution")) & (
                self.sources["channel"] != CHANNELS.index("prose")
            )
            longest = np.zeros(len(self.items), dtype=np.int64)
            np.maximum.at(longest, self.sources["item"][code], self.sources["effective"][code])
            self._short = code & (longest[self.sources["item"]] < self.config.short_solution_tokens)
        return self._short

    def key_ids(self, text: str) -> np.ndarray:
        return self.key_map[self.encoder.encode(text, ("canonical",))["canonical"][0]]

    # ---- building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, items: list[BenchmarkItem], config: IndexConfig | None = None,
              reference_texts: list[str] | None = None) -> DecontIndex:  # fmt: skip
        config = config or IndexConfig()
        rows = []  # (item index, field, channel, tokens)
        formatted = [ast_normalized(full_solution(it)) if it.solution.strip() else None for it in items]
        for i, item in enumerate(items):
            for field_name, channel, text in item_sources(item, formatted[i] or ""):
                tokens = stream(text, channel)
                if len(tokens) >= config.params[channel].n:
                    rows.append((i, field_name, channel, tokens, text))
        vocab = {ch: sorted({t for _, _, c, toks, _ in rows if c == ch for t in toks}) for ch in CHANNELS}
        index = cls([(it.benchmark, it.task_id) for it in items], {}, vocab, {}, config, {})
        groups = [task_group(it) for it in items]
        per_channel: dict[str, list[tuple[np.ndarray, int]]] = defaultdict(list)
        windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # informative tokens per channel id, so the per-source count is one gather
        flags = {ch: np.array([False, *(informative(t, ch) for t in vocab[ch])], dtype=np.int64) for ch in CHANNELS}
        for source_id, (_, _, channel, tokens, text) in enumerate(rows):
            encoded = index.encoder.encode(text, (channel,))
            hashes, _ = index.encoded_hashes(encoded, channel)
            assert len(hashes) == len(tokens) - config.params[channel].n + 1  # the encoder agrees with `stream`
            n, need = config.params[channel].n, config.params[channel].min_informative
            counts = np.concatenate(([0], np.cumsum(flags[channel][encoded[channel][0]])))
            starts = np.nonzero((counts[n:] - counts[: len(hashes)]) >= need)[0]
            windows[source_id] = (hashes[starts], starts)
            per_channel[channel].append((_sorted_unique(hashes[starts]), source_id))
        index.sources = {
            "item": np.array([r[0] for r in rows], dtype=np.int32),
            "field": np.array([FIELDS.index(r[1]) for r in rows], dtype=np.int8),
            "channel": np.array([CHANNELS.index(r[2]) for r in rows], dtype=np.int8),
            "length": np.array([len(r[3]) for r in rows], dtype=np.int32),
        }
        index.functions = FunctionIndex.build(items, index.key_ids, index.codes["canonical"], formatted)
        indexed = {ch: _sorted_unique(np.concatenate([h for h, _ in per_channel[ch]] or [np.empty(0, np.uint64)]))
                   for ch in CHANNELS}  # fmt: skip
        suppressed = index._suppressed_hashes(reference_texts or [], config, indexed)
        for channel in CHANNELS:
            index.tables[channel], index.stats[channel] = _table(per_channel[channel], index.sources["item"], groups,
                                                                 config.max_task_groups, suppressed[channel])  # fmt: skip
        index.prefilter = {ch: _bitset(t["hashes"]) for ch, t in index.tables.items()}
        # The evidence a full copy of a source can show: the tokens its indexed n-grams cover.
        effective = np.zeros(len(rows), dtype=np.int32)
        for channel in CHANNELS:  # one lookup per channel for all its sources
            ids = [sid for sid in windows if rows[sid][2] == channel]
            if not ids:
                continue
            hashes = np.concatenate([windows[sid][0] for sid in ids])
            kept = np.zeros(len(hashes), dtype=bool)
            kept[index.lookup(hashes, np.ones(len(hashes), dtype=bool), channel)[0]] = True
            bounds = np.cumsum([0] + [len(windows[sid][0]) for sid in ids])
            for k, sid in enumerate(ids):
                starts = windows[sid][1][kept[bounds[k] : bounds[k + 1]]]
                effective[sid] = covered_length(starts, config.params[channel].n)
        index.sources["effective"] = effective
        index.stats["items"] = len(items)
        index.stats["functions"] = {"indexed": len(index.functions.functions),
                                    "suppressed": len(index.functions.suppressed)}  # fmt: skip
        index.stats["reference_files"] = len(reference_texts or [])
        return index

    def function_hits(self, text: str, encoded: dict) -> list[tuple[int, int, str]]:
        """`(function, char offset of its def, verbatim|renamed)` for every benchmark function found whole in `text`."""
        exact_ids = encoded["exact"][0] if "exact" in encoded else self.encoder.encode(text, ("exact",))["exact"][0]
        raw_defs = np.nonzero(exact_ids == self.encoder.exact.get("def", -1))[0]
        if not len(raw_defs) or not len(self.functions.keys):
            return []
        ids, positions = encoded["canonical"]
        keys = self.key_map[ids]
        # A `def` right after a `.` (a comment's last sentence) was merged into an attribute: it is still a def.
        at = np.minimum(np.searchsorted(positions, raw_defs), len(positions) - 1)
        keys[at[positions[at] == raw_defs]] = self.def_id
        candidates = self.functions.candidates(keys, self.codes["canonical"], self.def_id)
        if not candidates:
            return []
        # The j-th raw `def` token is the j-th `def` word of the text: no need to locate every token.
        words = [m.start() for m in _DEF_WORD_RE.finditer(text)]
        if len(words) != len(raw_defs):
            return []  # cannot happen for `TOKEN_RE` tokens; never guess an offset
        hits = []
        for p, function in candidates:
            offset = words[int(np.searchsorted(raw_defs, positions[p]))]
            kind = self.functions.verify(text, offset, function)
            if kind:
                hits.append((function, offset, kind))
        return hits

    def functions_in(self, text: str, encoded: dict) -> set[int]:
        return {function for function, _, _ in self.function_hits(text, encoded)}

    def encoded_hashes(self, encoded: dict, channel: str) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of the n-grams of `channel` of an `Encoder.encode` result, and which are in-vocabulary."""
        back = encoded.get("back") if channel == "canonical" else None
        return window_hashes(encoded[channel][0], self.codes[channel], self.config.params[channel].n, back)

    def text_hashes(self, text: str, channel: str) -> tuple[np.ndarray, np.ndarray]:
        return self.encoded_hashes(self.encoder.encode(text, (channel,)), channel)

    def lookup(self, hashes: np.ndarray, valid: np.ndarray, channel: str) -> tuple[np.ndarray, np.ndarray]:
        """Window positions whose hash is in the index, and the table row of each."""
        table = self.tables[channel]["hashes"]
        if not len(table) or not len(hashes):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        bits = hashes >> np.uint64(64 - _PREFILTER_BITS)
        maybe = np.nonzero(
            valid
            & ((self.prefilter[channel][bits >> np.uint64(3)] >> (bits & np.uint64(7)).astype(np.uint8)) & 1).astype(
                bool
            )
        )[0]
        if not len(maybe):
            return maybe, maybe
        rows = np.minimum(np.searchsorted(table, hashes[maybe]), len(table) - 1)
        found = table[rows] == hashes[maybe]
        return maybe[found], rows[found]

    def _suppressed_hashes(self, reference_texts: list[str], config: IndexConfig,
                           indexed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:  # fmt: skip
        """Per channel, the `indexed` hashes that are boilerplate: in the shipped list, the allowlist, or in
        `reference_min_files` or more reference files. Reference hashes are first cut to those a prefilter
        of `indexed` lets through, so the counting touches only a few per file."""
        out = {}
        fixed = [*shipped_boilerplate(), *config.allowlist]
        prefilters = {ch: _bitset(indexed[ch]) for ch in CHANNELS}
        seen: dict[str, list[np.ndarray]] = {ch: [] for ch in CHANNELS}
        for text in tqdm(reference_texts, desc="boilerplate sample", unit="file", disable=len(reference_texts) < 200,
                         leave=False):  # fmt: skip
            encoded = self.encoder.encode(text)
            self.functions.suppressed |= self.functions_in(text, encoded)
            for channel in CHANNELS:
                h, valid = self.encoded_hashes(encoded, channel)
                h = h[valid & _passes(prefilters[channel], h)]
                if len(h):
                    seen[channel].append(_sorted_unique(h))
        for channel in CHANNELS:
            always = [self.text_hashes(t, channel) for t in fixed]
            always_h = np.concatenate([h[v] for h, v in always]) if always else np.empty(0, np.uint64)
            found = np.concatenate(seen[channel]) if seen[channel] else np.empty(0, np.uint64)
            values, counts = np.unique(found, return_counts=True)
            learned = values[counts >= config.reference_min_files]
            out[channel] = np.unique(np.concatenate([always_h, learned]))
        return out

    # ---- persistence ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write `path.npz` + `path.json` atomically (a crashed writer leaves no half index behind)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f"source_{k}": v for k, v in self.sources.items()}
        for channel, table in self.tables.items():
            arrays.update({f"{channel}_{k}": v for k, v in table.items()})
        function_arrays, functions, suppressed = self.functions.to_state()
        arrays.update(function_arrays)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        np.savez(f"{tmp}.npz", **arrays)
        meta = {
            "items": self.items,
            "vocab": self._vocab_lists,
            "config": self.config.fingerprint(),
            "stats": self.stats,
            "functions": functions,
            "suppressed_functions": suppressed,
        }
        Path(f"{tmp}.json").write_text(json.dumps(meta))
        os.replace(f"{tmp}.json", f"{path}.json")
        os.replace(f"{tmp}.npz", f"{path}.npz")
        return path

    @classmethod
    def load(cls, path: str | Path, config: IndexConfig) -> DecontIndex:
        meta = json.loads(Path(f"{path}.json").read_text())
        if meta["config"] != config.fingerprint():
            raise ValueError(f"{path} was built with another configuration.")
        with np.load(f"{path}.npz") as data:
            arrays = {k: data[k] for k in data.files}
        sources = {k.removeprefix("source_"): v for k, v in arrays.items() if k.startswith("source_")}
        tables = {ch: {k: arrays[f"{ch}_{k}"] for k in ("hashes", "offsets", "postings")} for ch in CHANNELS}
        functions = FunctionIndex.from_state(arrays, meta["functions"], meta["suppressed_functions"])
        return cls([tuple(x) for x in meta["items"]], sources, meta["vocab"], tables, config, meta["stats"], functions)


_PREFILTER_BITS = 24
_DEF_WORD_RE = re.compile(r"(?<!\w)def(?!\w)")  # a `def` token of `TOKEN_RE`: a whole word


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """`np.unique` by sorting: much faster here than its hash-based path, on small and large arrays alike."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _passes(bits: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    top = hashes >> np.uint64(64 - _PREFILTER_BITS)
    return ((bits[top >> np.uint64(3)] >> (top & np.uint64(7)).astype(np.uint8)) & 1).astype(bool)


def _bitset(hashes: np.ndarray) -> np.ndarray:
    """A 2**24-bit membership prefilter on the hashes' top bits: most document n-grams miss the index, and
    this rejects them with one gather instead of a binary search."""
    bits = np.zeros(1 << (_PREFILTER_BITS - 3), dtype=np.uint8)
    top = hashes >> np.uint64(64 - _PREFILTER_BITS)
    np.bitwise_or.at(
        bits, (top >> np.uint64(3)).astype(np.int64), (np.uint8(1) << (top & np.uint64(7)).astype(np.uint8))
    )
    return bits


def _table(entries, source_items, groups, max_task_groups, suppressed):
    """Sorted unique hashes with CSR postings, dropping suppressed and many-problem hashes."""
    if not entries:
        empty = np.empty(0, dtype=np.uint64)
        return {"hashes": empty, "offsets": np.zeros(1, np.int64), "postings": np.empty(0, np.int32)}, {}
    hashes = np.concatenate([h for h, _ in entries])
    owners = np.concatenate([np.full(len(h), s, dtype=np.int32) for h, s in entries])
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    starts = np.nonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))[0]  # hashes are sorted
    unique = hashes[starts]
    bounds = np.append(starts, len(hashes))
    keep = ~np.isin(unique, suppressed)
    n_suppressed = int((~keep).sum())
    # Distinct problems per hash, vectorized: unique (row, group) pairs counted per row.
    group_codes = {g: i for i, g in enumerate(sorted(set(groups)))}
    item_group = np.array([group_codes[g] for g in groups], dtype=np.int64)
    row_of = np.repeat(np.arange(len(unique), dtype=np.int64), np.diff(bounds))
    pairs = _sorted_unique(row_of * len(group_codes) + item_group[source_items[owners]])
    problems = np.bincount(pairs // len(group_codes), minlength=len(unique))
    shared = keep & (problems >= max_task_groups)
    common = int(shared.sum())
    keep &= ~shared
    kept = np.nonzero(keep)[0]
    offsets = np.zeros(len(kept) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.diff(bounds)[kept])
    postings = owners[keep[row_of]]
    table = {"hashes": unique[kept], "offsets": offsets, "postings": postings.astype(np.int32)}
    return table, {"ngrams": int(len(kept)), "suppressed_boilerplate": n_suppressed, "suppressed_shared": common}


def cache_key(source_digests: dict[str, str], config: IndexConfig, reference: list[str]) -> str:
    payload = json.dumps({"sources": source_digests, "config": config.fingerprint(), "reference": reference},
                         sort_keys=True)  # fmt: skip
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def file_digest(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
