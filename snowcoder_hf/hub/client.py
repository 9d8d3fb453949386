"""The only module that talks to the Hub: push stage datasets, checkpoints and annotators with cards; pull them back.

    from snowcoder_hf.hub import client as hub
    sha = hub.push_dataset("out/stage1/files", "org/snowcoder-stage1", card_context=context)
    folder = hub.pull("org/snowcoder-stage1", repo_type="dataset", revision=sha)

Pushes mirror a local folder into a repo and are idempotent: the local files are hashed and compared
with the remote's blob ids and LFS oids, and only what changed is committed, so an unchanged folder
makes no commit at all. Large pushes go in chunks of files, one commit each; a push that dies halfway
resumes on rerun, because committed files compare equal and uploaded-but-uncommitted LFS objects are
skipped by the LFS batch API. 429s, 5xx, commit conflicts (a `parentCommit` that moved) and dropped
uploads are retried with bounded exponential backoff. The token comes from the standard sources
(`token=`, `HF_TOKEN`, the saved login) and is never printed, logged or written to a card.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from snowcoder_hf.hub.cards import write_card

logger = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 409, 412, 423, 429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 16.0
FILES_PER_COMMIT = 64
REPO_TYPES = ("model", "dataset")
# Training-resume state that a published checkpoint does not need.
CHECKPOINT_IGNORE = ("optimizer.pt", "scheduler.pt", "rng_state", "training_args.bin", "checkpoint-", "runs/")
_MISSING_LFS = "pointed to a file that does not exist"


def _retryable(exc: BaseException) -> bool:
    """A transient failure: 429/5xx/conflict, a dropped connection, or a commit naming a lost LFS upload."""
    from huggingface_hub.errors import HfHubHTTPError

    transport_errors = [ConnectionError]
    for module in ("httpx2", "httpx"):  # huggingface_hub 2.x speaks httpx2; datasets and others may use httpx
        with contextlib.suppress(ImportError):
            transport_errors.append(__import__(module).TransportError)

    while exc is not None:
        if isinstance(exc, HfHubHTTPError) and exc.response is not None:
            status = exc.response.status_code
            if status in RETRY_STATUSES or _MISSING_LFS in str(exc) or _MISSING_LFS in exc.response.text:
                return True
            # An LFS verify that finds no object means the upload was dropped on the way.
            return status == 404 and exc.response.request.url.path.endswith("/verify")
        if isinstance(exc, tuple(transport_errors)):
            return True
        exc = exc.__cause__
    return False


def with_retries(action: Callable[[], T], what: str) -> T:
    """Run `action`, retrying transient Hub failures at most `MAX_ATTEMPTS` times with exponential backoff."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return action()
        except Exception as exc:
            if attempt == MAX_ATTEMPTS or not _retryable(exc):
                raise
            wait = min(BACKOFF_BASE_S * 2 ** (attempt - 1), BACKOFF_MAX_S)
            logger.warning("%s failed (%s); retry %d/%d in %.1fs", what, type(exc).__name__, attempt,
                           MAX_ATTEMPTS - 1, wait)  # fmt: skip
            time.sleep(wait)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def hub_endpoint(url: str) -> Iterator[None]:
    """Point huggingface_hub (and `datasets`, if imported) at `url`, online and without Xet, for this block.

    huggingface_hub reads `HF_ENDPOINT`, `HF_HUB_OFFLINE` and `HF_HUB_DISABLE_XET` once at import, so
    setting the environment is not enough in a process that already imported it; this patches both.
    """
    from huggingface_hub import constants, hf_api

    url = url.rstrip("/")
    env = {"HF_ENDPOINT": url, "HF_HUB_DISABLE_XET": "1", "HF_HUB_OFFLINE": "0", "HF_DATASETS_OFFLINE": "0"}
    patches = [(constants, "ENDPOINT", url), (constants, "HF_HUB_OFFLINE", False),
               (constants, "HF_HUB_DISABLE_XET", True),
               (constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"),
               (hf_api.api, "endpoint", url)]  # the module-level `create_repo`, `create_commit`, ... share it  # fmt: skip
    if "datasets" in sys.modules:
        from datasets import config

        patches += [(config, "HF_ENDPOINT", url), (config, "HF_HUB_OFFLINE", False),
                    (config, "HF_DATASETS_OFFLINE", False),
                    (config, "HUB_DATASETS_URL", url + "/datasets/{repo_id}/resolve/{revision}/{path}")]  # fmt: skip
    saved_env = {key: os.environ.get(key) for key in env}
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    os.environ.update(env)
    for obj, name, value in patches:
        setattr(obj, name, value)
    try:
        yield
    finally:
        for obj, name, value in saved:
            setattr(obj, name, value)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _api(token: str | None):
    from huggingface_hub import HfApi

    return HfApi(token=token)


def _git_blob_oid(path: Path) -> str:
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _local_files(folder: Path, ignore: tuple[str, ...] = ()) -> dict[str, Path]:
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or rel.startswith((".git/", ".cache/")) or any(p in rel for p in ignore):
            continue
        files[rel] = path
    return files


def _remote_files(api, repo_id: str, repo_type: str, revision: str | None) -> dict[str, Any]:
    from huggingface_hub import RepoFile

    def listing():
        return list(api.list_repo_tree(repo_id, repo_type=repo_type, revision=revision, recursive=True))

    return {f.path: f for f in with_retries(listing, f"listing {repo_id}") if isinstance(f, RepoFile)}


def _unchanged(local: Path, remote) -> bool:
    if remote.size != local.stat().st_size:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == _sha256(local)
    return remote.blob_id == _git_blob_oid(local)


def push_folder(folder: str | Path, repo_id: str, *, repo_type: str = "model", private: bool = False,
                token: str | None = None, revision: str | None = None, commit_message: str | None = None,
                ignore: tuple[str, ...] = (), files_per_commit: int = FILES_PER_COMMIT) -> str:  # fmt: skip
    """Make `repo_id` (at branch `revision`, default main) mirror `folder`; return the head commit sha.

    Only files whose hash differs from the remote's are uploaded; remote files absent locally are
    deleted (except `.gitattributes`). Nothing changed means no commit.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    folder = Path(folder)
    if repo_type not in REPO_TYPES:
        raise ValueError(f"`repo_type` must be one of {', '.join(REPO_TYPES)}, got {repo_type!r}.")
    if not folder.is_dir():
        raise FileNotFoundError(f"`folder` {folder} is not a directory.")
    if files_per_commit < 1:
        raise ValueError(f"`files_per_commit` must be at least 1, got {files_per_commit}.")
    api = _api(token)
    with_retries(lambda: api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True),
                 f"creating {repo_id}")  # fmt: skip
    if revision not in (None, "main"):
        with_retries(lambda: api.create_branch(repo_id, repo_type=repo_type, branch=revision, exist_ok=True),
                     f"creating branch {revision}")  # fmt: skip
    local = _local_files(folder, ignore)
    if not local:
        raise ValueError(f"`folder` {folder} holds no files to push.")
    remote = _remote_files(api, repo_id, repo_type, revision)
    changed = [path for path in local if path not in remote or not _unchanged(local[path], remote[path])]
    stale = sorted(set(remote) - set(local) - {".gitattributes"})
    if not changed and not stale:
        logger.info("%s is up to date: nothing to commit", repo_id)
        return with_retries(lambda: api.repo_info(repo_id, repo_type=repo_type, revision=revision).sha,
                            f"reading {repo_id}")  # fmt: skip
    chunks = [changed[i : i + files_per_commit] for i in range(0, len(changed), files_per_commit)] or [[]]
    message = commit_message or f"Upload {folder.name} with snowcoder_hf"
    sha = None
    for number, chunk in enumerate(chunks, 1):
        deletes = stale if number == len(chunks) else []

        def commit(chunk=chunk, deletes=deletes, number=number):
            head = api.repo_info(repo_id, repo_type=repo_type, revision=revision).sha
            operations = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(local[p])) for p in chunk]
            operations += [CommitOperationDelete(path_in_repo=p) for p in deletes]
            suffix = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
            return api.create_commit(repo_id, operations, commit_message=message + suffix, repo_type=repo_type,
                                     revision=revision, parent_commit=head).oid  # fmt: skip

        sha = with_retries(commit, f"commit {number}/{len(chunks)} to {repo_id}")
        logger.info("%s: committed %d files (%d/%d)", repo_id, len(chunk), number, len(chunks))
    return sha


def _card_context(card_context: dict[str, Any], repo_id: str) -> dict[str, Any]:
    return {**card_context, "repo_id": card_context.get("repo_id") or repo_id}


def push_dataset(folder, repo_id: str, *, card_context: dict[str, Any], private: bool = False,
                 token: str | None = None, extra_files: tuple[str | Path, ...] = ()) -> str:  # fmt: skip
    """Push a stage dataset as `data/train-*.parquet` shards with a dataset card; returns the revision sha.

    `folder` is a DataTrove output folder (jsonl.gz/jsonl/parquet shards) or a `datasets.Dataset`.
    `extra_files` (a report, `summary.json`, plots) are published beside the data.
    """
    from snowcoder_hf.hub.parquet import convert_to_parquet

    with tempfile.TemporaryDirectory(prefix="snowcoder-push-") as staging:
        if hasattr(folder, "to_parquet"):  # a datasets.Dataset
            shards = max(1, len(folder) // 100_000)
            (Path(staging) / "data").mkdir()
            for index in range(shards):
                part = folder.shard(shards, index, contiguous=True)
                part.to_parquet(str(Path(staging) / "data" / f"train-{index:05d}-of-{shards:05d}.parquet"))
        else:
            convert_to_parquet(folder, staging)
        for extra in extra_files:
            shutil.copy2(extra, Path(staging) / Path(extra).name)
        write_card(staging, "dataset", _card_context(card_context, repo_id))
        return push_folder(staging, repo_id, repo_type="dataset", private=private, token=token,
                           commit_message="Publish stage dataset")  # fmt: skip


def _stage_with_card(folder: Path, kind: str, card_context: dict[str, Any], repo_id: str, staging: str,
                     ignore: tuple[str, ...]) -> Path:  # fmt: skip
    """Link the folder's files into `staging` (no copy of the weights) and write the card there."""
    for rel, path in _local_files(folder, ignore).items():
        target = Path(staging) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)  # another filesystem
    (Path(staging) / "README.md").unlink(missing_ok=True)  # a Trainer's auto-card is replaced by ours
    write_card(staging, kind, _card_context(card_context, repo_id))
    return Path(staging)


def push_checkpoint(folder: str | Path, repo_id: str, *, card_context: dict[str, Any], private: bool = False,
                    token: str | None = None, revision: str | None = None) -> str:  # fmt: skip
    """Push a `save_pretrained` folder with its tokenizer and a model card; returns the revision sha.

    Optimizer, scheduler and RNG state and intermediate `checkpoint-*` folders are not published.
    """
    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise ValueError(f"`folder` {folder} is not a save_pretrained checkpoint: it has no config.json.")
    if not any((folder / name).exists() for name in ("tokenizer.json", "tokenizer_config.json")):
        raise ValueError(f"`folder` {folder} has no tokenizer: save the tokenizer with the model.")
    with tempfile.TemporaryDirectory(prefix="snowcoder-push-") as staging:
        _stage_with_card(folder, "model", card_context, repo_id, staging, CHECKPOINT_IGNORE)
        return push_folder(staging, repo_id, repo_type="model", private=private, token=token, revision=revision,
                           commit_message="Publish checkpoint")  # fmt: skip


def push_annotator(folder: str | Path, repo_id: str, *, card_context: dict[str, Any], private: bool = False,
                   token: str | None = None, revision: str | None = None) -> str:  # fmt: skip
    """Push a trained quality annotator (encoder reference + head) with an annotator card."""
    folder = Path(folder)
    if not folder.is_dir() or not any(folder.iterdir()):
        raise FileNotFoundError(f"`folder` {folder} is not an annotator folder (missing or empty).")
    with tempfile.TemporaryDirectory(prefix="snowcoder-push-") as staging:
        _stage_with_card(folder, "annotator", card_context, repo_id, staging, ())
        return push_folder(staging, repo_id, repo_type="model", private=private, token=token, revision=revision,
                           commit_message="Publish quality annotator")  # fmt: skip


def pull(repo_id: str, *, repo_type: str, revision: str | None = None, local_dir: str | Path | None = None,
         token: str | None = None) -> Path:  # fmt: skip
    """Download a published artifact at `revision` (a commit sha pins it) and return its local folder."""
    from huggingface_hub import snapshot_download

    if repo_type not in REPO_TYPES:
        raise ValueError(f"`repo_type` must be one of {', '.join(REPO_TYPES)}, got {repo_type!r}.")
    path = with_retries(lambda: snapshot_download(repo_id, repo_type=repo_type, revision=revision,
                                                  local_dir=local_dir, token=token), f"pulling {repo_id}")  # fmt: skip
    return Path(path)


def commit_count(repo_id: str, *, repo_type: str = "model", token: str | None = None) -> int:
    """How many commits the default branch holds (used to show that a re-push committed nothing)."""
    return len(with_retries(lambda: _api(token).list_repo_commits(repo_id, repo_type=repo_type), "listing commits"))
