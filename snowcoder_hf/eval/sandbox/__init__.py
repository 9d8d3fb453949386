"""The execution sandbox: namespaces, a per-slot uid, rlimits and a cgroup around untrusted programs."""
