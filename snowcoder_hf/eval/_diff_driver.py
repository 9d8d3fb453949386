"""The sandboxed half of differential testing; appended to the source of `oracle.py` and run as
`__main__` inside the sandbox. Reads `job.json` and `solution.py` from its working directory and
a nonce from stdin, runs the solution's entry point on each input, and writes one line:
"<nonce> <json record>" to a duplicate of stdout taken before the solution ran.
Outputs are checked again on the host: this side only stops early (EvalPlus's fast check).
"""

import contextlib
import copy
import io
import json
import os
import signal
import sys
import time


class _Sink(io.TextIOBase):
    def write(self, text):
        return len(text)


def _on_alarm(signum, frame):
    raise TimeoutError("time limit per input exceeded")


def _run_split(fn, job, split, record):
    inputs = job[split]["inputs"]
    if job["dataset"] == "mbpp":
        inputs = mbpp_deserialize_inputs(job["task_id"], inputs)  # noqa: F821 (oracle.py, prepended)
    elif job["dataset"].startswith("evoeval_"):
        inputs = evo_parse_inputs(inputs)  # noqa: F821
    expected = job[split].get("expected")
    expected = None if expected is None else [decode(e) for e in expected]  # noqa: F821
    limits = job[split].get("time_limits")
    atol = job["atol"]
    result = record[split] = {"outputs": [], "times": [], "error": None, "mismatch": None}
    for i, inp in enumerate(inputs):
        args = copy.deepcopy(inp)
        start = time.perf_counter()
        try:
            if limits:
                signal.setitimer(signal.ITIMER_REAL, limits[i])
            with contextlib.redirect_stdout(_Sink()), contextlib.redirect_stderr(_Sink()):
                out = fn(*args)
        except BaseException as err:  # the solution's own exception, SystemExit included
            result["error"] = f"{type(err).__name__}: {err}"[:500]
            result["error_kind"] = "timeout" if isinstance(err, TimeoutError) else "error"
            return False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result["times"].append(time.perf_counter() - start)
        if job.get("output_not_none"):
            out = out is not None
        sent = wire(out)  # noqa: F821
        result["outputs"].append(sent)
        if expected is not None:
            got = decode(sent) if isinstance(expected[i], Opaque) and expected[i].type_name == "digest" else out  # noqa: F821
            passed, atol = outputs_match(  # noqa: F821
                job["dataset"], job["entry_point"], inp, got, expected[i], atol, job["task_id"]
            )
            if not passed:
                result["mismatch"] = i
                return False
    return True


def _main():
    nonce = sys.stdin.readline().strip()
    out_fd = os.dup(1)
    with open("job.json") as handle:
        job = json.load(handle)
    with open("solution.py", encoding="utf-8", errors="surrogateescape") as handle:
        solution = handle.read()
    record = {"load_error": None}
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        namespace = {}
        with contextlib.redirect_stdout(_Sink()), contextlib.redirect_stderr(_Sink()):
            exec(compile(solution, "solution.py", "exec"), namespace)
        fn = namespace[job["entry_point"]]
    except BaseException as err:
        record["load_error"] = f"{type(err).__name__}: {err}"[:500]
    else:
        for split in job["splits"]:
            if not _run_split(fn, job, split, record) and job.get("fast_check", True):
                break
    os.write(out_fd, (nonce + " " + json.dumps(record) + "\n").encode())


_main()
