"""The demo's orchestration with fast fake stages: resume, restart, missing stages, failures, publishing, report."""

import io
import json
import textwrap
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from snowcoder_hf.demo.config import DEFAULT_CONFIG, load_config
from snowcoder_hf.demo.run import StepFailed, run_demo

FAKE_STAGE = textwrap.dedent('''
    """A stand-in for one recipe stage: writes the files the real stage writes, and counts its runs."""
    import gzip, json, sys
    from pathlib import Path

    step, out = sys.argv[1], Path(sys.argv[2])
    with open(out.parent / "runs.log", "a") as log:
        log.write(step + "\\n")
    if (out.parent / f"fail_{step}").exists():
        print(f"{step}: simulated failure", flush=True)
        sys.exit(3)

    def shard(folder, n):
        folder.mkdir(parents=True, exist_ok=True)
        with gzip.open(folder / "00000.jsonl.gz", "wt") as f:
            for i in range(n):
                f.write(json.dumps({"id": f"{step}-{i}", "text": f"def f{i}():\\n    return {i}\\n",
                                    "metadata": {"language": "python", "repo": "r", "path": f"f{i}.py"}}) + "\\n")

    def checkpoint(folder, base_loss):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text('{"model_type": "llama"}')
        (folder / "tokenizer_config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(step.encode() * 100)
        history = [{"step": s, "loss": base_loss - 0.1 * s} for s in range(1, 6)]
        (folder / "checkpoint-5").mkdir(exist_ok=True)  # where the Trainer leaves its state
        (folder / "checkpoint-5" / "trainer_state.json").write_text(json.dumps({"log_history": history}))

    if step == "stage1_data":
        shard(out / "stage1" / "files", 6)
        (out / "stage1" / "tokenizer").mkdir(exist_ok=True)
        counts = [{"block": "reader", "in": 8, "kept": 7, "dropped": 1, "reasons": {"empty_text": 1}},
                  {"block": "exact_dedup", "in": 7, "kept": 6, "dropped": 1, "reasons": {"duplicate": 1}}]
        (out / "stage1" / "summary.json").write_text(json.dumps({"counts": counts, "tokens": 600,
                                                                 "languages": {"python": 600}}))
        (out / "stage1" / "report.md").write_text("# stage 1\\n")
    elif step == "stage2_data":
        shard(out / "stage2" / "selected", 3)
        annotator = out / "stage2" / "annotators" / "hqins"
        annotator.mkdir(parents=True, exist_ok=True)
        (annotator / "head.json").write_text("{}")
        (annotator / "annotator.json").write_text(json.dumps({"metrics": {"roc_auc": {"humaneval": 0.81}}}))
        (out / "stage2" / "validation").mkdir(exist_ok=True)
        (out / "stage2" / "validation" / "validation.json").write_text(json.dumps(
            {"hqins": {"humaneval": 0.81, "mbpp": 0.74}, "hq": {"humaneval": 0.77, "mbpp": 0.70}}))
        (out / "stage2" / "selection.json").write_text(json.dumps(
            {"repeat": 4, "budget_tokens": 300, "tokens_per_language": {"python": 300},
             "thresholds": {"python": 0.5}}))
    elif step == "stage3_data":
        shard(out / "stage3" / "synthetic", 2)
        (out / "stage3" / "mixture.yaml").write_text("sources:\\n- {path: synthetic, weight: 0.5, repeat: 1}\\n")
    elif step in ("alpha", "beta", "final"):
        checkpoint(out / step, {"alpha": 5.0, "beta": 4.0, "final": 3.5}[step])
    elif step == "eval":
        (out / "eval").mkdir(exist_ok=True)
        (out / "eval" / "summary.json").write_text(json.dumps(
            {name: {"humaneval": {"pass@1": value, "n": 10}} for name, value in
             (("alpha", 0.0), ("beta", 0.1), ("final", 0.2))}))
    print(f"{step}: done", flush=True)
''')
STEP_OUTPUTS = {
    "stage1_data": ["{out}/stage1/summary.json"], "alpha": ["{out}/alpha/model.safetensors"],
    "stage2_data": ["{out}/stage2/selection.json"], "beta": ["{out}/beta/model.safetensors"],
    "stage3_data": ["{out}/stage3/mixture.yaml"], "final": ["{out}/final/model.safetensors"],
    "eval": ["{out}/eval/summary.json"],
}  # fmt: skip


def _config(tmp_path: Path, extra_step: dict | None = None) -> Path:
    script = tmp_path / "fake_stage.py"
    script.write_text(FAKE_STAGE)
    shipped = yaml.safe_load(DEFAULT_CONFIG.read_text())  # the real steps and publish plan, fake commands
    for step in shipped["steps"]:
        step["run"] = ["{python}", str(script), step["name"], "{out}"]
        step["outputs"] = STEP_OUTPUTS[step["name"]]
        step.pop("command", None)
    if extra_step:
        shipped["steps"].insert(1, extra_step)
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(shipped))
    return path


def _runs(out: Path) -> list[str]:
    log = out.parent / "runs.log"
    return log.read_text().split() if log.exists() else []


@pytest.fixture
def demo_env(tmp_path, monkeypatch):
    from snowcoder_hf.hub import client as hub

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.setattr(hub, "BACKOFF_BASE_S", 0.05)
    return tmp_path


def test_demo_runs_every_step_publishes_with_lineage_and_writes_the_report(demo_env, capsys):
    from snowcoder_hf.cli.main import main
    from snowcoder_hf.hub import client as hub
    from snowcoder_hf.standins.hub_server import StandinServer

    out = demo_env / "run" / "out"
    assert main(["demo", "--config", str(_config(demo_env)), "--output", str(out)]) == 0
    printed = "".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert f"Report:{out / 'report.md'}" in printed
    assert "snowcoder-demo/snowcoder-demo-final@" in printed
    assert _runs(out) == ["stage1_data", "alpha", "stage2_data", "beta", "stage3_data", "final", "eval"]
    published = {p["name"]: p for p in json.loads((out / "published.json").read_text())["artifacts"]}
    assert sorted(published) == ["alpha", "annotator", "beta", "final", "stage1", "stage2", "stage3"]
    report = (out / "report.md").read_text()
    assert "| exact_dedup | 7 | 6 | 1 | duplicate=1 |" in report
    assert "| hqins | 0.810 | 0.740 |" in report
    assert "| hq | 0.770 | 0.700 |" in report
    assert "| final | 0.200 |" in report
    assert (out / "report_losses.png").stat().st_size > 0
    assert (out / "report_stage1_counts.png").stat().st_size > 0
    for artifact in published.values():
        assert f"<{artifact['url']}>" in report
    assert "Not produced" not in report
    # The stand-in was stopped; its store persists, and the published beta card pins alpha and stage2.
    with StandinServer(out / "hub") as url, hub.hub_endpoint(url):
        beta = hub.pull(published["beta"]["repo_id"], repo_type="model", revision=published["beta"]["revision"],
                        local_dir=demo_env / "beta")  # fmt: skip
    card = (beta / "README.md").read_text()
    assert f"| base model | `{published['alpha']['repo_id']}` | `{published['alpha']['revision']}` |" in card
    assert f"| dataset | `{published['stage2']['repo_id']}` | `{published['stage2']['revision']}` |" in card
    assert "| humaneval | pass@1 | 0.1 |" in card


def test_rerun_skips_finished_steps_publishes_nothing_new_and_restart_redoes_the_tail(demo_env):
    out = demo_env / "run" / "out"
    config = load_config(_config(demo_env))
    first = run_demo(config, out)
    second = run_demo(config, out)
    assert len(_runs(out)) == 7  # nothing ran twice
    steps = {s.name for s in config.steps}
    assert all(status == "skipped (done)" for name, status in second["status"].items() if name in steps)
    assert [p["revision"] for p in second["published"]] == [p["revision"] for p in first["published"]]
    console = Console(file=io.StringIO(), width=60)  # narrower than every step's line
    run_demo(config, out, console=console)
    lines = console.file.getvalue().splitlines()
    assert sum(line.endswith(": already done, skipped") for line in lines) == 7, "one whole line per step"
    run_demo(config, out, restart_from="beta")
    assert _runs(out)[7:] == ["beta", "stage3_data", "final", "eval"]
    with pytest.raises(ValueError, match="`--restart-from`"):
        run_demo(config, out, restart_from="gamma")


def test_a_failed_step_stops_the_demo_and_the_rerun_resumes_there(demo_env):
    out = demo_env / "run" / "out"
    config = load_config(_config(demo_env))
    (out.parent).mkdir(parents=True)
    (out.parent / "fail_beta").write_text("")
    with pytest.raises(StepFailed, match="step `beta` failed with exit code 3"):
        run_demo(config, out)
    assert "beta: simulated failure" in (out / "logs" / "beta.log").read_text()
    assert not (out / ".steps" / "beta.json").exists()
    (out.parent / "fail_beta").unlink()
    run_demo(config, out)
    assert _runs(out) == ["stage1_data", "alpha", "stage2_data", "beta", "beta", "stage3_data", "final", "eval"]


def test_a_missing_stage_fails_before_anything_runs_and_names_it(demo_env):
    missing = {"name": "stage9_data", "title": "A stage nobody wrote", "run": ["{python}", "recipes/stage9_data.py"]}
    out = demo_env / "run" / "out"
    with pytest.raises(
        StepFailed, match=r"step `stage9_data` \(A stage nobody wrote\): recipes/stage9_data.py is missing"
    ):
        run_demo(load_config(_config(demo_env, missing)), out)
    assert _runs(out) == []


def test_a_step_that_writes_no_output_is_an_error_not_a_silent_skip(demo_env):
    path = _config(demo_env)
    config = load_config(path)
    config.steps[0].outputs.append("{out}/stage1/never_written.json")
    with pytest.raises(StepFailed, match="did not write"):
        run_demo(config, demo_env / "run" / "out")


def test_shipped_demo_config_parses_and_names_every_stage():
    config = load_config()
    assert [s.name for s in config.steps] == ["stage1_data", "alpha", "stage2_data", "beta", "stage3_data",
                                              "final", "eval"]  # fmt: skip
    assert [p.name for p in config.publish] == ["stage1", "alpha", "annotator", "stage2", "beta", "stage3", "final"]


def test_demo_config_with_a_stale_key_or_dangling_lineage_is_rejected(tmp_path):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["steps"][0]["timeout"] = 5
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match=r"steps\[0\]` has unknown keys \['timeout'\]"):
        load_config(tmp_path / "a.yaml")
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["publish"][1]["lineage"] = ["stage3"]
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="lineage"):
        load_config(tmp_path / "b.yaml")
