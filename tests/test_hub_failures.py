"""Failure injection against the Hub stand-in: every push either lands whole or fails loudly, nothing lost."""

import os
from pathlib import Path

import pytest
from hub_fixtures import hub_server  # noqa: F401
from huggingface_hub.errors import HfHubHTTPError

from snowcoder_hf.hub import client as hub


def _folder(path: Path, files: int = 3, size: int = 5_000) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (path / f"shard{i}.bin").write_bytes(os.urandom(size))
    (path / "config.json").write_text(f'{{"files": {files}}}\n')
    return path


def _assert_repo_mirrors(src: Path, repo_id: str, out: Path) -> None:
    pulled = hub.pull(repo_id, repo_type="model", local_dir=out)
    for path in src.rglob("*"):
        if path.is_file():
            assert (pulled / path.relative_to(src)).read_bytes() == path.read_bytes(), path


def test_server_errors_on_commit_are_retried_and_the_push_lands_whole(hub_server, tmp_path):  # noqa: F811
    src = _folder(tmp_path / "src")
    hub_server.fault(r"/commit/", 500, method="POST", times=2)
    hub_server.fault(r"/preupload/", 503, method="POST", times=1)
    hub.push_folder(src, "org/flaky")
    assert hub_server.count("POST", "/commit/") == 3  # two injected 500s, then the commit
    _assert_repo_mirrors(src, "org/flaky", tmp_path / "out")


def test_rate_limit_is_retried(hub_server, tmp_path):  # noqa: F811
    src = _folder(tmp_path / "src")
    hub_server.fault(r"/api/models/org/limited$", 429, method="GET", times=1)
    hub.push_folder(src, "org/limited")
    _assert_repo_mirrors(src, "org/limited", tmp_path / "out")


def test_commit_conflict_with_a_concurrent_writer_is_retried_and_keeps_both_changes(hub_server, tmp_path, monkeypatch):  # noqa: F811
    from huggingface_hub import CommitOperationAdd, HfApi

    src = _folder(tmp_path / "src")
    hub.push_folder(src, "org/shared")
    (src / "shard0.bin").write_bytes(os.urandom(5_000))
    real_commit = HfApi.create_commit
    interloper = {"done": False}

    def create_commit(self, repo_id, operations, **kwargs):
        if not interloper["done"]:  # another writer lands a commit after our push read the head
            interloper["done"] = True
            other = CommitOperationAdd(path_in_repo="other/notes.md", path_or_fileobj=b"from another machine\n")
            real_commit(self, repo_id, [other], commit_message="concurrent", repo_type=kwargs.get("repo_type"))
        return real_commit(self, repo_id, operations, **kwargs)

    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    hub.push_folder(src, "org/shared", ignore=("other/",))
    statuses = [r["path"] for r in hub_server.requests() if "/commit/" in r["path"]]
    assert len(statuses) == 4  # first push, the interloper, our rejected commit, our retried commit
    out = tmp_path / "out"
    _assert_repo_mirrors(src, "org/shared", out)
    assert (out / "other" / "notes.md").read_text() == "from another machine\n"


def test_dropped_lfs_upload_is_detected_and_uploaded_again(hub_server, tmp_path):  # noqa: F811
    src = _folder(tmp_path / "src", files=1, size=50_000)
    hub_server.fault(r"^/_lfs/[0-9a-f]+$", "lose", method="PUT", times=1)
    hub.push_folder(src, "org/dropped")
    assert hub_server.count("PUT", "/_lfs/") == 2  # the lost upload and the one that landed
    _assert_repo_mirrors(src, "org/dropped", tmp_path / "out")


def test_push_killed_halfway_resumes_without_reuploading_committed_files(hub_server, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(hub, "MAX_ATTEMPTS", 2)
    src = _folder(tmp_path / "src", files=6)
    # The first commit lands, then the server keeps failing: the push gives up after its bounded retries.
    hub_server.fault(r"/commit/", 500, method="POST", times=50, after=1)
    with pytest.raises(HfHubHTTPError, match="500"):
        hub.push_folder(src, "org/resume", files_per_commit=2)
    uploaded = {r["path"] for r in hub_server.requests() if r["method"] == "PUT"}
    # chunk 1 (config.json, shard0) committed; chunk 2 (shard1, shard2) uploaded but its commit refused
    assert len(uploaded) == 3
    hub_server.clear_faults()  # the outage ends
    seen = len(hub_server.requests())
    hub.push_folder(src, "org/resume", files_per_commit=2)
    reuploaded = {r["path"] for r in hub_server.requests()[seen:] if r["method"] == "PUT"}
    assert len(reuploaded) == 3  # shard3-5 only: nothing already stored goes up again
    assert not reuploaded & uploaded
    _assert_repo_mirrors(src, "org/resume", tmp_path / "out")


def test_persistent_outage_fails_after_a_bounded_number_of_attempts(hub_server, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(hub, "MAX_ATTEMPTS", 3)
    src = _folder(tmp_path / "src", files=1)
    hub.push_folder(src, "org/down")
    (src / "shard0.bin").write_bytes(b"changed")
    hub_server.fault(r"/commit/", 502, method="POST", times=100)
    before = hub_server.count("POST", "/commit/")
    with pytest.raises(HfHubHTTPError, match="502"):
        hub.push_folder(src, "org/down")
    assert hub_server.count("POST", "/commit/") - before == 3
    assert hub.commit_count("org/down") == 2  # nothing half-committed


def test_garbage_response_fails_loudly_and_commits_nothing(hub_server, tmp_path):  # noqa: F811
    src = _folder(tmp_path / "src", files=1)
    hub.push_folder(src, "org/garbage")
    (src / "shard0.bin").write_bytes(b"changed again")
    hub_server.fault(r"/preupload/", "garbage", method="POST", times=1)
    with pytest.raises(ValueError):
        hub.push_folder(src, "org/garbage")
    assert hub.commit_count("org/garbage") == 2


def test_cli_push_and_pull_a_dataset_through_the_stand_in(hub_server, tmp_path, capsys):  # noqa: F811
    import gzip

    from snowcoder_hf.cli.main import main

    stage = tmp_path / "stage"
    stage.mkdir()
    with gzip.open(stage / "00000.jsonl.gz", "wt") as f:
        f.write('{"id": "a", "text": "x = 1\\n", "metadata": {"language": "python"}}\n')
    config = tmp_path / "stage1.yaml"
    config.write_text("languages: [python]\n")
    assert main(["hub", "push", "dataset", str(stage), "org/cli-data", "--config", str(config),
                 "--endpoint", hub_server.url]) == 0  # fmt: skip
    assert "Published dataset org/cli-data" in capsys.readouterr().out
    out = tmp_path / "pulled"
    assert main(["hub", "pull", "org/cli-data", "--repo-type", "dataset", "--local-dir", str(out)]) == 0
    assert "languages: [python]" in (out / "README.md").read_text()
    assert len(list((out / "data").glob("*.parquet"))) == 1


def test_cli_push_of_a_missing_folder_is_a_clear_error(hub_server, tmp_path, capsys):  # noqa: F811
    from snowcoder_hf.cli.main import main

    assert main(["hub", "push", "dataset", str(tmp_path / "nope"), "org/x"]) == 2
    assert "does not exist" in capsys.readouterr().err
