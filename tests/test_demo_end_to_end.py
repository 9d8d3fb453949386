"""The real `snowcoder demo`: every stage at tiny scale, published to the stand-in, ending with the report."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_demo_runs_the_whole_recipe_publishes_everything_and_reruns_as_a_no_op(tmp_path):
    out = tmp_path / "demo"
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf_home"), "OMP_NUM_THREADS": "1"}
    env.pop("HF_HUB_OFFLINE", None)  # the demo publishes to its own local stand-in
    snowcoder = [sys.executable, "-m", "snowcoder_hf.cli.main"]
    first = subprocess.run([*snowcoder, "demo", "--output", str(out)], env=env, capture_output=True, text=True,
                           timeout=2000)  # fmt: skip
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    report = (out / "report.md").read_text()
    assert "Not produced" not in report
    assert (out / "report_losses.png").exists()
    artifacts = json.loads((out / "published.json").read_text())["artifacts"]
    assert [a["name"] for a in artifacts] == ["stage1", "alpha", "annotator", "stage2", "beta", "stage3", "final"]
    second = subprocess.run([*snowcoder, "demo", "--output", str(out)], env=env, capture_output=True, text=True,
                            timeout=600)  # fmt: skip
    assert second.returncode == 0, second.stdout[-4000:]
    assert second.stdout.count("already done, skipped") == 7
    # nothing new was published: the same revisions (the stand-in's port, so each url, may differ per run)
    again = json.loads((out / "published.json").read_text())["artifacts"]
    assert [(a["repo_id"], a["revision"]) for a in again] == [(a["repo_id"], a["revision"]) for a in artifacts]
    for name in ("alpha", "beta", "final"):
        assert list(Path(out / name).glob("**/trainer_state.json")), name
