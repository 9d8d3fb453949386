"""The stage-1 data config: YAML parsed strictly into dataclasses (an unknown key fails loudly).

The defaults are the embedded `make demo` corpus: this interpreter's standard library, the installed
site-packages, and any `node_modules` found. Root paths may use `${stdlib}`, `${site_packages}` and
`${node_modules}`, resolved at run time on the machine that runs the job.
"""

from __future__ import annotations

import dataclasses
import os
import sysconfig
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCE_TYPES = ("local", "hub", "files")


@dataclass
class RootConfig:
    path: str
    layout: str = "repos"
    name: str | None = None
    license: str | None = None


@dataclass
class SourceConfig:
    type: str = "local"
    roots: list[RootConfig] = field(default_factory=lambda: [
        RootConfig("${stdlib}", layout="repo", name="python/cpython", license="PSF-2.0"),
        RootConfig("${site_packages}", layout="repos", name="pypi"),
        RootConfig("${node_modules}", layout="repos", name="npm"),
    ])  # fmt: skip
    languages: list[str] | None = None  # null: the paper's 18 languages
    max_files: int | None = 2000
    max_file_bytes: int = 10_000_000
    respect_gitignore: bool = True
    # hub / files sources
    dataset: str | None = None
    split: str = "train"
    data_dir: str | None = None
    text_column: str = "content"
    columns: dict[str, str] | None = None
    limit: int = -1


@dataclass
class HeuristicsConfig:
    enabled: bool = True
    default: dict[str, Any] = field(default_factory=dict)
    per_language: dict[str, dict[str, Any]] | None = None  # null: the built-in per-language overrides


@dataclass
class LicensesConfig:
    """Licence of every file (repository files, package metadata or the dataset column) and an allow list."""

    enabled: bool = False
    allow: list[str] | None = None  # null: the permissive default (as The Stack kept)
    keep_unknown: bool = False
    prefer: str = "column"  # which evidence wins when a dataset column and the repository's files disagree


@dataclass
class SyntaxConfig:
    """Drop files whose tree-sitter parse is mostly errors (Seed-Coder's validity filter)."""

    enabled: bool = False
    max_error_fraction: float = 0.05
    per_language: dict[str, float] | None = None  # null: the block's defaults (C and C++ at 0.25)
    languages: list[str] | None = None  # null: every installed grammar except SQL
    annotate_only: bool = False


@dataclass
class RedactConfig:
    """Replace emails, public IPs, keys and passwords with StarCoder's placeholders (never drops a file)."""

    enabled: bool = False
    kinds: list[str] = field(default_factory=lambda: ["email", "ip_address", "key", "password"])
    options: dict[str, Any] = field(default_factory=dict)  # any other keyword of SecretsRedactor


@dataclass
class DedupConfig:
    exact: bool = True
    near: bool = True
    threshold: float = 0.7
    num_perm: int = 256
    n_grams: int = 5
    verify: bool = True
    layout: str = "auto"  # auto: one_pass (one read, one write) on the local executor, the 4-stage layout elsewhere
    level: str = "file"  # file: files compared one by one (the paper's); repo: whole repositories (the ablation)


@dataclass
class DecontaminationConfig:
    enabled: bool = True
    benchmarks: list[str] = field(default_factory=lambda: ["humaneval"])
    benchmark_dir: str | None = None
    mode: str = "filter"
    options: dict[str, Any] = field(default_factory=dict)  # any other keyword of BenchmarkDecontaminationFilter


@dataclass
class RepoDocumentsConfig:
    group_by: str = "language_repo"
    repo_marker: str = "<repo_name>"
    file_marker: str = "<file_sep>"
    max_chars: int | None = 400_000
    seed: int = 0
    file_order: str = "random"  # random (the paper) or dependency (each file after the files it imports)


@dataclass
class TokenizerConfig:
    enabled: bool = True
    train: bool = True
    path: str | None = None  # an existing tokenizer folder; `train: true` writes OUT/tokenizer instead
    vocab_size: int = 8192
    min_frequency: int = 2
    max_chars: int | None = 20_000_000


@dataclass
class Stage1Config:
    output_dir: str = "outputs/tiny/stage1"
    executor: dict[str, Any] = field(default_factory=lambda: {"type": "local", "tasks": 2, "workers": 2})
    source: SourceConfig = field(default_factory=SourceConfig)
    heuristics: HeuristicsConfig = field(default_factory=HeuristicsConfig)
    licenses: LicensesConfig = field(default_factory=LicensesConfig)
    syntax: SyntaxConfig = field(default_factory=SyntaxConfig)
    redact: RedactConfig = field(default_factory=RedactConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontamination: DecontaminationConfig = field(default_factory=DecontaminationConfig)
    repo_documents: RepoDocumentsConfig = field(default_factory=RepoDocumentsConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)

    def __post_init__(self):
        if self.source.type not in SOURCE_TYPES:
            raise ValueError(f"`source.type` must be one of {', '.join(SOURCE_TYPES)}, got {self.source.type!r}.")
        if self.tokenizer.enabled and not self.tokenizer.train and not self.tokenizer.path:
            raise ValueError("`tokenizer.path` must name a tokenizer folder when `tokenizer.train` is false.")
        if int(self.executor.get("tasks", 1)) < 1:
            raise ValueError(f"`executor.tasks` must be at least 1, got {self.executor.get('tasks')}.")

    @property
    def tasks(self) -> int:
        return int(self.executor.get("tasks", 1))


def _convert(tp, value: Any, where: str):
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ValueError(f"`{where}` must be a mapping, got {type(value).__name__}.")
        return from_dict(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return None if value is None else _convert(args[0], value, where)
    if origin is list:
        if not isinstance(value, list):
            raise ValueError(f"`{where}` must be a list, got {type(value).__name__}.")
        (item,) = typing.get_args(tp)
        return [_convert(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def from_dict(cls, data: dict[str, Any], where: str = ""):
    """Build dataclass `cls` from `data`, recursively; an unknown key raises `ValueError` naming it."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ValueError(f"unknown config key(s) {', '.join(f'`{prefix}{k}`' for k in unknown)}; "
                         f"accepted: {', '.join(sorted(names))}.")  # fmt: skip
    kwargs = {k: _convert(hints[k], v, f"{where}.{k}" if where else k) for k, v in data.items()}
    return cls(**kwargs)


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Stage1Config:
    """Parse a stage-1 YAML (None: the embedded defaults), then apply dotted `overrides` (`dedup.threshold`)."""
    import yaml

    data: dict[str, Any] = {}
    if path is not None:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise ValueError(f"`--config` {path} must hold a YAML mapping.")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return from_dict(Stage1Config, data)


def _node_modules() -> list[str]:
    candidates = [Path.cwd() / "node_modules", Path(sysconfig.get_paths()["data"]) / "lib" / "node_modules",
                  Path("/usr/lib/node_modules"), Path("/usr/local/lib/node_modules")]  # fmt: skip
    return [str(p) for p in candidates if p.is_dir()]


def resolve_roots(roots: list[RootConfig]) -> list[dict[str, Any]]:
    """Expand `${stdlib}`, `${site_packages}`, `${node_modules}` and `~`; a placeholder with no folder here
    (no node_modules on this machine) is left out, a literal path that does not exist is an error."""
    paths = sysconfig.get_paths()
    expansions = {"${stdlib}": [paths["stdlib"]], "${site_packages}": [paths["purelib"]],
                  "${node_modules}": _node_modules()}  # fmt: skip
    resolved = []
    for root in roots:
        targets = expansions.get(root.path, [os.path.expanduser(root.path)])
        if root.path not in expansions and not os.path.isdir(targets[0]):
            raise FileNotFoundError(f"`source.roots` path {root.path} is not a folder.")
        for target in dict.fromkeys(os.path.realpath(t) for t in targets):
            resolved.append({"path": target, "layout": root.layout, "name": root.name, "license": root.license})
    return resolved
