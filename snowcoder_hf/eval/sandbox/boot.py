"""The first code a sandboxed process runs (see `snowcoder_hf.eval.sandbox.runner`); standard library only.

Started as `python -I boot.py CONFIG` inside fresh namespaces, still privileged there, it
joins the program's cgroups, builds the private filesystem view, sets the resource limits, drops to
the sandbox uid, forbids regaining privileges, and only then runs the untrusted program as `__main__`.
"""

import ctypes
import json
import os
import resource
import runpy
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 32, 4096, 16384
PR_SET_NO_NEW_PRIVS = 38
_PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _mount(libc, source, target, fstype, flags, data=None):
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _under(path, parent):
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _private_filesystem(libc, hide, keep, uid):
    """Cover `hide` and the temp dirs with empty tmpfs; bind the `keep` paths they cover back, read-only."""
    covers = []
    for path in sorted(set(hide) | set(_PRIVATE_TMP), key=len):
        if os.path.isdir(path) and not any(_under(path, c) for c in covers):
            covers.append(path)
    rebinds = [k for k in keep if os.path.isdir(k) and any(_under(k, c) for c in covers)]
    fds = {k: os.open(k, os.O_PATH | os.O_DIRECTORY) for k in rebinds}  # before covering them
    for path in covers:
        mode = "1777" if path in _PRIVATE_TMP else "0755"
        _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode},size=512m")
    for path in sorted(rebinds, key=len):
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fds[path]}", path, None, MS_BIND | MS_REC)
        _mount(libc, None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fds[path])


def main(config_path):
    with open(config_path) as handle:
        config = json.load(handle)
    with open(config["program"], encoding="utf-8", errors="surrogateescape") as handle:
        source = handle.read()
    for procs in config["cgroup_procs"]:
        with open(procs, "w") as handle:
            handle.write("0")  # this process; children inherit the group
    libc = _libc()
    uid = config["uid"]
    if config["private_mounts"]:
        _private_filesystem(libc, config["hide"], config["keep"], uid)
    workdir = config["workdir"]
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    program_path = os.path.join(workdir, "program.py")
    for name, text in {**config["files"], "program.py": source}.items():
        target = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(text)
    if uid is not None:
        for root, dirs, files in os.walk(workdir):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.chown(name, uid, uid)
    limits = config["limits"]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize_bytes"], limits["fsize_bytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    resource.setrlimit(resource.RLIMIT_AS, (limits["as_bytes"], limits["as_bytes"]))
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    os.chdir(workdir)
    sys.argv = [program_path]
    sys.path[0] = workdir
    del source, config, libc
    runpy.run_path(program_path, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1])
