"""The demo's publish step: every dataset, annotator and checkpoint to the Hub, each card pinning its inputs.

Without `hub_org` the demo starts the local Hub stand-in on `OUT/hub` (stopped when publishing ends;
`snowcoder hub serve --root OUT/hub` serves it again). With `hub_org` it publishes to the real Hub with
the token from the standard sources. Pushes are idempotent, so a rerun publishes nothing new.
`OUT/published.json` lists what was published: repo ids, revisions and links.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

TAGS = ["code", "arctic-snowcoder", "snowcoder_hf", "demo"]
STANDIN_PORT = 8765  # `snowcoder hub serve`'s default


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def eval_results_for(out: Path, checkpoint: str) -> list[dict[str, Any]] | None:
    """Every metric the eval step computed for one checkpoint, in the cards' `{task, metric, value}` shape."""
    from snowcoder_hf.eval.report import card_metrics

    return card_metrics(_read_json(out / "eval" / "summary.json").get(checkpoint) or {}) or None


def eval_pass_at_1(out: Path) -> dict[str, dict[str, float]]:
    """`{checkpoint: {task: pass@1}}` from the eval step's `summary.json` (recipes/evaluate.py's layout:
    `{checkpoint: {task: {"pass@1": value, ...}}}`)."""
    summaries = _read_json(out / "eval" / "summary.json")
    return {
        name: {task: float(entry["pass@1"]) for task, entry in tasks.items()
               if isinstance(entry, dict) and isinstance(entry.get("pass@1"), (int, float))}
        for name, tasks in summaries.items() if isinstance(tasks, dict)
    }  # fmt: skip


def annotator_metrics(folder: Path) -> dict[str, Any]:
    return _read_json(folder / "annotator.json").get("metrics") or {}


def card_context(pub, config, out: Path, markers, lineage: list[dict[str, str]]) -> dict[str, Any]:
    from snowcoder_hf.demo.config import expand

    step = next(s for s in config.steps if s.name == pub.step)
    record = markers.read(step.name) or {}
    config_text = "# no config file\n"
    if step.config:
        from snowcoder_hf.demo.config import PROJECT_ROOT

        path = PROJECT_ROOT / step.config
        config_text = path.read_text() if path.exists() else f"# {step.config} (not found)\n"
    context: dict[str, Any] = {
        "title": f"snowcoder demo: {pub.name}",
        "summary": f"{step.title}. Produced by `snowcoder demo` at tiny scale; the lineage pins every input.",
        "license": "apache-2.0",
        "tags": TAGS,
        "lineage": lineage,
        "command": record.get("command") or " ".join(expand(a, out) for a in step.run),
        "config": config_text,
        "output_root": str(out),  # the card writes paths under it as $OUT/..., and no other machine path
    }
    if pub.kind == "dataset":
        summary = _read_json(out / "stage1" / "summary.json") if pub.step == "stage1_data" else {}
        context["counts"] = summary.get("counts") or []
        context["tokens"] = summary.get("tokens")
    elif pub.kind == "checkpoint":
        context["eval_results"] = eval_results_for(out, pub.name)
        base = next((item for item in lineage if item["role"] == "base model"), None)
        context["base_model"] = base["id"] if base else None
    else:
        metrics = annotator_metrics(Path(expand(pub.path, out)))
        context["eval_results"] = [{"task": b, "metric": "roc_auc", "value": v}
                                   for b, v in (metrics.get("roc_auc") or {}).items()] or None  # fmt: skip
    return context


def _role(kind: str, child_kind: str) -> str:
    if kind == "checkpoint" and child_kind == "checkpoint":
        return "base model"
    return {"dataset": "dataset", "annotator": "annotator", "checkpoint": "model"}[kind]


@contextlib.contextmanager
def _hub(out: Path, hub_org: str | None):
    """Yield `(endpoint, org)`: the real Hub when `hub_org` is given, else a stand-in started here."""
    from snowcoder_hf.hub import client as hub

    if hub_org:
        from huggingface_hub import constants, get_token

        if get_token() is None:
            raise ValueError("`--hub-org` needs a Hub token: set HF_TOKEN or run `hf auth login`.")
        yield constants.ENDPOINT, hub_org
        return
    import socket

    from snowcoder_hf.standins.hub_server import StandinServer

    port = STANDIN_PORT  # a fixed port keeps the report's links valid when `snowcoder hub serve` reopens the store
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            port = 0  # taken: any free port
    with StandinServer(out / "hub", port=port) as url, hub.hub_endpoint(url):
        yield url, None


def publish_all(config, out: Path, markers, *, hub_org: str | None = None,
                on_status: Callable[[str], None] = lambda line: None) -> list[dict[str, Any]]:  # fmt: skip
    from snowcoder_hf.demo.config import expand
    from snowcoder_hf.hub import client as hub

    published: dict[str, dict[str, Any]] = {}
    with _hub(out, hub_org) as (endpoint, org):
        org = org or config.hub_org
        for pub in config.publish:
            path = Path(expand(pub.path, out))
            repo_id = f"{org}/snowcoder-demo-{pub.name}"
            lineage = [{"role": _role(published[n]["kind"], pub.kind), "id": published[n]["repo_id"],
                        "revision": published[n]["revision"]} for n in pub.lineage]  # fmt: skip
            context = card_context(pub, config, out, markers, lineage)
            on_status(f"{pub.kind} {repo_id}")
            if pub.kind == "dataset":
                extra = tuple(p for p in (Path(expand(e, out)) for e in pub.extra) if p.exists())
                sha = hub.push_dataset(path, repo_id, card_context=context, private=config.private, extra_files=extra)
            elif pub.kind == "checkpoint":
                sha = hub.push_checkpoint(path, repo_id, card_context=context, private=config.private)
            else:
                sha = hub.push_annotator(path, repo_id, card_context=context, private=config.private)
            prefix = "datasets/" if pub.kind == "dataset" else ""
            published[pub.name] = {"name": pub.name, "kind": pub.kind, "repo_id": repo_id, "revision": sha,
                                   "url": f"{endpoint}/{prefix}{repo_id}/tree/{sha}",
                                   "repo_type": "dataset" if pub.kind == "dataset" else "model"}  # fmt: skip
    rows = list(published.values())
    (out / "published.json").write_text(json.dumps({"endpoint": endpoint, "artifacts": rows}, indent=2))
    markers.mark("publish", {"artifacts": len(rows), "endpoint": endpoint})
    return rows


def mixture_sources(out: Path) -> list[dict[str, Any]]:
    path = out / "stage3" / "mixture.yaml"
    if not path.exists():
        return []
    return (yaml.safe_load(path.read_text()) or {}).get("sources") or []
