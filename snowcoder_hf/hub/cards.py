"""Model, dataset and annotator cards rendered from the Jinja templates in `model_cards/`.

    from snowcoder_hf.hub.cards import write_card
    write_card("out/alpha", "model", {"title": ..., "summary": ..., "license": "apache-2.0", "tags": [...],
                                      "lineage": [{"role": "dataset", "id": "org/stage1", "revision": "abc123"}],
                                      "command": "accelerate launch ...", "config": yaml_text})

Templates render with `StrictUndefined`, so a misspelled variable fails instead of rendering empty.
A context key this module does not know is an error too. The front matter uses the keys the Hub
validates (license, tags, base_model, base_model_relation, datasets, library_name, model-index):
`datasets` defaults to the lineage's Hub datasets (the Hub links a model to its training data
through it), and `model-index` is built by huggingface_hub's own `ModelCardData`/`EvalResult`, one
result per benchmark carrying every metric. Framework versions are filled in here; machine paths in
the command, config and lineage are rewritten (`snowcoder_hf.hub.portable`, `$OUT` for paths under
`output_root`), and anything that looks like a Hub token is redacted before a card is returned.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
from pathlib import Path
from typing import Any

import yaml

CARD_KINDS = ("model", "dataset", "annotator")
REQUIRED_KEYS = ("title", "summary", "license", "tags", "lineage", "command", "config")
# Optional keys and their defaults; `None` for base_model/tokens/eval_results means "not known".
OPTIONAL_KEYS: dict[str, Any] = {
    "base_model": None,
    "base_model_relation": None,  # adapter | merge | quantized | finetune; models continued from a base: finetune
    "datasets": None,  # None: the lineage's Hub datasets
    "output_root": None,  # the run's output folder: paths under it are written `$OUT/...`
    "counts": [],
    "tokens": None,
    "eval_results": None,
    "extra_sections": [],
    "library_name": None,
    "repo_id": None,
}
_DEFAULT_LIBRARY = {"model": "transformers", "dataset": None, "annotator": "sentence-transformers"}
BASE_MODEL_RELATIONS = ("adapter", "merge", "quantized", "finetune")
TASK_NAMES = {"text-generation": "Text Generation", "text-classification": "Text Classification"}
_LIST_ITEM_KEYS = {
    "lineage": ("role", "id", "revision"),
    "counts": ("block", "in", "kept", "dropped", "reasons"),
    "eval_results": ("task", "metric", "value"),
    "extra_sections": ("title", "body"),
}
FRAMEWORKS = (
    "snowcoder_hf", "huggingface_hub", "datatrove", "datasets", "transformers", "torch", "accelerate", "trl",
    "sentence-transformers", "tokenizers", "lighteval",
)  # fmt: skip
# User access tokens (hf_...), and the value of `--token`/`HF_TOKEN=` wherever it appears in a command.
_TOKEN_PATTERNS = (
    re.compile(r"\bhf_[A-Za-z0-9]{20,}\b"),
    re.compile(r"(?i)(--(?:hub[-_])?token[= ]+|HF_TOKEN=|HUGGING_FACE_HUB_TOKEN=)(\S+)"),
)
REDACTED = "<redacted>"


def template_dir() -> Path:
    """The templates folder: the top-level `model_cards/`, installed as the `snowcoder_hf.model_cards` package data
    so cards render from a wheel install exactly as from a checkout."""
    from importlib.resources import files

    checkout = Path(__file__).resolve().parents[2] / "model_cards"
    if (checkout / "model.md.jinja").is_file():  # running from a source tree: its own templates, not an install's
        return checkout
    path = Path(str(files("snowcoder_hf.model_cards")))
    if not path.is_dir():
        raise FileNotFoundError(f"card templates not found at {path}: reinstall snowcoder_hf.")
    return path


def redact_tokens(text: str) -> str:
    """Replace anything that looks like a Hub token with `<redacted>`."""
    text = _TOKEN_PATTERNS[0].sub(REDACTED, text)
    return _TOKEN_PATTERNS[1].sub(lambda m: m.group(1) + REDACTED, text)


def framework_versions() -> list[dict[str, str]]:
    """Installed versions of the libraries that shape an artifact, read from package metadata (no imports)."""
    versions = [{"name": "python", "version": platform.python_version()}]
    for name in FRAMEWORKS:
        try:
            versions.append({"name": name, "version": importlib.metadata.version(name)})
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed in this environment, so it shaped nothing
    return versions


def _check_context(kind: str, context: dict[str, Any]) -> dict[str, Any]:
    if kind not in CARD_KINDS:
        raise ValueError(f"`kind` must be one of {', '.join(CARD_KINDS)}, got {kind!r}.")
    missing = [key for key in REQUIRED_KEYS if key not in context]
    if missing:
        raise ValueError(f"card context is missing {', '.join(f'`{k}`' for k in missing)}; required: {REQUIRED_KEYS}.")
    unknown = sorted(set(context) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        known = ", ".join((*REQUIRED_KEYS, *OPTIONAL_KEYS))
        raise ValueError(f"card context has unknown keys {unknown}; accepted keys: {known}.")
    full = {**OPTIONAL_KEYS, **context}
    for key in ("title", "summary", "license", "command", "config"):
        if not isinstance(full[key], str):
            raise ValueError(f"`{key}` must be a string, got {type(full[key]).__name__}.")
    if not isinstance(full["tags"], list) or not all(isinstance(t, str) for t in full["tags"]):
        raise ValueError("`tags` must be a list of strings.")
    for key, fields in _LIST_ITEM_KEYS.items():
        items = full[key] or []
        if not isinstance(items, list):
            raise ValueError(f"`{key}` must be a list of dicts with keys {fields}.")
        for item in items:
            if not isinstance(item, dict) or any(f not in item for f in fields):
                raise ValueError(f"every `{key}` item must be a dict with keys {fields}, got {item!r}.")
    if full["library_name"] is None:
        full["library_name"] = _DEFAULT_LIBRARY[kind]
    relation = full["base_model_relation"]
    if relation is not None and relation not in BASE_MODEL_RELATIONS:
        raise ValueError(f"`base_model_relation` must be one of {', '.join(BASE_MODEL_RELATIONS)}, got {relation!r}.")
    if relation is None and kind == "model" and full["base_model"]:
        full["base_model_relation"] = "finetune"  # continued pretraining: the Hub's model tree lists it as a finetune
    if full["datasets"] is None:
        full["datasets"] = [
            item["id"] for item in full["lineage"] if item["role"] == "dataset" and is_hub_id(item["id"])
        ]
    return _portable(full)


def is_hub_id(name: str) -> bool:
    """`namespace/name` as the Hub spells repo ids (a local path or a bare name is not one)."""
    return bool(re.fullmatch(r"[\w.-]+/[\w.-]+", name or "")) and not name.startswith(".") and not Path(name).exists()


def _portable(ctx: dict[str, Any]) -> dict[str, Any]:
    """The command, config and lineage ids without the publishing machine's paths."""
    from snowcoder_hf.hub.portable import portable_command, portable_text

    root = ctx["output_root"]
    return {**ctx, "command": portable_command(ctx["command"], root), "config": portable_text(ctx["config"], root),
            "lineage": [{**item, "id": portable_text(str(item["id"]), root)} for item in ctx["lineage"]],
            "extra_sections": [{**s, "body": portable_text(s["body"], root)} for s in ctx["extra_sections"] or []]}  # fmt: skip


def model_index(title: str, pipeline_tag: str, eval_results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `model-index` of `eval_results` ({task, metric, value}), as huggingface_hub builds it: one result per
    benchmark with all of its metrics."""
    from huggingface_hub import EvalResult, ModelCardData

    results = [EvalResult(task_type=pipeline_tag, task_name=TASK_NAMES.get(pipeline_tag, pipeline_tag),
                          dataset_type=r["task"], dataset_name=r["task"], metric_type=r["metric"],
                          metric_name=r["metric"], metric_value=float(r["value"])) for r in eval_results]  # fmt: skip
    return ModelCardData(model_name=title, eval_results=results).to_dict()["model-index"]


def _front_matter(kind: str, ctx: dict[str, Any]) -> str:
    meta: dict[str, Any] = {"license": ctx["license"], "tags": list(ctx["tags"])}
    if ctx["library_name"]:
        meta["library_name"] = ctx["library_name"]
    if ctx["base_model"] and kind != "dataset":
        meta["base_model"] = ctx["base_model"]
        if ctx["base_model_relation"]:
            meta["base_model_relation"] = ctx["base_model_relation"]
    if ctx["datasets"] and kind != "dataset":
        meta["datasets"] = list(ctx["datasets"])
    if kind == "dataset":
        meta["pretty_name"] = ctx["title"]
        meta["task_categories"] = ["text-generation"]
        meta["configs"] = [{"config_name": "default", "data_files": [{"split": "train", "path": "data/*.parquet"}]}]
    else:
        meta["pipeline_tag"] = "text-generation" if kind == "model" else "text-classification"
        if ctx["eval_results"]:
            meta["model-index"] = model_index(ctx["title"], meta["pipeline_tag"], ctx["eval_results"])
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).rstrip("\n")


def render_card(kind: str, context: dict[str, Any]) -> str:
    """Render the `kind` card ("model", "dataset" or "annotator") from `context`; see the module docstring."""
    import jinja2

    ctx = _check_context(kind, context)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # markdown, not HTML
    )
    template = env.get_template(f"{kind}.md.jinja")
    text = template.render(**ctx, front_matter=_front_matter(kind, ctx), frameworks=framework_versions())
    return redact_tokens(text.rstrip("\n") + "\n")


def split_front_matter(card: str) -> tuple[dict[str, Any], str]:
    """Parse a card into its YAML front matter and its markdown body."""
    if not card.startswith("---\n"):
        raise ValueError("a card must start with `---` YAML front matter.")
    head, sep, body = card[4:].partition("\n---\n")
    if not sep:
        raise ValueError("the card's front matter is not closed by `---`.")
    meta = yaml.safe_load(head) or {}
    if not isinstance(meta, dict):
        raise ValueError("the card's front matter must be a YAML mapping.")
    return meta, body


def write_card(folder: str | Path, kind: str, context: dict[str, Any]) -> Path:
    """Render the card and write it to `folder/README.md`; returns the path."""
    path = Path(folder) / "README.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_card(kind, context), encoding="utf-8")
    return path
