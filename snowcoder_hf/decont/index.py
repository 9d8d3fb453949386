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

import hashlib
import json
import logging
import os
import sysconfig
import zlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from snowcoder_hf.decont.encode import Encoder, raw_spans
from snowcoder_hf.decont.functions import FunctionIndex
from snowcoder_hf.decont.hashing import covered_length, token_codes, window_hashes
from snowcoder_hf.decont.normalize import CHANNELS, ast_normalized, informative, stream, strip_docstrings, strip_imports
from snowcoder_hf.decont.sources import full_solution, item_test_code, task_group
from snowcoder_hf.evalsets.registry import BenchmarkItem

logger = logging.getLogger(__name__)
INDEX_FORMAT = 8  # bump when what is stored changes, so stale caches are rebuilt
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
    "exact": ChannelParams(n=10, floor=16, cap=150, fraction=0.8, min_informative=2, short_floor=12),
    "canonical": ChannelParams(n=12, floor=18, cap=200, fraction=0.8, min_informative=2, short_floor=18),
    "prose": ChannelParams(n=8, floor=12, cap=60, fraction=0.6, min_informative=4, short_floor=12),
}


@dataclass
class IndexConfig:
    """Everything that shapes an index; its hash (with the benchmark data's) keys the on-disk cache."""

    params: dict[str, ChannelParams] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    max_task_groups: int = 4
    reference_min_files: int = 1
    allowlist: tuple[str, ...] = ()
    # A solution whose full copy shows fewer tokens of evidence than this counts only as a whole function
    # (`functions`): its token runs are shared with too much ordinary code.
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


def in_reference_half(path: str | Path, root: str | Path) -> bool:
    """The stable half of a tree that the default reference sample draws from; the other half stays unseen,
    so false positives can be measured on code the boilerplate was not learned from."""
    return zlib.crc32(str(Path(path).relative_to(root)).encode()) % 2 == 0


def reference_roots() -> list[Path]:
    """The standard library and the installed packages of the running interpreter."""
    paths = sysconfig.get_paths()
    return [Path(paths["stdlib"]), Path(paths["purelib"])]


def default_reference_files(limit: int = 1200, max_bytes: int = 150_000) -> list[Path]:
    """A sample of ordinary Python code to learn boilerplate from: the reference half of the standard
    library and of the installed packages, spread by a stable hash of the path."""
    files = []
    for root in reference_roots():
        if not root.is_dir():
            continue
        for p in root.rglob("*.py"):
            inside_packages = "site-packages" in p.relative_to(root).parts
            if not inside_packages and in_reference_half(p, root) and p.stat().st_size <= max_bytes:
                files.append(p)
    files.sort(key=lambda p: zlib.crc32(str(p).encode()))
    return files[:limit]


def item_sources(item: BenchmarkItem) -> list[tuple[str, str, str]]:
    """`(field, channel, text)` for everything of `item` the index stores."""
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
        formatted = ast_normalized(program)
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

    # ---- building ---------------------------------------------------------------------------------
    @classmethod
    def build(cls, items: list[BenchmarkItem], config: IndexConfig | None = None,
              reference_texts: list[str] | None = None) -> DecontIndex:  # fmt: skip
        config = config or IndexConfig()
        rows = []  # (item index, field, channel, tokens)
        for i, item in enumerate(items):
            for field_name, channel, text in item_sources(item):
                tokens = stream(text, channel)
                if len(tokens) >= config.params[channel].n:
                    rows.append((i, field_name, channel, tokens, text))
        vocab = {ch: sorted({t for _, _, c, toks, _ in rows if c == ch for t in toks}) for ch in CHANNELS}
        index = cls([(it.benchmark, it.task_id) for it in items], {}, vocab, {}, config, {})
        groups = [task_group(it) for it in items]
        per_channel: dict[str, list[tuple[np.ndarray, int]]] = defaultdict(list)
        windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for source_id, (_, _, channel, tokens, text) in enumerate(rows):
            hashes, _ = index.text_hashes(text, channel)
            assert len(hashes) == len(tokens) - config.params[channel].n + 1  # the encoder agrees with `stream`
            n, need = config.params[channel].n, config.params[channel].min_informative
            counts = np.concatenate(([0], np.cumsum([informative(t, channel) for t in tokens])))
            starts = np.nonzero((counts[n:] - counts[: len(hashes)]) >= need)[0]
            windows[source_id] = (hashes[starts], starts)
            per_channel[channel].append((np.unique(hashes[starts]), source_id))
        index.sources = {
            "item": np.array([r[0] for r in rows], dtype=np.int32),
            "field": np.array([FIELDS.index(r[1]) for r in rows], dtype=np.int8),
            "channel": np.array([CHANNELS.index(r[2]) for r in rows], dtype=np.int8),
            "length": np.array([len(r[3]) for r in rows], dtype=np.int32),
        }
        index.functions = FunctionIndex.build(items, index.encoder, index.codes["canonical"])
        suppressed = index._suppressed_hashes(reference_texts or [], config)
        for channel in CHANNELS:
            index.tables[channel], index.stats[channel] = _table(per_channel[channel], index.sources["item"], groups,
                                                                 config.max_task_groups, suppressed[channel])  # fmt: skip
        index.prefilter = {ch: _bitset(t["hashes"]) for ch, t in index.tables.items()}
        # The evidence a full copy of a source can show: the tokens its indexed n-grams cover.
        effective = np.zeros(len(rows), dtype=np.int32)
        for source_id, (hashes, starts) in windows.items():
            channel = rows[source_id][2]
            found, _ = index.lookup(hashes, np.ones(len(hashes), dtype=bool), channel)
            effective[source_id] = covered_length(starts[found], config.params[channel].n)
        index.sources["effective"] = effective
        index.stats["items"] = len(items)
        index.stats["functions"] = {"indexed": len(index.functions.functions),
                                    "suppressed": len(index.functions.suppressed)}  # fmt: skip
        index.stats["reference_files"] = len(reference_texts or [])
        return index

    def function_hits(self, text: str, encoded: dict) -> list[tuple[int, int, str]]:
        """`(function, char offset of its def, verbatim|renamed)` for every benchmark function found whole in `text`."""
        ids, positions = encoded["canonical"]
        candidates = self.functions.candidates(ids, self.codes["canonical"], self.def_id)
        if not candidates:
            return []
        spans = raw_spans(text, int(max(positions[p] for p, _ in candidates)) + 1)
        hits = []
        for p, function in candidates:
            offset = spans[int(positions[p])][0]
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

    def _suppressed_hashes(self, reference_texts: list[str], config: IndexConfig) -> dict[str, np.ndarray]:
        out = {}
        fixed = [*shipped_boilerplate(), *config.allowlist]
        reference = [self.encoder.encode(text) for text in reference_texts]
        for text, encoded in zip(reference_texts, reference, strict=True):
            self.functions.suppressed |= self.functions_in(text, encoded)
        for channel in CHANNELS:
            always = [self.text_hashes(t, channel) for t in fixed]
            always_h = np.concatenate([h[v] for h, v in always]) if always else np.empty(0, np.uint64)
            counts: dict[int, int] = defaultdict(int)
            for encoded in reference:
                h, valid = self.encoded_hashes(encoded, channel)
                for value in np.unique(h[valid]).tolist():
                    counts[value] += 1
            learned = [h for h, c in counts.items() if c >= config.reference_min_files]
            out[channel] = np.unique(np.concatenate([always_h, np.array(learned, dtype=np.uint64)]))
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
    unique, starts = np.unique(hashes, return_index=True)
    bounds = np.append(starts, len(hashes))
    keep = ~np.isin(unique, suppressed)
    n_suppressed = int((~keep).sum())
    # Distinct problems per hash, vectorized: unique (row, group) pairs counted per row.
    group_codes = {g: i for i, g in enumerate(sorted(set(groups)))}
    item_group = np.array([group_codes[g] for g in groups], dtype=np.int64)
    row_of = np.repeat(np.arange(len(unique), dtype=np.int64), np.diff(bounds))
    pairs = np.unique(row_of * len(group_codes) + item_group[source_items[owners]])
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
