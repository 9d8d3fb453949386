"""Fixtures for tests that talk to the local Hub stand-in: a server per test, the client pointed at it.

Use them with `from hub_fixtures import HUB_TOKEN, hub_server  # noqa: F401` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import json
import sys
import urllib.request
from dataclasses import dataclass

import pytest

HUB_TOKEN = "hf_" + "standinTestToken" * 2


@dataclass
class HubServer:
    url: str
    root: object

    def fault(self, path: str, status, *, method: str = "*", times: int = 1, after: int = 0) -> None:
        body = json.dumps({"path": path, "status": status, "method": method, "times": times, "after": after})
        request = urllib.request.Request(f"{self.url}/_standin/faults", data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        urllib.request.urlopen(request, timeout=10).read()

    def clear_faults(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/_standin/faults", method="DELETE"), timeout=10)

    def requests(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/_standin/requests", timeout=10) as response:
            return json.loads(response.read())

    def count(self, method: str, path_part: str) -> int:
        return sum(1 for r in self.requests() if r["method"] == method and path_part in r["path"])


@pytest.fixture
def hub_server(tmp_path, monkeypatch):
    """A stand-in that requires `HUB_TOKEN` for writes, with huggingface_hub pointed at it and online."""
    from snowcoder_hf.hub import client as hub
    from snowcoder_hf.standins.hub_server import StandinServer

    monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    # huggingface_hub (and datasets) read the cache folders once, at import: without these, downloads of
    # every test share the user's cache, and a bare `from_pretrained("org/x")` can be served a file cached
    # from another test's server
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_home" / "hub"))
    monkeypatch.setattr(constants, "HUGGINGFACE_HUB_CACHE", str(tmp_path / "hf_home" / "hub"), raising=False)
    if "datasets" in sys.modules:
        import datasets.config

        monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf_home" / "datasets")
    monkeypatch.setattr(hub, "BACKOFF_BASE_S", 0.05)  # keep retries fast; the bound is what is tested
    server = StandinServer(tmp_path / "hub", token=HUB_TOKEN)
    url = server.start()
    try:
        with hub.hub_endpoint(url):
            yield HubServer(url=url, root=tmp_path / "hub")
    finally:
        server.stop()
