"""The Hub stand-in's storage: repos as lists of commits, file contents as content-addressed objects.

Each commit holds the full file map of its tree (path -> size, sha256, git blob oid, LFS flag), so
any commit can be listed and downloaded. Objects live in `root/objects/<sha256>`; repo metadata in
`root/repos.json`, rewritten atomically after each change, so a restarted stand-in serves what an
earlier run published.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import yaml

# The patterns the Hub's default .gitattributes stores in LFS, plus anything binary or over 10 MB.
LFS_SUFFIXES = (".parquet", ".arrow", ".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".gguf", ".npy", ".npz",
                ".pkl", ".h5", ".onnx", ".msgpack", ".model", ".zst", ".gz", ".zip", ".tar", ".joblib")  # fmt: skip
LFS_MIN_SIZE = 10 * 1024 * 1024
# The Hub's words when a commit names an LFS object that never arrived.
MISSING_LFS_MESSAGE = "Your push was rejected because an LFS pointer pointed to a file that does not exist"
# Front-matter keys the stand-in type-checks the way the Hub's validator does.
_LIST_KEYS = ("tags", "datasets", "language", "task_categories", "configs")
_LICENSES = {"apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0",
             "openrail", "llama3.1", "other", "unknown", "gpl-3.0", "mpl-2.0", "odc-by"}  # fmt: skip


class StoreError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.code = status, code


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


class HubStore:
    def __init__(self, root: Path):
        self.root = root
        (root / "objects").mkdir(parents=True, exist_ok=True)
        self._meta_path = root / "repos.json"
        self._repos: dict[str, Any] = json.loads(self._meta_path.read_text()) if self._meta_path.exists() else {}
        self._lock = threading.Lock()

    # -- objects --------------------------------------------------------------------------------
    def has_object(self, sha256: str, size: int | None = None) -> bool:
        path = self.root / "objects" / sha256
        return path.exists() and (size is None or path.stat().st_size == size)

    def put_object(self, sha256: str, data: bytes) -> None:
        path = self.root / "objects" / sha256
        tmp = path.with_suffix(f".tmp{threading.get_ident()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    # -- repos ----------------------------------------------------------------------------------
    @staticmethod
    def url_prefix(repo_type: str) -> str:
        return "" if repo_type == "model" else f"{repo_type}s/"

    def _save(self) -> None:
        tmp = self._meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._repos))
        os.replace(tmp, self._meta_path)

    def create_repo(self, repo_type: str, repo_id: str, private: bool) -> bool:
        with self._lock:
            key = f"{repo_type}:{repo_id}"
            if key in self._repos:
                return False
            attributes = self._store_bytes(b"*.parquet filter=lfs diff=lfs merge=lfs -text\n", False)
            initial = self._new_commit(None, "initial commit", {".gitattributes": attributes})
            self._repos[key] = {"private": private, "commits": [initial], "refs": {"main": initial["oid"]}}
            self._save()
            return True

    def get_repo(self, repo_type: str, repo_id: str) -> dict[str, Any] | None:
        return self._repos.get(f"{repo_type}:{repo_id}")

    def _commit_at(self, repo_type: str, repo_id: str, revision: str) -> dict[str, Any]:
        repo = self.get_repo(repo_type, repo_id)
        if repo is None:
            raise StoreError(404, "Repository not found", "RepoNotFound")
        target = repo["refs"].get("main" if revision == "HEAD" else revision, revision)
        for commit in reversed(repo["commits"]):
            if commit["oid"] == target or (len(target) >= 7 and commit["oid"].startswith(target)):
                return commit
        raise StoreError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _store_bytes(self, data: bytes, lfs: bool) -> dict[str, Any]:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has_object(sha256, len(data)):
            self.put_object(sha256, data)
        oid = git_blob_oid(_lfs_pointer(sha256, len(data))) if lfs else git_blob_oid(data)
        return {"size": len(data), "sha256": sha256, "git_oid": oid, "lfs": lfs}

    @staticmethod
    def _new_commit(parent: str | None, title: str, files: dict[str, Any], message: str = "") -> dict[str, Any]:
        seed = json.dumps([parent, title, sorted(files.items()), time.time_ns()], default=str).encode()
        return {"oid": hashlib.sha1(seed).hexdigest(), "parent": parent, "title": title, "message": message,
                "date": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), "files": files}  # fmt: skip

    # -- push -----------------------------------------------------------------------------------
    def preupload_mode(self, repo_type, repo_id, revision, path, size, sample: bytes) -> dict[str, Any]:
        lfs = path.endswith(LFS_SUFFIXES) or size >= LFS_MIN_SIZE or b"\0" in sample
        entry = self._commit_at(repo_type, repo_id, revision)["files"].get(path)
        oid = None if entry is None else (entry["sha256"] if entry["lfs"] else entry["git_oid"])
        return {"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid}

    def commit(self, repo_type: str, repo_id: str, revision: str, lines: list[dict[str, Any]]) -> str:
        if not lines or lines[0].get("key") != "header":
            raise StoreError(400, "commit payload must start with a header line")
        header = lines[0]["value"]
        with self._lock:
            repo = self.get_repo(repo_type, repo_id)
            if revision not in repo["refs"]:
                raise StoreError(404, f"Invalid rev id: {revision} is not a branch", "RevisionNotFound")
            head = repo["refs"][revision]
            parent = header.get("parentCommit")
            if parent and not head.startswith(parent):
                raise StoreError(412, "A commit has happened since. Please refresh and try again.")
            files = dict(self._commit_at(repo_type, repo_id, head)["files"])
            missing = []
            for line in lines[1:]:
                key, value = line.get("key"), line.get("value") or {}
                if key == "file":
                    files[value["path"]] = self._store_bytes(base64.b64decode(value["content"]), False)
                elif key == "lfsFile":
                    sha256 = value["oid"]
                    if not self.has_object(sha256):
                        missing.append(value["path"])
                        continue
                    size = (self.root / "objects" / sha256).stat().st_size
                    files[value["path"]] = {"size": size, "sha256": sha256, "lfs": True,
                                            "git_oid": git_blob_oid(_lfs_pointer(sha256, size))}  # fmt: skip
                elif key == "deletedFile":
                    if files.pop(value["path"], None) is None:
                        raise StoreError(404, f"cannot delete {value['path']}: no such file", "EntryNotFound")
                elif key == "deletedFolder":
                    prefix = value["path"].rstrip("/") + "/"
                    files = {p: e for p, e in files.items() if not p.startswith(prefix)}
                else:
                    raise StoreError(400, f"unknown commit operation {key!r}")
            if missing:
                raise StoreError(422, f"{MISSING_LFS_MESSAGE}. Offending file(s): {', '.join(missing)}")
            commit = self._new_commit(head, header.get("summary", ""), files, header.get("description", ""))
            repo["commits"].append(commit)
            repo["refs"][revision] = commit["oid"]
            self._save()
            return commit["oid"]

    def create_branch(self, repo_type: str, repo_id: str, branch: str, start: str | None) -> bool:
        with self._lock:
            repo = self.get_repo(repo_type, repo_id)
            if branch in repo["refs"]:
                return False
            repo["refs"][branch] = self._commit_at(repo_type, repo_id, start or "main")["oid"]
            self._save()
            return True

    # -- pull -----------------------------------------------------------------------------------
    @staticmethod
    def _file_entry(path: str, entry: dict[str, Any]) -> dict[str, Any]:
        out = {"type": "file", "path": path, "size": entry["size"], "oid": entry["git_oid"]}
        if entry["lfs"]:
            pointer_size = len(_lfs_pointer(entry["sha256"], entry["size"]))
            out["lfs"] = {"oid": entry["sha256"], "size": entry["size"], "pointerSize": pointer_size}
        return out

    def repo_info(self, repo_type: str, repo_id: str, revision: str) -> dict[str, Any]:
        repo = self.get_repo(repo_type, repo_id)
        commit = self._commit_at(repo_type, repo_id, revision)
        siblings = [{"rfilename": p, "size": e["size"]} for p, e in sorted(commit["files"].items())]
        return {"id": repo_id, "_id": repo_id, "sha": commit["oid"], "private": repo["private"], "disabled": False,
                "gated": False, "lastModified": commit["date"], "siblings": siblings, "tags": [],
                "downloads": 0, "likes": 0}  # fmt: skip

    def tree(self, repo_type: str, repo_id: str, revision: str, path: str, recursive: bool) -> list[dict]:
        files = self._commit_at(repo_type, repo_id, revision)["files"]
        prefix = f"{path}/" if path else ""
        if path and not any(p.startswith(prefix) for p in files):
            raise StoreError(404, f"{path} does not exist in the repo", "EntryNotFound")
        out, folders = [], set()
        for p, entry in sorted(files.items()):
            if not p.startswith(prefix):
                continue
            rest = p[len(prefix) :].split("/")
            for depth in range(1, len(rest)):
                if not recursive and depth > 1:
                    break
                folders.add(prefix + "/".join(rest[:depth]))
            if recursive or len(rest) == 1:
                out.append(self._file_entry(p, entry))
        for folder in sorted(folders):
            out.append({"type": "directory", "path": folder, "oid": hashlib.sha1(folder.encode()).hexdigest()})
        return out

    def paths_info(self, repo_type: str, repo_id: str, revision: str, paths: list[str]) -> list[dict]:
        files = self._commit_at(repo_type, repo_id, revision)["files"]
        out = []
        for path in paths:
            path = path.strip("/")
            if path in files:
                out.append(self._file_entry(path, files[path]))
            elif any(p.startswith(path + "/") for p in files):
                out.append({"type": "directory", "path": path, "oid": hashlib.sha1(path.encode()).hexdigest()})
        return out

    def commits(self, repo_type: str, repo_id: str, revision: str) -> list[dict]:
        repo = self.get_repo(repo_type, repo_id)
        by_oid = {c["oid"]: c for c in repo["commits"]}
        commit, out = self._commit_at(repo_type, repo_id, revision), []
        while commit is not None:
            out.append({"id": commit["oid"], "title": commit["title"], "message": commit["message"],
                        "authors": [{"user": "standin"}], "date": commit["date"]})  # fmt: skip
            commit = by_oid.get(commit["parent"])
        return out

    def resolve(self, repo_type: str, repo_id: str, revision: str, path: str):
        commit = self._commit_at(repo_type, repo_id, revision)
        entry = commit["files"].get(path)
        if entry is None:
            raise StoreError(404, f"Entry not found: {path}", "EntryNotFound")
        return entry, commit["oid"], self.root / "objects" / entry["sha256"]

    # -- cards ----------------------------------------------------------------------------------
    @staticmethod
    def validate_card(content: str, repo_type: str) -> list[str]:
        """The checks the Hub's `/api/validate-yaml` makes that matter here: parseable YAML, known types."""
        if not content.startswith("---\n"):
            return []  # a card without metadata is valid
        head, sep, _ = content[4:].partition("\n---")
        if not sep:
            return ["front matter is not closed by `---`"]
        try:
            meta = yaml.safe_load(head) or {}
        except yaml.YAMLError as exc:
            return [f"front matter is not valid YAML: {exc}"]
        if not isinstance(meta, dict):
            return ["front matter must be a YAML mapping"]
        problems = [
            f'"{key}" must be an array' for key in _LIST_KEYS if key in meta and not isinstance(meta[key], list)
        ]
        license_ = meta.get("license")
        if license_ is not None and (not isinstance(license_, str) or license_.lower() not in _LICENSES):
            problems.append(f'"license" must be one of the Hub licence ids, got {license_!r}')
        if "base_model" in meta and not isinstance(meta["base_model"], (str, list)):
            problems.append('"base_model" must be a string or an array of strings')
        if repo_type == "model" and "model-index" in meta:
            for entry in meta["model-index"] if isinstance(meta["model-index"], list) else [None]:
                if not isinstance(entry, dict) or not isinstance(entry.get("results"), list):
                    problems.append('"model-index" must be an array of {name, results: [...]}')
        return problems
