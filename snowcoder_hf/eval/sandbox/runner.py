"""Run untrusted Python in a separate, OS-confined process.

`run_python(source)` starts one process per program and confines it with kernel mechanisms, not
in-process guards:

- **namespaces** (`unshare`): a private network namespace (no interface is up, so nothing is
  reachable, not even the host's loopback), a PID namespace (when its first process dies, the kernel
  kills every process left in it, including ones that called `setsid`), a mount namespace and an IPC
  namespace;
- **a private filesystem view**: fresh tmpfs mounts on `/tmp`, `/var/tmp` and `/dev/shm` (the working
  directory lives there and disappears with the namespace); the user's home and the project are
  covered by empty tmpfs mounts, with only the Python installation bound back, read-only;
- **an unprivileged user**: when started as root, the program runs as a per-slot uid with no
  passwd entry, so it cannot write anything root owns and `RLIMIT_NPROC` binds (it does not bind root);
- **resource limits**: `RLIMIT_AS` (memory), `RLIMIT_CPU`, `RLIMIT_NPROC`, `RLIMIT_FSIZE`,
  `RLIMIT_NOFILE`, no core files; plus a cgroup memory and pids limit for the whole process tree
  where the cgroup filesystem is writable;
- **its own process group and session**, killed with SIGKILL on the wall-clock timeout.

`sandbox_isolation()` says which tier this machine gives: `"namespaces+uid"` (root),
`"namespaces"` (unprivileged user namespaces) or `"rlimits"` (neither is available: resource limits,
process group and temp directory only, and no network isolation; a warning is logged once).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from snowcoder_hf.eval.sandbox.cgroup import SandboxCgroup

logger = logging.getLogger(__name__)

STATUSES = ("ok", "error", "timeout", "oom", "killed")
_BOOT = Path(__file__).with_name("boot.py")


@dataclass
class SandboxResult:
    """How one program ended. `status` is one of "ok", "error", "timeout", "oom", "killed"."""

    status: str
    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _can_unshare(flags: tuple[str, ...]) -> bool:
    unshare = shutil.which("unshare")
    if unshare is None:
        return False
    try:
        done = subprocess.run([unshare, *flags, "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


_NS_FLAGS = ("--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--ipc")


@functools.cache
def sandbox_isolation() -> str:
    """The confinement tier this machine gives: "namespaces+uid", "namespaces" or "rlimits"."""
    if os.geteuid() == 0 and _can_unshare(_NS_FLAGS):
        return "namespaces+uid"
    if _can_unshare(("--user", "--map-root-user", *_NS_FLAGS)):
        return "namespaces"
    logger.warning(
        "Neither root nor unprivileged user namespaces are available: sandboxed programs get resource "
        "limits, their own process group and a temp dir, but NO network isolation."
    )
    return "rlimits"


class _UidPool:
    """Distinct uids for programs running at the same time, so that one program's fork bomb
    (bounded by RLIMIT_NPROC, which counts per uid) cannot starve a neighbour of processes."""

    def __init__(self, base: int, size: int = 64):
        self._free = list(range(base, base + size))
        self._cond = threading.Condition()

    def acquire(self) -> int:
        with self._cond:
            while not self._free:
                self._cond.wait()
            return self._free.pop(0)

    def release(self, uid: int) -> None:
        with self._cond:
            self._free.append(uid)
            self._cond.notify()


# Offset by pid so that two host processes sandboxing at once do not share uids either.
_UIDS = _UidPool(base=200_000 + (os.getpid() % 20_000) * 64)


def _hidden_paths() -> list[str]:
    """The user's home, the working directory and this project: covered in the sandbox."""
    candidates = {Path.home(), Path.cwd(), Path(__file__).resolve().parents[3]}  # the project checkout
    system = {"/", "/tmp", "/usr", "/bin", "/lib", "/lib64", "/etc", "/proc", "/dev", "/sys", "/var"}
    return sorted({str(p.resolve()) for p in candidates if str(p.resolve()) not in system})


def _kept_paths() -> list[str]:
    """The interpreter, its standard library and site-packages: bound back if a hidden path covers them."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(Path(sys.executable).parent)}
    paths.add(str(Path(os.path.realpath(sys.executable)).parents[1]))
    return sorted({os.path.realpath(p) for p in paths} | paths)


def _env(home: str) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }


def _read_capped(path: Path, max_bytes: int) -> str:
    with open(path, "rb") as handle:
        data = handle.read(max_bytes)
    return data.decode("utf-8", errors="replace")


def _classify(returncode: int | None, timed_out: bool, stderr: str, cgroup_oom: bool) -> str:
    if timed_out or returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return "timeout"
    tail = stderr.strip().splitlines()[-1:] if stderr.strip() else []
    if cgroup_oom or (tail and tail[0].startswith("MemoryError")):
        return "oom"
    if returncode == 0:
        return "ok"
    if returncode is not None and (returncode < 0 or returncode >= 128 + 1):
        # unshare re-raises its child's fatal signal, and a shell reports it as 128 + signal
        return "killed" if returncode in (-signal.SIGKILL, 128 + signal.SIGKILL) else "error"
    return "error"


def _validate(timeout_s: float, memory_mb: int, max_processes: int, max_file_mb: int) -> None:
    if not timeout_s > 0:
        raise ValueError(f"`timeout_s` must be a positive number of seconds, got {timeout_s!r}.")
    if memory_mb < 64:
        raise ValueError(f"`memory_mb` must be at least 64 (MiB), got {memory_mb!r}.")
    if max_processes < 1:
        raise ValueError(f"`max_processes` must be at least 1, got {max_processes!r}.")
    if max_file_mb < 1:
        raise ValueError(f"`max_file_mb` must be at least 1 (MiB), got {max_file_mb!r}.")


def run_python(
    source: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 2048,
    stdin: str | None = None,
    files: dict[str, str] | None = None,
    max_processes: int = 32,
    max_file_mb: int = 64,
    max_output_mb: int = 1,
) -> SandboxResult:
    """Run `source` as `__main__` in a fresh, confined Python process and report how it ended.

    `files` are written into the program's working directory first (name -> text). The program
    gets `timeout_s` of wall time (and as much CPU time), `memory_mb` of address space (and, with
    cgroups, of resident memory for its whole process tree), `max_processes` processes and threads,
    files of at most `max_file_mb`, no network, and a private, empty `/tmp` as home and cwd.
    Of stdout and stderr, the first `max_output_mb` each are read back.
    """
    _validate(timeout_s, memory_mb, max_processes, max_file_mb)
    tier = sandbox_isolation()
    host_dir = Path(tempfile.mkdtemp(prefix="snowcoder-sandbox-"))
    uid = _UIDS.acquire() if tier == "namespaces+uid" else None
    cgroup = SandboxCgroup.create(memory_mb=memory_mb, max_processes=max_processes)
    try:
        (host_dir / "program.py").write_text(source, encoding="utf-8", errors="surrogateescape")
        workdir = "/tmp/sandbox" if tier != "rlimits" else str(host_dir / "work")
        config = {
            "program": str(host_dir / "program.py"),
            "files": files or {},
            "workdir": workdir,
            "private_mounts": tier != "rlimits",
            "hide": _hidden_paths() if tier != "rlimits" else [],
            "keep": _kept_paths(),
            "uid": uid,
            "cgroup_procs": cgroup.procs_files if cgroup else [],
            "limits": {
                "as_bytes": memory_mb << 20,
                "cpu_s": int(timeout_s) + 1,
                "nproc": max_processes,
                "fsize_bytes": max_file_mb << 20,
            },
        }
        (host_dir / "config.json").write_text(json.dumps(config))
        command = [sys.executable, "-I", str(_BOOT), str(host_dir / "config.json")]
        if tier == "namespaces+uid":
            command = [shutil.which("unshare"), *_NS_FLAGS, *command]
        elif tier == "namespaces":
            command = [shutil.which("unshare"), "--user", "--map-root-user", *_NS_FLAGS, *command]
        return _spawn(command, host_dir, workdir, stdin, timeout_s, cgroup, max_output_mb << 20)
    finally:
        if cgroup:
            cgroup.remove()
        if uid is not None:
            _UIDS.release(uid)
        shutil.rmtree(host_dir, ignore_errors=True)


def _spawn(command, host_dir: Path, workdir: str, stdin, timeout_s: float, cgroup, max_bytes: int) -> SandboxResult:
    stdin_data = (stdin or "").encode("utf-8", errors="surrogateescape")
    start = time.perf_counter()
    timed_out = False
    with (
        open(host_dir / "stdout", "wb") as out,
        open(host_dir / "stderr", "wb") as err,
        tempfile.TemporaryFile() as stdin_file,
    ):
        stdin_file.write(stdin_data)
        stdin_file.seek(0)
        proc = subprocess.Popen(
            command,
            stdin=stdin_file,
            stdout=out,
            stderr=err,
            cwd="/",
            env=_env(workdir),
            start_new_session=True,  # own session and process group: one killpg reaches them all
            close_fds=True,
        )
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            returncode = None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # also reaps children left behind after a normal exit
            if cgroup:
                cgroup.kill_all()
            if returncode is None:
                proc.wait()
    wall_s = time.perf_counter() - start
    stdout, stderr = _read_capped(host_dir / "stdout", max_bytes), _read_capped(host_dir / "stderr", max_bytes)
    status = _classify(returncode, timed_out, stderr, bool(cgroup and cgroup.oom_killed()))
    return SandboxResult(status=status, returncode=returncode, stdout=stdout, stderr=stderr, wall_s=wall_s)


def run_many(
    jobs: Iterable[dict],
    *,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[SandboxResult]:
    """Run many programs in parallel, one sandbox each; `jobs` are `run_python` keyword dicts
    (`{"source": ..., "timeout_s": ...}`). Results come back in the order of `jobs`.

    `workers` defaults to every core; `progress(1)` is called as each program finishes.
    """
    jobs = list(jobs)
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"`workers` must be at least 1, got {workers!r}.")

    def one(job: dict) -> SandboxResult:
        result = run_python(**job)
        if progress:
            progress(1)
        return result

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))
