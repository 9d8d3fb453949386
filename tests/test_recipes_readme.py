"""The documented commands are the tested path: recipes/README.md's stage table runs verbatim (slow), every command
in a bash block of the README and docs/ parses, and the demo runs the very configs the table names."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "recipes" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
TINY_ROOT = "outputs/tiny"


def stage_table() -> list[tuple[str, str]]:
    """`(stage, command)` for each row of recipes/README.md's stage table, in order."""
    rows = []
    for line in (REPO / "recipes" / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[4].startswith("`") and cells[0] not in ("stage", "---"):
            rows.append((cells[0], cells[4].strip("`")))
    return rows


def doc_commands() -> list[tuple[str, str]]:
    """`(where, command)` for every command line in a bash block of the README, recipes/README.md and docs/."""
    found = []
    for path in DOCS:
        for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", path.read_text(), re.S):
            for line in re.sub(r"\\\n\s*", " ", block).splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    found.append((path.relative_to(REPO).as_posix(), line))
    return found


def _load_recipe(name: str):
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", REPO / "recipes" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def parse_recipe(script: str, argv: list[str]) -> None:
    """Parse `argv` the way `script` does, without checking that its input folders exist yet."""
    name = Path(script).stem
    if name in ("stage1", "stage2", "stage3"):
        import torch

        from snowcoder_hf.training.launch import parse_recipe_args

        # The paper configs ask for bf16 on GPUs; on a machine without one, parse them as a CPU run would.
        parse_recipe_args(argv if torch.cuda.is_available() else [*argv, "--use_cpu", "true"])
    elif name == "stage1_data":
        from snowcoder_hf.stages.stage1_config import load_config

        load_config(*_load_recipe(name).parse_args(argv))
    elif name in ("stage2_data", "stage3_data", "evaluate"):
        _load_recipe(name).parse_config(argv)
    else:
        raise AssertionError(f"no parse check for {script}")


def _check_script_flags(script: str, argv: list[str]) -> None:
    """A benchmark script exists and its `--help` (its subcommand's, for `script.py SUB --flags`) lists every flag
    the documented command passes."""
    assert (REPO / script).is_file(), f"{script} does not exist"
    sub = [argv[0]] if argv and not argv[0].startswith("-") else []
    result = subprocess.run([sys.executable, str(REPO / script), *sub, "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    if sub and result.returncode != 0:  # a positional argument, not a subcommand
        result = subprocess.run([sys.executable, str(REPO / script), "--help"], cwd=REPO, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    for flag in (w.split("=", 1)[0] for w in argv if w.startswith("--")):
        assert flag in result.stdout, f"{script} has no {flag}"


def parse_command(command: str) -> None:
    """Fail unless `command` parses: its script, its config files and every flag it passes exist."""
    command = re.sub(r"\s\[[^\]]*\]", "", command)  # `[--optional ...]` in usage lines
    words = shlex.split(command, comments=True)
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
        words = words[1:]  # environment assignments
    head = words[0]
    for i, word in enumerate(words):
        if word in ("--config", "--config_file") and not word.startswith("--config_file="):
            assert (REPO / words[i + 1]).is_file(), f"{words[i + 1]} does not exist"
    if head == "make":
        targets = re.findall(r"^([\w-]+):", (REPO / "Makefile").read_text(), re.M)
        assert all(w in targets for w in words[1:]), f"make targets {words[1:]} not all in {targets}"
    elif head == "pip":
        import tomllib

        extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
        for word in words[2:]:
            for extra in re.findall(r"snowcoder_hf\[([\w,]+)\]", word):
                assert set(extra.split(",")) <= set(extras), f"unknown extra in {word}"
    elif head == "snowcoder":
        from snowcoder_hf.cli.main import build_parser

        build_parser().parse_args(words[1:])
    elif head == "python" and words[1] == "-c":
        compile(words[2], "<documented command>", "exec")  # a one-liner: it must at least be valid Python
    elif head == "python" and words[1] == "-m":
        assert importlib.util.find_spec(words[2]) is not None, f"no module {words[2]}"
    elif head == "python" and words[1].startswith("benchmarks/"):
        _check_script_flags(words[1], words[2:])
    elif head == "python":
        assert (REPO / words[1]).is_file(), f"{words[1]} does not exist"
        parse_recipe(words[1], words[2:])
    elif head == "bash":
        assert (REPO / words[1]).is_file(), f"{words[1]} does not exist"
        subprocess.run(["bash", "-n", str(REPO / words[1])], check=True)  # syntax only
    elif head == "accelerate" and words[1] == "launch":
        script_at = next(i for i, w in enumerate(words) if w.endswith(".py"))
        parse_recipe(words[script_at], words[script_at + 1 :])
    elif head == "lighteval":
        tasks = words[words.index("--custom-tasks") + 1]
        assert (REPO / tasks).is_file(), f"{tasks} does not exist"
    else:
        raise AssertionError(f"a documented command this test cannot check: {command}")


def test_the_stage_table_has_every_stage_in_order():
    assert [stage for stage, _ in stage_table()] == [
        "stage-1 data", "alpha", "stage-2 data", "beta", "stage-3 data", "final", "evaluate",
    ]  # fmt: skip


@pytest.mark.parametrize(("stage", "command"), stage_table(), ids=[s for s, _ in stage_table()])
def test_each_stage_table_command_parses(stage, command, tmp_path):
    parse_command(command.replace("OUT", str(tmp_path)))


@pytest.mark.parametrize(("where", "command"), doc_commands(), ids=[f"{w}:{c[:40]}" for w, c in doc_commands()])
def test_every_documented_command_parses(where, command, tmp_path):
    parse_command(command.replace("OUT", str(tmp_path)))


def test_a_misspelled_flag_fails_the_parse_check():
    with pytest.raises((ValueError, SystemExit)):
        parse_command("python recipes/stage2_data.py --config recipes/configs/tiny/stage2_data.yaml --stage1_dirr x")


def _config_paths(config: dict) -> dict[str, str]:
    """The path-valued keys of a tiny config: anything that reads or writes under the tiny root."""
    paths = {}
    for key, value in config.items():
        if isinstance(value, str) and value.startswith(TINY_ROOT):
            paths[key] = value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str) and "=" in item and item.split("=", 1)[1].startswith(TINY_ROOT):
                    paths[f"{key}:{item.split('=', 1)[0]}"] = item.split("=", 1)[1]
    return paths


def test_the_tiny_configs_chain_under_one_root():
    configs = {p.stem: yaml.safe_load(p.read_text()) for p in (REPO / "recipes/configs/tiny").glob("*.yaml")}
    chain = {
        "stage1_data": {"output_dir": "outputs/tiny/stage1"},
        "stage1": {"dataset_path": "outputs/tiny/stage1", "output_dir": "outputs/tiny/alpha"},
        "stage2_data": {"stage1_dir": "outputs/tiny/stage1", "output_dir": "outputs/tiny/stage2"},
        "stage2": {"model_name_or_path": "outputs/tiny/alpha", "dataset_path": "outputs/tiny/stage2",
                   "output_dir": "outputs/tiny/beta"},
        "stage3_data": {"input": "outputs/tiny/stage2/selected", "output": "outputs/tiny/stage3"},
        "stage3": {"model_name_or_path": "outputs/tiny/beta", "dataset_path": "outputs/tiny/stage3",
                   "output_dir": "outputs/tiny/final"},
        "evaluate": {"checkpoints:alpha": "outputs/tiny/alpha", "checkpoints:beta": "outputs/tiny/beta",
                     "checkpoints:final": "outputs/tiny/final", "output_dir": "outputs/tiny/eval",
                     "reference_dir": "outputs/tiny/stage2/removed"},
    }  # fmt: skip
    for name, expected in chain.items():
        assert _config_paths(configs[name]) == expected, name
    assert configs["demo"]["output_dir"] == TINY_ROOT


def test_the_demo_runs_each_tiny_config_unchanged_but_for_its_paths():
    """Every override a demo step passes is a path, set to where its config already points when {out} is the
    tiny root: the demo and a user running the configs by hand produce the same layout."""
    demo = yaml.safe_load((REPO / "recipes/configs/tiny/demo.yaml").read_text())
    for step in demo["steps"]:
        run = [a.replace("{out}", TINY_ROOT) for a in step["run"]]
        config = yaml.safe_load((REPO / step["config"]).read_text())
        assert run[run.index("--config") + 1] == step["config"]
        flags = run[run.index("--config") + 2 :]
        i = 0
        while i < len(flags):
            key = flags[i].lstrip("-")
            values = []
            i += 1
            while i < len(flags) and not flags[i].startswith("--"):
                values.append(flags[i])
                i += 1
            expected = config[key]
            assert (values if isinstance(expected, list) else values[0]) == expected, (step["name"], key)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_the_stage_table_runs_verbatim_in_order_from_a_fresh_output(tmp_path):
    """As a new user would, without the demo: each command of the table, OUT a fresh folder, in order."""
    out = tmp_path / "out"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    expected = {
        "stage-1 data": ["stage1/summary.json", "stage1/tokenizer", "stage1/tokens"],
        "alpha": ["alpha/config.json", "alpha/model.safetensors"],
        "stage-2 data": ["stage2/selection.json", "stage2/selected"],
        "beta": ["beta/model.safetensors"],
        "stage-3 data": ["stage3/mixture.yaml"],
        "final": ["final/model.safetensors"],
        "evaluate": ["eval/summary.json", "eval/report.md"],
    }
    for stage, command in stage_table():
        result = subprocess.run(command.replace("OUT", str(out)), shell=True, cwd=REPO, env=env,
                                capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 0, f"{stage}: {command}\n{result.stderr[-3000:]}"
        for relative in expected[stage]:
            assert (out / relative).exists(), f"{stage} left no {relative}"
