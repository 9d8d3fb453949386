"""Hostile programs run in the sandbox are contained, reported as failures, and leave the host unharmed."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from snowcoder_hf.eval.sandbox.runner import SandboxResult, run_many, run_python, sandbox_isolation

REPO_ROOT = Path(__file__).resolve().parents[1]
namespaced = pytest.mark.skipif(sandbox_isolation() == "rlimits", reason="needs namespaces (root or user namespaces)")


def _processes_with(marker: str) -> list[int]:
    """Host pids whose command line or environment mentions `marker` (a leftover of a sandbox)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _host_still_works() -> None:
    done = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "42"


def test_a_well_behaved_program_runs_with_stdin_and_files():
    result = run_python(
        "import sys\nprint(sys.stdin.read().upper(), open('data.txt').read())",
        stdin="hello",
        files={"data.txt": "world"},
    )
    assert isinstance(result, SandboxResult)
    assert result.status == "ok"
    assert result.returncode == 0
    assert result.stdout.strip() == "HELLO world"


def test_infinite_loop_times_out_and_leaves_no_process_behind():
    marker = f"marker-{uuid.uuid4().hex}"
    result = run_python(f"# {marker}\nimport subprocess, sys\n"
                        f"subprocess.Popen([sys.executable, '-c', 'while True: pass', '{marker}'])\n"
                        "while True:\n    pass\n", timeout_s=1.5)  # fmt: skip
    assert result.status == "timeout"
    assert result.wall_s < 10
    assert _processes_with(marker) == []
    _host_still_works()


def test_fork_bomb_is_bounded_and_killed():
    marker = f"marker-{uuid.uuid4().hex}"
    bomb = (f"# {marker}\nimport os, time\nwhile True:\n    try:\n        os.fork()\n"
            "    except OSError:\n        time.sleep(0.01)\n")  # fmt: skip
    result = run_python(bomb, timeout_s=2, max_processes=16)
    assert result.status in ("timeout", "killed", "error")
    assert _processes_with(marker) == []
    _host_still_works()


def test_memory_bomb_is_reported_as_oom():
    result = run_python("blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 2**20))\n", memory_mb=256)
    assert result.status == "oom"
    _host_still_works()


@namespaced
def test_writes_outside_the_temp_dir_do_not_reach_the_host():
    name = f"sandbox-escape-{uuid.uuid4().hex}"
    targets = [REPO_ROOT / name, Path.home() / name, Path("/tmp") / name, Path("/var/tmp") / name]
    source = "import sys\nfor path in sys.argv[1:] or %r:\n" % [str(t) for t in targets] + (
        "    try:\n        open(path, 'w').write('x')\n        print('wrote', path)\n"
        "    except OSError as err:\n        print('refused', path, err.errno)\n"
    )
    result = run_python(source)
    assert result.status == "ok", result.stderr
    for target in targets:
        assert not target.exists(), f"{target} reached the host"
    # The project and the home are not even readable: they are covered by empty mounts.
    listing = run_python(f"import os\nprint(sorted(os.listdir({str(REPO_ROOT)!r})))")
    assert "snowcoder_hf" not in listing.stdout
    assert "tests" not in listing.stdout


@namespaced
def test_os_system_runs_unprivileged_and_cannot_touch_the_project():
    name = f"sandbox-shell-{uuid.uuid4().hex}"
    result = run_python(f"import os\ncode = os.system('touch {REPO_ROOT / name} 2>/dev/null')\nprint(code)\n"
                        "raise SystemExit(1 if code else 0)")  # fmt: skip
    assert result.status == "error"
    assert not (REPO_ROOT / name).exists()


@namespaced
def test_sockets_cannot_reach_a_server_on_the_host():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        with contextlib.suppress(OSError):
            accepted.append(server.accept())

    result = run_python(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).send(b'x')")
    thread = threading.Thread(target=accept)
    thread.start()
    thread.join()
    server.close()
    assert result.status == "error"
    assert "unreachable" in result.stderr.lower() or "refused" in result.stderr.lower()
    assert accepted == []


def test_sys_exit_zero_is_an_ok_status_but_prints_nothing_after_it():
    result = run_python("import sys\nprint('before')\nsys.exit(0)\nprint('after')")
    assert result.status == "ok"
    assert result.stdout == "before\n"


def test_huge_output_is_capped_and_bad_bytes_are_replaced():
    result = run_python("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe' + b'a' * (8 * 2**20))", max_file_mb=32)
    assert result.status == "ok"
    assert len(result.stdout) <= 2**20
    assert result.stdout.startswith("\ufffd")


def test_programs_run_in_parallel_and_keep_their_order():
    jobs = [{"source": f"import time\nstart = time.time()\ntime.sleep(1)\nprint({i}, start, time.time())"}
            for i in range(4)]  # fmt: skip
    results = run_many(jobs, workers=4)
    spans = [tuple(map(float, r.stdout.split()[1:])) for r in results]
    assert [int(r.stdout.split()[0]) for r in results] == [0, 1, 2, 3]
    # Every program started before the first one ended: they ran side by side.
    assert max(start for start, _ in spans) < min(end for _, end in spans)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"timeout_s": 0}, "timeout_s"), ({"memory_mb": 1}, "memory_mb"), ({"max_processes": 0}, "max_processes")],
)
def test_bad_limits_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        run_python("pass", **kwargs)
