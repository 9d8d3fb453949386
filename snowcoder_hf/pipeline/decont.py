"""Benchmark decontamination as a DataTrove block: drop (or annotate) documents that contain benchmark problems.

from snowcoder_hf.pipeline import BenchmarkDecontaminationFilter
BenchmarkDecontaminationFilter(["humaneval_plus", "mbpp_plus", "evoeval", "bigcodebench"],
                               benchmark_dir="benchmarks/", exclusion_writer=removed_writer(out, "decontaminate"))
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from snowcoder_hf.decont.index import (
    DEFAULT_PARAMS,
    ChannelParams,
    DecontIndex,
    IndexConfig,
    cache_key,
    default_reference_files,
    file_digest,
)
from snowcoder_hf.decont.matcher import find_matches
from snowcoder_hf.evalsets.registry import benchmark_sources, expand_benchmarks, load_benchmark

logger = logging.getLogger(__name__)
MODES = ("filter", "annotate")


def default_cache_dir() -> Path:
    base = (
        os.environ.get("SNOWCODER_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "snowcoder_hf"
    )
    return Path(base) / "decont"


def reference_files(reference: str | Sequence[str] | None) -> list[Path]:
    """`"stdlib"`: the default standard-library sample; a folder: its code files; a list: those files; None: none."""
    if reference is None:
        return []
    if isinstance(reference, str):
        if reference == "stdlib":
            return default_reference_files()
        folder = Path(reference)
        if not folder.is_dir():
            raise ValueError(
                f'`reference` must be "stdlib", a folder, a list of files or None; {folder} is not a folder.'
            )
        return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in {".py", ".c", ".js", ".java", ".go"})
    return [Path(p) for p in reference]


class BenchmarkDecontaminationFilter(BaseFilter):
    """Remove documents that contain a benchmark's prompt, solution or tests, verbatim, renamed or as prose.

    Matches are recorded in `metadata.contamination` as a list of `{benchmark, task_id, field, kind, spans,
    matched_tokens}` (plus `path` inside a repo-level document). `mode="filter"` drops matched documents
    with reason `contaminated`; `mode="annotate"` keeps them, for auditing. The index is built on first
    use (so the block pickles cheaply for DataTrove workers) and cached on disk under `cache_dir`, keyed
    by the benchmark files' hashes and every setting that shapes it.
    """

    name = "🧹 Benchmark decontamination"
    _requires_dependencies = ["numpy"]

    def __init__(
        self,
        benchmarks: list[str] | str,
        benchmark_dir: str | None = None,
        mode: str = "filter",
        exclusion_writer: DiskWriter | None = None,
        *,
        allowlist: Iterable[str] = (),
        ignore_tasks: Iterable[str] = (),
        reference: str | Sequence[str] | None = "stdlib",
        params: dict[str, ChannelParams] | None = None,
        max_task_groups: int = 4,
        reference_min_files: int = 1,
        cache_dir: str | None = None,
        use_cache: bool = True,
    ):
        super().__init__(exclusion_writer=exclusion_writer)
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {', '.join(MODES)}, got {mode!r}.")
        self.benchmarks = expand_benchmarks(benchmarks)
        self.benchmark_dir = str(benchmark_dir) if benchmark_dir is not None else None
        self.sources = benchmark_sources(self.benchmarks, self.benchmark_dir)  # fails fast on a missing file
        self.mode = mode
        self.config = IndexConfig(params={**DEFAULT_PARAMS, **(params or {})}, max_task_groups=max_task_groups,
                                  reference_min_files=reference_min_files, allowlist=tuple(allowlist))  # fmt: skip
        self.ignore_tasks = frozenset(_parse_task(t) for t in ignore_tasks)
        self.reference = reference if reference is None or isinstance(reference, str) else [str(p) for p in reference]
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.use_cache = use_cache
        self._index: DecontIndex | None = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_index"] = None  # workers load the cached index themselves
        return state

    @property
    def index(self) -> DecontIndex:
        if self._index is None:
            self._index = self._load_or_build()
        return self._index

    def _load_or_build(self) -> DecontIndex:
        files = reference_files(self.reference)
        digests = {name: file_digest(src) if Path(src).is_file() else src for name, src in self.sources.items()}
        reference_key = [f"{p.name}:{p.stat().st_size}" for p in files]
        path = self.cache_dir / f"index-{cache_key(digests, self.config, reference_key)}"
        if self.use_cache and Path(f"{path}.npz").exists():
            try:
                return DecontIndex.load(path, self.config)
            except (OSError, ValueError, KeyError) as err:
                logger.warning(
                    "Rebuilding the decontamination index: the cached one at %s is unusable (%s).", path, err
                )
        items = [item for name in self.benchmarks for item in load_benchmark(name, self.benchmark_dir)]
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
        index = DecontIndex.build(items, self.config, reference_texts=texts)
        if self.use_cache:
            index.save(path)
        return index

    def matches(self, text: str) -> list[dict]:
        """The leak matches in `text` (what the block writes to `metadata.contamination`)."""
        return find_matches(self.index, text, self.ignore_tasks)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        found = self.matches(doc.text) if isinstance(doc.text, str) else []
        if not found:
            return True
        doc.metadata["contamination"] = found
        for match in found:
            self.stat_update(f"match_{match['benchmark']}", f"match_kind_{match['kind']}")
        if self.mode == "annotate":
            self.stat_update("annotated_contaminated")
            return True
        return False, "contaminated"


def _parse_task(value: str) -> tuple[str, str]:
    benchmark, sep, task_id = value.partition(":")
    if not sep or not benchmark or not task_id:
        raise ValueError(
            f"`ignore_tasks` entries must look like `benchmark:task_id` (humaneval_plus:HumanEval/0), got {value!r}."
        )
    return benchmark, task_id
