"""The demo's config: its steps and publications, parsed strictly, and the placeholders its commands use."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = PROJECT_ROOT / "recipes" / "configs" / "tiny" / "demo.yaml"
PUBLISH_KINDS = ("dataset", "checkpoint", "annotator")


@dataclass
class Step:
    name: str
    title: str
    run: list[str]
    outputs: list[str] = field(default_factory=list)
    config: str | None = None
    command: str | None = None  # a `snowcoder` subcommand the step needs


@dataclass
class Publication:
    name: str
    kind: str
    path: str
    step: str
    lineage: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


@dataclass
class DemoConfig:
    output_dir: str
    steps: list[Step]
    publish: list[Publication] = field(default_factory=list)
    hub_org: str = "snowcoder-demo"
    private: bool = False


def _strict(cls, data: Any, where: str):
    if not isinstance(data, dict):
        raise ValueError(f"`{where}` must be a mapping, got {type(data).__name__}.")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"`{where}` has unknown keys {unknown}; accepted: {sorted(known)}.")
    return cls(**data)


def load_config(path: str | Path | None = None) -> DemoConfig:
    """Parse a demo YAML strictly: an unknown key, a duplicate step or a dangling reference is an error."""
    path = Path(path) if path else DEFAULT_CONFIG
    raw = yaml.safe_load(path.read_text())
    config = _strict(DemoConfig, raw, str(path))
    config.steps = [_strict(Step, s, f"steps[{i}]") for i, s in enumerate(config.steps)]
    config.publish = [_strict(Publication, p, f"publish[{i}]") for i, p in enumerate(config.publish)]
    names = [s.name for s in config.steps]
    if len(set(names)) != len(names) or {"publish", "report"} & set(names):
        raise ValueError(f"`steps` names must be unique and not `publish`/`report`, got {names}.")
    published = set()
    for pub in config.publish:
        if pub.kind not in PUBLISH_KINDS:
            raise ValueError(f"`publish.kind` must be one of {PUBLISH_KINDS}, got {pub.kind!r} for {pub.name}.")
        if pub.step not in names:
            raise ValueError(f"`publish` entry {pub.name} names unknown step {pub.step!r}.")
        missing = [name for name in pub.lineage if name not in published]
        if missing:
            raise ValueError(f"`publish` entry {pub.name} lists lineage {missing} not published before it.")
        published.add(pub.name)
    return config


def expand(value: str, out: Path) -> str:
    """Fill `{out}`, `{python}`, `{snowcoder}` and `{root}` in a command argument or path."""
    snowcoder = str(Path(sys.executable).parent / "snowcoder")
    return value.format(out=out, python=sys.executable, snowcoder=snowcoder, root=PROJECT_ROOT)


def missing_entry_point(step: Step, root: Path = PROJECT_ROOT) -> str | None:
    """Why `step` cannot run here (its recipe script or `snowcoder` subcommand is absent), or None."""
    import importlib.util

    if step.command and importlib.util.find_spec(f"snowcoder_hf.cli.{step.command}") is None:
        return f"`snowcoder {step.command}` is not installed (snowcoder_hf/cli/{step.command}.py is missing)"
    for arg in step.run:
        if arg.startswith(("recipes/", "benchmarks/")) and not (root / arg).exists():
            return f"{arg} is missing"
    return None
