"""A throwaway cgroup per sandboxed program: a memory and a pids limit for its whole process tree.

Resource limits are per process; a fork bomb whose children each allocate memory gets past
`RLIMIT_AS`. A cgroup bounds the tree. Works with cgroup v2 (unified) and v1 (`memory` and `pids`
hierarchies), where the cgroup filesystem is writable (root, or a delegated subtree); otherwise
`SandboxCgroup.create` returns None and the sandbox relies on rlimits, the per-slot uid and the PID
namespace.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")
_COUNTER = itertools.count()


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path in `controller`'s hierarchy ("" for v2), from /proc/self/cgroup."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return None


class SandboxCgroup:
    def __init__(self, dirs: list[Path], version: int):
        self.dirs = dirs
        self.version = version

    @classmethod
    def create(cls, memory_mb: int, max_processes: int) -> SandboxCgroup | None:
        name = f"snowcoder-sandbox-{os.getpid()}-{next(_COUNTER)}"
        try:
            if (_ROOT / "cgroup.controllers").exists():
                return cls._create_v2(name, memory_mb, max_processes)
            return cls._create_v1(name, memory_mb, max_processes)
        except OSError:
            return None

    @classmethod
    def _create_v2(cls, name: str, memory_mb: int, max_processes: int) -> SandboxCgroup | None:
        own = _own_cgroup("")  # the v2 line is "0::/path": its controller list is empty
        if own is None:
            return None
        folder = _ROOT / own.lstrip("/") / name
        folder.mkdir()
        group = cls([folder], 2)
        try:
            (folder / "memory.max").write_text(str(memory_mb << 20))
            if (folder / "memory.swap.max").exists():
                (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(max_processes))
        except OSError:
            group.remove()
            return None
        return group

    @classmethod
    def _create_v1(cls, name: str, memory_mb: int, max_processes: int) -> SandboxCgroup | None:
        dirs = []
        for controller, settings in (
            ("memory", {"memory.limit_in_bytes": memory_mb << 20}),
            ("pids", {"pids.max": max_processes}),
        ):
            own = _own_cgroup(controller)
            base = _ROOT / controller
            if own is None or not base.is_dir():
                continue
            folder = base / own.lstrip("/") / name
            folder.mkdir()
            dirs.append(folder)
            group = cls(dirs, 1)
            try:
                for key, value in settings.items():
                    (folder / key).write_text(str(value))
            except OSError:
                group.remove()
                return None
        return cls(dirs, 1) if dirs else None

    @property
    def procs_files(self) -> list[str]:
        return [str(folder / "cgroup.procs") for folder in self.dirs]

    def _pids(self) -> list[int]:
        pids = set()
        for folder in self.dirs:
            try:
                pids.update(int(p) for p in (folder / "cgroup.procs").read_text().split())
            except OSError:
                continue  # already removed
        return sorted(pids)

    def kill_all(self) -> None:
        """SIGKILL whatever is left in the group (a process that escaped the process group)."""
        if self.version == 2 and (self.dirs[0] / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                (self.dirs[0] / "cgroup.kill").write_text("1")
        for _ in range(3):
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def oom_killed(self) -> bool:
        for folder in self.dirs:
            try:
                if self.version == 2:
                    events = dict(line.split() for line in (folder / "memory.events").read_text().splitlines())
                    if int(events.get("oom_kill", 0)) > 0:
                        return True
                elif (folder / "memory.failcnt").exists() and int((folder / "memory.failcnt").read_text()) > 0:
                    oom = dict(line.split() for line in (folder / "memory.oom_control").read_text().splitlines())
                    if int(oom.get("oom_kill", 0)) > 0:
                        return True
            except (OSError, ValueError):
                continue
        return False

    def remove(self) -> None:
        """rmdir each group; a group still holding dying processes is retried briefly."""
        for folder in self.dirs:
            for attempt in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill_all()
                    time.sleep(0.01 * (attempt + 1))
