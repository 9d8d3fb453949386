"""A local stand-in for the Hugging Face Hub: the endpoints huggingface_hub 2.x calls to push and pull.

It lets the tests and `snowcoder demo` publish without a network. Point a client at it with
`HF_ENDPOINT=http://127.0.0.1:PORT HF_HUB_DISABLE_XET=1` (or `client_env(url)` in-process). It speaks
create_repo, repo/revision info, preupload, the git-LFS batch API with upload and verify, NDJSON
commits (with `parentCommit` conflicts), tree and paths-info listings, commit lists, resolve/download
with ranges, and YAML validation. State persists under `root/` so a rerun finds what it published.

For failure tests, POST `/_standin/faults` with `{"method": "PUT", "path": "regex", "status": 500,
"times": 2}`; `"status": "lose"` answers an LFS upload 200 and stores nothing (a dropped upload); `"garbage"`
answers 200 with an HTML body; `"after": k` lets the first k matching requests through.
`/_standin/requests` lists every request seen.
"""

import argparse
import base64
import hashlib
import json
import re
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from snowcoder_hf.standins.hub_store import HubStore, StoreError


def create_app(root: str | Path, token: str | None = None):
    """The FastAPI app serving a store under `root`. With `token`, writes need `Authorization: Bearer token`."""
    from fastapi import FastAPI, Request, Response
    from fastapi.responses import JSONResponse

    store = HubStore(Path(root))
    app = FastAPI(title="snowcoder Hub stand-in")
    faults: list[dict[str, Any]] = []
    requests_seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    def error(status: int, message: str, code: str | None = None) -> Response:
        headers = {"X-Error-Code": code, "X-Error-Message": message} if code else {"X-Error-Message": message}
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    def authorized(request: Request) -> bool:
        return token is None or request.headers.get("authorization") == f"Bearer {token}"

    @app.middleware("http")
    async def faults_and_log(request: Request, call_next):
        path = request.url.path
        requests_seen.append({"method": request.method, "path": path})
        if not path.startswith("/_standin"):
            with lock:
                for fault in faults:
                    if fault["times"] < 1 or fault["method"] not in (request.method, "*"):
                        continue
                    if not re.search(fault["path"], path):
                        continue
                    if fault["after"] > 0:  # let the first `after` matching requests through
                        fault["after"] -= 1
                        continue
                    fault["times"] -= 1
                    if fault["status"] == "lose":
                        await request.body()  # take the upload and drop it on the floor
                        return Response(status_code=200)
                    if fault["status"] == "garbage":
                        return Response(content=b"<html>502 Bad Gateway</html>", status_code=200)
                    return error(int(fault["status"]), "injected fault")
        return await call_next(request)

    @app.post("/_standin/faults")
    async def add_fault(request: Request):
        fault = await request.json()
        with lock:
            faults.append({"method": fault.get("method", "*"), "path": fault["path"], "status": fault["status"],
                           "times": int(fault.get("times", 1)), "after": int(fault.get("after", 0))})  # fmt: skip
        return {"ok": True}

    @app.delete("/_standin/faults")
    def clear_faults():
        with lock:
            faults.clear()
        return {"ok": True}

    @app.get("/_standin/requests")
    def list_requests():
        return requests_seen

    @app.get("/_standin/health")
    def health():
        return {"ok": True}

    @app.post("/api/validate-yaml")
    async def validate_yaml(request: Request):
        body = await request.json()
        problems = store.validate_card(body.get("content", ""), body.get("repoType", "model"))
        return error(400, "; ".join(problems)) if problems else {"errors": [], "warnings": []}

    @app.get("/api/whoami-v2")
    def whoami(request: Request):
        if request.headers.get("authorization") is None or not authorized(request):
            return error(401, "Invalid credentials in Authorization header")
        return {"type": "user", "name": "standin", "orgs": [], "auth": {"accessToken": {"role": "write"}}}

    @app.post("/api/repos/create")
    async def create_repo(request: Request):
        if not authorized(request):
            return error(401, "Invalid credentials in Authorization header")
        body = await request.json()
        repo_type = body.get("type") or "model"
        repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else f"standin/{body['name']}"
        private = body.get("visibility") == "private" or bool(body.get("private"))
        url = str(request.base_url).rstrip("/") + "/" + store.url_prefix(repo_type) + repo_id
        if not store.create_repo(repo_type, repo_id, private):
            return JSONResponse({"error": "You already created this repo", "url": url}, status_code=409)
        return {"url": url, "name": repo_id}

    def repo_or_error(request: Request, kind: str, namespace: str, name: str):
        repo_type = kind.removesuffix("s")
        repo = store.get_repo(repo_type, f"{namespace}/{name}")
        if repo is None or (repo["private"] and not (authorized(request) and request.headers.get("authorization"))):
            return None, error(404, "Repository not found", "RepoNotFound")
        return repo_type, None

    @app.get("/api/{kind}/{namespace}/{name}")
    @app.get("/api/{kind}/{namespace}/{name}/revision/{revision:path}")
    def repo_info(request: Request, kind: str, namespace: str, name: str, revision: str = "main"):
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        try:
            return store.repo_info(repo_type, f"{namespace}/{name}", revision)
        except StoreError as exc:
            return error(exc.status, str(exc), exc.code)

    @app.post("/api/{kind}/{namespace}/{name}/preupload/{revision:path}")
    async def preupload(request: Request, kind: str, namespace: str, name: str, revision: str):
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        body = await request.json()
        return {"files": [store.preupload_mode(repo_type, f"{namespace}/{name}", revision, f["path"], f["size"],
                                               base64.b64decode(f.get("sample", ""))) for f in body["files"]]}  # fmt: skip

    @app.post("/{prefix:path}.git/info/lfs/objects/batch")
    async def lfs_batch(request: Request, prefix: str):
        body = await request.json()
        base = str(request.base_url).rstrip("/")
        objects = []
        for obj in body.get("objects", []):
            entry = {"oid": obj["oid"], "size": obj["size"]}
            if not store.has_object(obj["oid"], obj["size"]):
                entry["actions"] = {"upload": {"href": f"{base}/_lfs/{obj['oid']}"},
                                    "verify": {"href": f"{base}/_lfs/{obj['oid']}/verify"}}  # fmt: skip
            objects.append(entry)
        return {"transfer": "basic", "objects": objects}

    @app.put("/_lfs/{oid}")
    async def lfs_upload(request: Request, oid: str):
        data = await request.body()
        if hashlib.sha256(data).hexdigest() != oid:
            return error(400, "uploaded content does not match its sha256 oid")
        store.put_object(oid, data)
        return Response(status_code=200)

    @app.post("/_lfs/{oid}/verify")
    async def lfs_verify(request: Request, oid: str):
        body = await request.json()
        if not store.has_object(oid, body.get("size")):
            return error(404, f"object {oid} was not uploaded", "EntryNotFound")
        return {"ok": True}

    @app.post("/api/{kind}/{namespace}/{name}/commit/{revision:path}")
    async def commit(request: Request, kind: str, namespace: str, name: str, revision: str):
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        if not authorized(request):
            return error(401, "Invalid credentials in Authorization header")
        try:
            lines = [json.loads(line) for line in (await request.body()).splitlines() if line.strip()]
        except json.JSONDecodeError:
            return error(400, "commit payload is not NDJSON")
        try:
            oid = store.commit(repo_type, f"{namespace}/{name}", revision, lines)
        except StoreError as exc:
            return error(exc.status, str(exc), exc.code)
        url = str(request.base_url).rstrip("/") + "/" + store.url_prefix(repo_type) + f"{namespace}/{name}"
        return {"success": True, "commitOid": oid, "commitUrl": f"{url}/commit/{oid}", "pullRequestUrl": None}

    @app.post("/api/{kind}/{namespace}/{name}/branch/{branch:path}")
    async def create_branch(request: Request, kind: str, namespace: str, name: str, branch: str):
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        raw = await request.body()
        start = json.loads(raw).get("startingPoint") if raw.strip() else None
        if not store.create_branch(repo_type, f"{namespace}/{name}", branch, start):
            return error(409, f"Reference already exists: refs/heads/{branch}")
        return {"ok": True}

    @app.get("/api/{kind}/{namespace}/{name}/tree/{revision}")
    @app.get("/api/{kind}/{namespace}/{name}/tree/{revision}/{path:path}")
    def tree(request: Request, kind: str, namespace: str, name: str, revision: str, path: str = ""):
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        recursive = request.query_params.get("recursive", "false").lower() == "true"
        try:
            return store.tree(repo_type, f"{namespace}/{name}", revision, path.strip("/"), recursive)
        except StoreError as exc:
            return error(exc.status, str(exc), exc.code)

    @app.post("/api/{kind}/{namespace}/{name}/paths-info/{revision:path}")
    async def paths_info(request: Request, kind: str, namespace: str, name: str, revision: str):
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        raw = (await request.body()).decode()
        paths = json.loads(raw).get("paths", []) if raw.startswith("{") else parse_qs(raw).get("paths", [])
        try:
            return store.paths_info(repo_type, f"{namespace}/{name}", revision, paths)
        except StoreError as exc:
            return error(exc.status, str(exc), exc.code)

    @app.get("/api/{kind}/{namespace}/{name}/commits/{revision:path}")
    def commits(request: Request, kind: str, namespace: str, name: str, revision: str):
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        try:
            return store.commits(repo_type, f"{namespace}/{name}", revision)
        except StoreError as exc:
            return error(exc.status, str(exc), exc.code)

    @app.api_route("/{namespace}/{name}/resolve/{revision}/{path:path}", methods=["GET", "HEAD"])
    @app.api_route("/{kind}/{namespace}/{name}/resolve/{revision}/{path:path}", methods=["GET", "HEAD"])
    def resolve(request: Request, namespace: str, name: str, revision: str, path: str, kind: str = "models"):
        if kind not in ("datasets", "spaces", "models"):
            return error(404, "Repository not found", "RepoNotFound")
        repo_type, err = repo_or_error(request, kind, namespace, name)
        if err:
            return err
        try:
            entry, commit_oid, blob_path = store.resolve(repo_type, f"{namespace}/{name}", revision, path)
        except StoreError as exc:
            return error(exc.status, str(exc), exc.code)
        etag = entry["sha256"] if entry["lfs"] else entry["git_oid"]
        headers = {"X-Repo-Commit": commit_oid, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
        if entry["lfs"]:
            headers.update({"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(entry["size"])})
        size = entry["size"]
        start, end, status = 0, size - 1, 200
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", request.headers.get("range", ""))
        if match and size:
            if match.group(1):
                start, end = int(match.group(1)), int(match.group(2) or size - 1)
            else:
                start, end = max(size - int(match.group(2)), 0), size - 1
            end, status = min(end, size - 1), 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        headers["Content-Length"] = str(max(end - start + 1, 0))
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        with open(blob_path, "rb") as f:
            f.seek(start)
            content = f.read(max(end - start + 1, 0))
        return Response(content=content, status_code=status, headers=headers, media_type="application/octet-stream")

    app.state.store = store
    return app


class StandinServer:
    """Run the stand-in on 127.0.0.1 in a background thread: `with StandinServer(root) as url: ...`."""

    def __init__(self, root: str | Path, port: int = 0, token: str | None = None):
        self.root, self.port, self.token = Path(root), port, token
        self._server = None
        self._thread = None

    def start(self) -> str:
        import socket

        import uvicorn

        if self.port == 0:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(self.root, self.token), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="off")  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the Hub stand-in did not start on port {self.port}")
            time.sleep(0.05)
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a local Hugging Face Hub stand-in for offline pushes.")
    parser.add_argument("--root", required=True, help="Folder holding the stand-in's repos and objects.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=None, help="Require this bearer token for writes.")
    args = parser.parse_args(argv)
    import uvicorn

    uvicorn.run(create_app(args.root, args.token), host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
