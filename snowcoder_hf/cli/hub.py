"""`snowcoder hub`: push stage datasets, checkpoints and annotators with cards, pull them back, or serve a stand-in."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

KINDS = ("dataset", "checkpoint", "annotator")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "hub",
        help="Publish datasets, checkpoints and annotators to the Hub with cards; pull them by revision.",
        description=(
            "Push a stage's output with its card, pull a published artifact at a pinned revision, or serve a "
            "local Hub stand-in. The token comes from --token, HF_TOKEN or the saved login and is never printed."
        ),
    )
    actions = parser.add_subparsers(dest="hub_action", metavar="ACTION", required=True)
    push = actions.add_parser("push", help="Push a folder as a dataset, checkpoint or annotator repo.")
    push.add_argument("kind", choices=KINDS)
    push.add_argument("folder", help="DataTrove output folder (dataset) or save_pretrained folder.")
    push.add_argument("repo_id", help="Target repo, `org/name`.")
    push.add_argument("--card-context", help="YAML file with the card's context (title, summary, lineage, ...).")
    push.add_argument("--config", help="The config file the artifact was made with; recorded in the card.")
    push.add_argument("--private", action="store_true", help="Create the repo private.")
    push.add_argument("--revision", help="Branch to push a checkpoint or annotator to (default main).")
    pull = actions.add_parser("pull", help="Download a published artifact at a revision.")
    pull.add_argument("repo_id")
    pull.add_argument("--repo-type", choices=("model", "dataset"), default="model")
    pull.add_argument("--revision", help="Commit sha, branch or tag (default main).")
    pull.add_argument("--local-dir", help="Where to put the files (default: the Hub cache).")
    serve = actions.add_parser("serve", help="Serve the local Hub stand-in (for offline runs and tests).")
    serve.add_argument("--root", required=True, help="Folder for the stand-in's repos and objects.")
    serve.add_argument("--port", type=int, default=8765)
    for sub in (push, pull):
        sub.add_argument("--endpoint", help="Hub URL, e.g. a stand-in's http://127.0.0.1:8765 (default HF_ENDPOINT).")
        sub.add_argument("--token", help="Hub token (default: HF_TOKEN or the saved login).")
    parser.set_defaults(func=handle)


def _card_context(args: argparse.Namespace) -> dict:
    import yaml

    context = {}
    if args.card_context:
        context = yaml.safe_load(Path(args.card_context).read_text()) or {}
        if not isinstance(context, dict):
            raise ValueError(f"`--card-context` {args.card_context} must hold a YAML mapping.")
    context.setdefault("title", args.repo_id.split("/")[-1])
    context.setdefault("summary", f"A snowcoder_hf {args.kind}.")
    context.setdefault("license", "apache-2.0")
    context.setdefault("tags", ["code", "arctic-snowcoder", "snowcoder_hf"])
    context.setdefault("lineage", [])
    context.setdefault("command", shlex.join(["snowcoder", *sys.argv[1:]]))  # cards.py redacts tokens
    context.setdefault("config", Path(args.config).read_text() if args.config else "# no config file\n")
    return context


def handle(args: argparse.Namespace) -> int:
    import contextlib

    from rich.console import Console

    from snowcoder_hf.hub import client as hub

    console = Console()
    if args.hub_action == "serve":
        from snowcoder_hf.standins.hub_server import main as serve_main

        console.print(f"Hub stand-in on http://127.0.0.1:{args.port} (root {args.root}); Ctrl-C stops it.")
        return serve_main(["--root", args.root, "--port", str(args.port)])
    endpoint = hub.hub_endpoint(args.endpoint) if args.endpoint else contextlib.nullcontext()
    with endpoint:
        if args.hub_action == "pull":
            path = hub.pull(args.repo_id, repo_type=args.repo_type, revision=args.revision,
                            local_dir=args.local_dir, token=args.token)  # fmt: skip
            console.print(f"[bold]{args.repo_id}[/] ({args.repo_type}, {args.revision or 'main'}) -> {path}")
            return 0
        context = _card_context(args)
        if args.kind == "dataset":
            sha = hub.push_dataset(args.folder, args.repo_id, card_context=context, private=args.private,
                                   token=args.token)  # fmt: skip
        elif args.kind == "checkpoint":
            sha = hub.push_checkpoint(args.folder, args.repo_id, card_context=context, private=args.private,
                                      token=args.token, revision=args.revision)  # fmt: skip
        else:
            sha = hub.push_annotator(args.folder, args.repo_id, card_context=context, private=args.private,
                                     token=args.token, revision=args.revision)  # fmt: skip
    console.print(f"Published {args.kind} [bold]{args.repo_id}[/] at revision {sha}")
    return 0
