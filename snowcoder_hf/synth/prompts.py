"""The prompt templates, shipped as package data (`prompts/*.txt`, `prompts/*_axes.yaml`).

Templates use `string.Template` (`$name`), so braces in seed code need no escaping. Every template's
exact text goes into the run's fingerprint: editing a prompt starts a new run instead of mixing.
"""

from __future__ import annotations

import functools
from importlib import resources
from string import Template

import yaml

PROMPT_KINDS = ("oss_instruct", "textbook", "exercises")

# Markdown fence tags that instruct models recognise, by language.
FENCE_TAGS = {
    "Python": "python", "JavaScript": "javascript", "TypeScript": "typescript", "Java": "java", "C++": "cpp",
    "C": "c", "C#": "csharp", "Go": "go", "Rust": "rust", "Ruby": "ruby", "PHP": "php", "Scala": "scala",
    "Kotlin": "kotlin", "Shell": "bash", "Dart": "dart", "Swift": "swift", "SQL": "sql",
}  # fmt: skip


def fence_tag(language: str) -> str:
    return FENCE_TAGS.get(language, language.lower().replace(" ", ""))


@functools.cache
def template_text(name: str) -> str:
    """The text of `prompts/<name>.txt`."""
    path = resources.files("snowcoder_hf.synth").joinpath(f"prompts/{name}.txt")
    if not path.is_file():
        raise ValueError(f"`prompt` must name a file in snowcoder_hf/synth/prompts, got {name!r}.")
    return path.read_text(encoding="utf-8")


@functools.cache
def axes(name: str) -> dict[str, list[str]]:
    """The diversity lists of `prompts/<name>_axes.yaml`."""
    path = resources.files("snowcoder_hf.synth").joinpath(f"prompts/{name}_axes.yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """Fill a template; a missing value raises instead of leaving `$name` in a prompt."""
    return Template(template_text(name)).substitute(**values)
