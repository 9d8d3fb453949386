"""The FSDP2 path on CPU ranks: the shipped FSDP configs train the tiny stages over gloo, sharded as on GPUs.

Slow tests (each a few `accelerate launch` runs on 2 CPU cores): FSDP on 2 ranks equals 1 process with twice
the accumulation; a killed run resumes from its SHARDED_STATE_DICT checkpoint to the uninterrupted weights;
stages 2 and 3 start from consolidated FSDP checkpoints; `fsdp_multinode.yaml` on two "nodes" of this machine
(through recipes/fsdp_multinode.sbatch) equals two ranks on one node; the documented paper-config smoke
test runs. Fast tests: the CPU config mirrors the 8-GPU one, the sbatch script renders the paper's launch.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from test_training_helpers import build_stage1, build_stage2, build_stage3

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "recipes" / "configs" / "tiny"
ACCELERATE_CONFIGS = REPO / "recipes" / "accelerate"
SBATCH = REPO / "recipes" / "fsdp_multinode.sbatch"
ACCELERATE = Path(sys.executable).with_name("accelerate")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
LAUNCH_TIMEOUT = 420


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stage_args(stage: int, dataset: Path, out: Path, steps: int = 6, *extra: str, batch: bool = True) -> list[str]:
    """The recipe arguments of a tiny run: 2 sequences of 64 tokens per rank and step, a checkpoint every 3 steps."""
    return ["--config", str(TINY / f"stage{stage}.yaml"), "--dataset_path", str(dataset), "--output_dir", str(out),
            "--max_steps", str(steps), "--save_steps", "3", "--seq_len", "64", "--logging_steps", "1",
            "--disable_tqdm", "true", *(["--per_device_train_batch_size", "2"] if batch else []), *extra]  # fmt: skip


def launch_command(config: str, script: Path | str, args: list[str], *launch_flags: str) -> list[str]:
    return [str(ACCELERATE), "launch", "--config_file", str(ACCELERATE_CONFIGS / config), "--main_process_port",
            str(free_port()), *launch_flags, str(script), *args]  # fmt: skip


def run_job(command: list[str], env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a launcher in its own process group; past the timeout, kill the whole group (torchrun and its ranks)."""
    job = subprocess.Popen(command, env=env or ENV, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True)  # fmt: skip
    try:
        stdout, stderr = job.communicate(timeout=LAUNCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, signal.SIGKILL)
        stdout, stderr = job.communicate()
        pytest.fail(f"{command[:4]} ran past {LAUNCH_TIMEOUT} s:\n{stdout[-2000:]}{stderr[-4000:]}")
    return subprocess.CompletedProcess(command, job.returncode, stdout, stderr)


def run(command: list[str]) -> str:
    """Run to completion; the combined output, or a test failure that shows its tail."""
    done = run_job(command)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout + done.stderr


def losses(out: Path) -> list[float]:
    """The per-step losses of a run, from its last checkpoint's trainer state (full precision)."""
    last = max(out.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    return [e["loss"] for e in json.loads((last / "trainer_state.json").read_text())["log_history"] if "loss" in e]


def weights(folder: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(folder / "model.safetensors")


def assert_same_weights(actual: dict, expected: dict, atol: float) -> None:
    import torch

    assert sorted(actual) == sorted(expected)
    for name, tensor in expected.items():
        torch.testing.assert_close(actual[name], tensor, atol=atol, rtol=0, msg=lambda m, n=name: f"{n}: {m}")


def assert_sharded_checkpoint(checkpoint: Path, ranks: int = 2) -> None:
    """A SHARDED_STATE_DICT checkpoint: DCP shards of model and optimizer from every rank, no full weights file,
    and every 2-D weight split across the ranks (FULL_SHARD) rather than replicated."""
    from torch.distributed.checkpoint import FileSystemReader

    for part in ("pytorch_model_fsdp_0", "optimizer_0"):
        assert sorted(p.name for p in (checkpoint / part).glob("*.distcp")) == [f"__{r}_0.distcp" for r in range(ranks)]
    assert not (checkpoint / "model.safetensors").exists()
    metadata = FileSystemReader(str(checkpoint / "pytorch_model_fsdp_0")).read_metadata().state_dict_metadata
    matrices = {k: v for k, v in metadata.items() if len(getattr(v, "size", ())) == 2}
    assert matrices
    chunks = {name: len(m.chunks) for name, m in matrices.items()}
    assert set(chunks.values()) == {ranks}, chunks


@pytest.fixture(scope="module")
def data(tmp_path_factory, tiny_tokenizer_dir, stdlib_dir):
    root = tmp_path_factory.mktemp("fsdp")
    return {"root": root, 1: build_stage1(root, tiny_tokenizer_dir, stdlib_dir, count=16),
            2: build_stage2(root, stdlib_dir), 3: build_stage3(root, stdlib_dir)}  # fmt: skip


@pytest.fixture(scope="module")
def fsdp_alpha(data) -> Path:
    """Stage 1 on 2 CPU ranks with the 8-GPU config as a new user would run it: only the process count and the
    precision overridden."""
    out = data["root"] / "alpha_fsdp"
    log = run(launch_command("fsdp_8gpu.yaml", REPO / "recipes" / "stage1.py", stage_args(1, data[1], out),
                             "--num_processes", "2", "--mixed_precision", "no"))  # fmt: skip
    assert "FSDP2 on 2 CPU ranks over gloo, SHARDED_STATE_DICT checkpoints" in log
    return out


# ---- fast: the configs and the Slurm script ----


def _cluster_config(name: str):
    from accelerate.commands.config.config_args import ClusterConfig

    return ClusterConfig.from_yaml_file(str(ACCELERATE_CONFIGS / name))


def test_the_cpu_fsdp_config_is_the_8gpu_config_on_two_cpu_processes():
    cpu, gpu = _cluster_config("fsdp_cpu.yaml"), _cluster_config("fsdp_8gpu.yaml")
    assert cpu.fsdp_config == gpu.fsdp_config  # same sharding, wrap policy and checkpoint format
    assert cpu.fsdp_config["fsdp_state_dict_type"] == "SHARDED_STATE_DICT"
    assert (cpu.distributed_type, cpu.num_processes, cpu.use_cpu, cpu.mixed_precision) == ("FSDP", 2, True, "no")
    differing = {k for k, v in cpu.to_dict().items() if gpu.to_dict().get(k) != v}
    assert differing == {"num_processes", "use_cpu", "mixed_precision"}


def test_tied_embeddings_are_saved_once(tiny_llama_dir):
    from transformers import AutoModelForCausalLM

    from snowcoder_hf.training.fsdp import tied_parameter_copies

    model = AutoModelForCausalLM.from_pretrained(tiny_llama_dir)
    assert tied_parameter_copies(model) == ["lm_head.weight"]
    model.config.tie_word_embeddings = False
    model.lm_head.weight = type(model.lm_head.weight)(model.lm_head.weight.detach().clone())
    assert tied_parameter_copies(model) == []


def test_outside_an_fsdp_launch_accelerate_state_is_left_alone(monkeypatch):
    from snowcoder_hf.training.fsdp import fsdp_launch_on_cpu_ranks, shard_cpu_ranks_with_fsdp

    monkeypatch.delenv("ACCELERATE_USE_FSDP", raising=False)
    assert not fsdp_launch_on_cpu_ranks()
    assert not shard_cpu_ranks_with_fsdp("no")


FAKE_SCONTROL = """#!/bin/bash
# `scontrol show hostnames LIST`: the job's nodes, one per line.
printf '%s\\n' $FAKE_HOSTS
"""
FAKE_SRUN = """#!/bin/bash
# srun with one task per node, on this machine: the command once per node id, all at once; fails if one fails.
while [[ "$1" == -* ]]; do shift; done
pids=()
for ((node = 0; node < SLURM_NNODES; node++)); do
  SLURM_NODEID=$node SLURM_PROCID=$node "$@" > "$SRUN_LOGS/node$node.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
exit $status
"""
FAKE_ACCELERATE = """#!/bin/bash
# Record this node's launch line, one argument per line.
printf '%s\\n' "$@" > "$SRUN_LOGS/node$SLURM_NODEID.args"
"""


def run_sbatch(tmp_path: Path, nodes: int, args: list[str], *, accelerate: bool = False, **settings: str):
    """Run recipes/fsdp_multinode.sbatch as Slurm would on `nodes` nodes, with fake `srun`/`scontrol` (and a fake
    `accelerate` that records its arguments unless `accelerate`)."""
    bin_dir, logs = tmp_path / "bin", tmp_path / "srun"
    bin_dir.mkdir(exist_ok=True)
    logs.mkdir(exist_ok=True)
    fakes = {"srun": FAKE_SRUN, "scontrol": FAKE_SCONTROL, **({} if accelerate else {"accelerate": FAKE_ACCELERATE})}
    for name, body in fakes.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod((bin_dir / name).stat().st_mode | stat.S_IEXEC)
    env = {**ENV, "PATH": f"{bin_dir}{os.pathsep}{ACCELERATE.parent}{os.pathsep}{os.environ['PATH']}",
           "SRUN_LOGS": str(logs), "SLURM_NNODES": str(nodes), "SLURM_JOB_NODELIST": f"gpu-[1-{nodes}]",
           "SLURM_SUBMIT_DIR": str(REPO), "FAKE_HOSTS": " ".join(f"gpu-{n + 1}" for n in range(nodes)), **settings}  # fmt: skip
    return run_job(["bash", str(SBATCH), *args], env=env, cwd=tmp_path), logs


def test_the_sbatch_script_launches_fsdp_multinode_once_per_node_at_the_paper_global_batch(tmp_path):
    from accelerate.commands.launch import launch_command_parser

    from snowcoder_hf.training.launch import parse_recipe_args

    directives = dict(re.findall(r"^#SBATCH --([\w-]+)=(\S+)", SBATCH.read_text(), re.M))
    assert directives["ntasks-per-node"] == "1"  # one launcher per node; accelerate starts the node's ranks
    assert directives["gpus-per-node"] == str(_cluster_config("fsdp_8gpu.yaml").num_processes)
    done, logs = run_sbatch(tmp_path, 4, ["1", "--config", "recipes/configs/paper/stage1.yaml"])
    assert done.returncode == 0, done.stderr
    assert "512 sequences per step" in done.stdout
    for node in range(4):
        argv = (logs / f"node{node}.args").read_text().splitlines()
        assert argv[0] == "launch"
        launch = launch_command_parser().parse_args(argv[1:])  # only flags accelerate knows
        assert launch.config_file == "recipes/accelerate/fsdp_multinode.yaml"
        assert (launch.num_machines, launch.num_processes, launch.machine_rank) == (4, 32, node)
        assert (launch.main_process_ip, launch.main_process_port) == ("gpu-1", 29500)
        assert launch.training_script == "recipes/stage1.py"
        cpu = [] if _cuda() else ["--use_cpu", "true"]  # the paper config asks for bf16, which needs a GPU otherwise
        _, _, _, training = parse_recipe_args([*launch.training_script_args, *cpu])
        assert training.per_device_train_batch_size * training.gradient_accumulation_steps * 32 == 512


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.parametrize(("nodes", "args", "message"), [
    (3, ["1"], "GLOBAL_BATCH 512 is not a multiple of MICRO_BATCH x GPUS_PER_NODE x nodes = 48"),
    (2, ["4"], "the stage must be 1, 2 or 3, got '4'"),
    (2, [], "usage: sbatch --nodes N recipes/fsdp_multinode.sbatch STAGE"),
])  # fmt: skip
def test_the_sbatch_script_refuses_what_would_change_the_recipe_in_one_line(tmp_path, nodes, args, message):
    done, logs = run_sbatch(tmp_path, nodes, args)
    assert done.returncode != 0
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not list(logs.glob("*.args"))  # nothing launched


# ---- slow: real FSDP2 runs on 2 CPU ranks ----


@pytest.mark.slow
def test_fsdp_on_two_cpu_ranks_matches_one_process_with_twice_the_accumulation(data, fsdp_alpha):
    one = data["root"] / "alpha_one_process"
    run([sys.executable, str(REPO / "recipes" / "stage1.py"),
         *stage_args(1, data[1], one, 6, "--gradient_accumulation_steps", "2")])  # fmt: skip
    assert_sharded_checkpoint(fsdp_alpha / "checkpoint-3")  # FULL_SHARD, not data-parallel replicas
    summary = json.loads((fsdp_alpha / "train_summary.json").read_text())
    assert summary["tokens"] == 6 * 2 * 2 * 64  # two ranks counted
    # Tolerances: the same arithmetic but another reduction order (reduce-scatter over gloo vs a local sum).
    assert losses(fsdp_alpha) == pytest.approx(losses(one), rel=1e-5)
    assert len(losses(fsdp_alpha)) == 6
    assert_same_weights(weights(fsdp_alpha), weights(one), atol=1e-5)


STALLING_RECIPE = '''"""stage1.py with a callback that stalls the run after step {step} so that the test can kill it there."""
import os
import sys
import time
from pathlib import Path

from transformers import TrainerCallback

from snowcoder_hf.training.launch import run_recipe
from snowcoder_hf.training.runner import train_stage


class Stall(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == {step}:
            Path({markers!r}, f"rank{{args.process_index}}").write_text(str(os.getpid()))
            time.sleep(600)


def main(*args, config_file=None):
    return train_stage(1, *args, config_file=config_file, extra_callbacks=[Stall()])


sys.exit(run_recipe(1, main))
'''


def kill_when_stalled(command: list[str], markers: Path, ranks: int, log: Path) -> None:
    """Start `command` in its own process group, wait until every rank stalls, then SIGKILL the whole job."""
    with log.open("w") as out:
        job = subprocess.Popen(command, env=ENV, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + LAUNCH_TIMEOUT
        while len(list(markers.glob("rank*"))) < ranks:
            assert job.poll() is None, f"the run ended before it could be killed:\n{log.read_text()[-4000:]}"
            assert time.monotonic() < deadline, "the run never reached the step to kill it at"
            time.sleep(0.5)
    finally:
        os.killpg(job.pid, signal.SIGKILL)  # the launcher's process group: torchrun and its ranks
        for marker in markers.glob("rank*"):  # and the ranks by id, should they have left the group
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(marker.read_text()), signal.SIGKILL)
        job.wait(timeout=60)


@pytest.mark.slow
def test_a_killed_fsdp_run_resumes_from_its_sharded_checkpoint_to_the_uninterrupted_weights(data, fsdp_alpha, tmp_path):
    out, markers = tmp_path / "killed", tmp_path / "markers"
    markers.mkdir()
    recipe = tmp_path / "stalling_stage1.py"
    recipe.write_text(STALLING_RECIPE.format(step=5, markers=str(markers)))
    kill_when_stalled(launch_command("fsdp_cpu.yaml", recipe, stage_args(1, data[1], out)), markers, 2,
                      tmp_path / "killed.log")  # fmt: skip
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-3"]
    assert not (out / "model.safetensors").exists()
    assert_sharded_checkpoint(out / "checkpoint-3")

    log = run(launch_command("fsdp_cpu.yaml", REPO / "recipes" / "stage1.py", stage_args(1, data[1], out)))
    assert f"Loading model from {out / 'checkpoint-3' / 'pytorch_model_fsdp_0'}" in log
    assert f"Loading Optimizer from {out / 'checkpoint-3' / 'optimizer_0'}" in log
    assert json.loads((out / "train_summary.json").read_text())["resumed_from"] == str(out / "checkpoint-3")
    assert losses(out) == pytest.approx(losses(fsdp_alpha), rel=1e-6)
    assert_same_weights(weights(out), weights(fsdp_alpha), atol=1e-6)


def first_step_loss(model_dir: Path, dataset_path: Path, *, steps: int, seq_len: int = 64, sequences: int = 4) -> float:
    """The loss of `model_dir` on the first global batch a run of `steps` steps over `dataset_path` trains on
    (the recipes' order: seeded packing, sequential batches; 2 ranks x 2 sequences)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, default_data_collator

    from snowcoder_hf.training.packing import PackedSequences
    from snowcoder_hf.training.sources import load_sources, resolve_specs

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    sources = load_sources(resolve_specs(str(dataset_path)), tokenizer, needed_tokens=steps * sequences * seq_len,
                           margin_tokens=2 * seq_len)  # fmt: skip
    dataset = PackedSequences(sources, seq_len, seed=42)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.config.use_cache = False  # as in training: the packed-document mask
    with torch.no_grad():
        return model(**default_data_collator([dataset[i] for i in range(sequences)])).loss.item()


def consolidate(checkpoint: Path, tmp_path: Path) -> dict:
    """The full weights held by a sharded checkpoint, gathered offline with torch's DCP tools."""
    import torch
    from torch.distributed.checkpoint.format_utils import dcp_to_torch_save

    dcp_to_torch_save(str(checkpoint / "pytorch_model_fsdp_0"), str(tmp_path / "full.pt"))
    return torch.load(tmp_path / "full.pt", weights_only=True)["model"]


@pytest.mark.slow
def test_stages_2_and_3_continue_fsdp_trained_checkpoints_saved_as_save_pretrained_folders(data, fsdp_alpha, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from snowcoder_hf.hub.cards import split_front_matter

    full = consolidate(fsdp_alpha / "checkpoint-6", tmp_path)
    saved = weights(fsdp_alpha)
    assert set(full) - set(saved) == {"lm_head.weight"}  # tied to the embeddings: written once
    assert_same_weights(saved, {k: full[k] for k in saved}, atol=0)  # the last shards, gathered

    beta, final = data["root"] / "beta_fsdp", data["root"] / "final_fsdp"
    run(launch_command("fsdp_cpu.yaml", REPO / "recipes" / "stage2.py",
                       stage_args(2, data[2], beta, 4, "--model_name_or_path", str(fsdp_alpha))))  # fmt: skip
    run(launch_command("fsdp_cpu.yaml", REPO / "recipes" / "stage3.py",
                       stage_args(3, data[3], final, 4, "--model_name_or_path", str(beta))))  # fmt: skip
    for stage, base, out, dataset in ((2, fsdp_alpha, beta, data[2]), (3, beta, final, data[3])):
        for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md"):
            assert (out / name).exists(), f"{out.name} lacks {name}"
        assert_sharded_checkpoint(out / "checkpoint-3")
        meta, body = split_front_matter((out / "README.md").read_text())
        assert f"stage-{stage}" in meta["tags"]
        assert str(base) in body  # the card names its base checkpoint
        # Every rank started from the base weights (rank 0 loads, FSDP broadcasts): the first loss is theirs.
        assert losses(out)[0] == pytest.approx(first_step_loss(base, dataset, steps=4), rel=1e-5)
    model, tokenizer = AutoModelForCausalLM.from_pretrained(final), AutoTokenizer.from_pretrained(final)
    generated = model.generate(**tokenizer("def add(a, b):", return_tensors="pt"), max_new_tokens=4, do_sample=False)
    assert generated.shape[1] > len(tokenizer("def add(a, b):")["input_ids"])


@pytest.mark.slow
def test_fsdp_multinode_on_two_nodes_of_this_machine_trains_as_two_ranks_on_one_node(data, fsdp_alpha, tmp_path):
    out = tmp_path / "alpha_two_nodes"
    recipe = stage_args(1, data[1], out, batch=False)  # the script passes MICRO_BATCH (2) as the per-device batch
    done, logs = run_sbatch(tmp_path, 2, ["1", *recipe], accelerate=True,
                            FAKE_HOSTS="127.0.0.1", GPUS_PER_NODE="1", GLOBAL_BATCH="4", MASTER_PORT=str(free_port()),
                            LAUNCH_ARGS="--rdzv_backend static --mixed_precision no")  # fmt: skip
    node_logs = {n: (logs / f"node{n}.log").read_text() for n in (0, 1)}
    assert done.returncode == 0, done.stderr + node_logs[0][-3000:] + node_logs[1][-3000:]
    assert "rendezvous 127.0.0.1:" in done.stdout
    assert "2 x 1 x 2 = 4 sequences per step" in done.stdout
    for log in node_logs.values():
        assert "FSDP2 on 2 CPU ranks over gloo" in log
    assert_sharded_checkpoint(out / "checkpoint-3")
    assert losses(out) == pytest.approx(losses(fsdp_alpha), rel=1e-6)
    assert_same_weights(weights(out), weights(fsdp_alpha), atol=1e-6)


def documented_smoke_test() -> str:
    """The CPU FSDP smoke test of the paper's stage-1 config, as docs/training.md gives it."""
    text = (REPO / "docs" / "training.md").read_text()
    commands = [line for block in re.findall(r"```bash\n(.*?)```", text, re.S)
                for line in re.sub(r"\\\n\s*", " ", block).splitlines()
                if "fsdp_cpu.yaml" in line and "configs/paper/stage1.yaml" in line]  # fmt: skip
    assert len(commands) == 1, commands
    return commands[0]


@pytest.mark.slow
def test_the_documented_paper_config_smoke_test_runs_on_cpu_fsdp(data, tmp_path):
    command = documented_smoke_test().replace("outputs/tiny/stage1", str(data[1]))
    words = shlex.split(command.replace("outputs/smoke", str(tmp_path)))
    assert words[:2] == ["accelerate", "launch"]
    log = run([str(ACCELERATE), "launch", "--main_process_port", str(free_port()), *words[2:]])
    assert "FSDP2 on 2 CPU ranks over gloo, SHARDED_STATE_DICT checkpoints, mixed precision bf16" in log  # bf16: true
    summary = json.loads((tmp_path / "alpha" / "train_summary.json").read_text())
    config = yaml.safe_load((REPO / "recipes" / "configs" / "paper" / "stage1.yaml").read_text())
    assert summary["steps"] == 4
    assert summary["parameters"] < 1_000_000  # the tiny preset, with the paper's schedule
    card = (tmp_path / "alpha" / "README.md").read_text()
    assert f"lr_schedule: {config['lr_schedule']}" in card
    assert "model_preset: tiny" in card
    assert (tmp_path / "alpha" / "model.safetensors").exists()
