"""The sandboxed half of test-code checking (BigCodeBench's unittest classes, HumanEval's `check`);
run as `__main__` inside the sandbox. Reads `job.json` and `under_test.py` (solution + test code) and a
nonce from stdin; writes "<nonce> <json record>" to a duplicate of stdout taken before the solution
ran. The unittest machinery is snapshotted first: a solution that patches it is reported as tampered.
"""

import json
import os
import sys
import types
import unittest

_GUARDED = (unittest.TestCase, unittest.TestResult, unittest.TestSuite, unittest.TestLoader, unittest.case,
            unittest.result, unittest.suite, unittest.loader, unittest)  # fmt: skip


def _snapshot():
    return {(id(owner), name): value for owner in _GUARDED for name, value in vars(owner).items()}


def _main():
    nonce = sys.stdin.readline().strip()
    out_fd = os.dup(1)
    with open("job.json") as handle:
        job = json.load(handle)
    with open("under_test.py", encoding="utf-8", errors="surrogateescape") as handle:
        program = handle.read()
    before = _snapshot()
    test_result_cls, loader = unittest.TestResult, unittest.TestLoader()
    record = {"load_error": None, "tampered": False}
    module = types.ModuleType("__test__")
    module.__dict__.update({"__file__": os.path.abspath("__test__.py"), "__package__": None, "sys": sys, "os": os})
    sys.modules["__test__"] = module
    try:
        exec(compile(program, "__test__.py", "exec"), module.__dict__)
    except BaseException as err:  # the solution's own exception, SystemExit included
        record["load_error"] = f"{type(err).__name__}: {err}"[:1000]
    else:
        if job["mode"] == "unittest":
            suite = loader.loadTestsFromTestCase(module.__dict__["TestCases"])
            result = test_result_cls()
            try:
                suite.run(result)
            except BaseException as err:
                record["load_error"] = f"{type(err).__name__} while testing: {err}"[:1000]
            record["tests_run"] = result.testsRun
            record["failures"] = [f"{test.id()}: {text[-800:]}" for test, text in result.failures + result.errors]
        else:  # "check": HumanEval-style `check(candidate)` raises on failure
            try:
                module.__dict__["check"](module.__dict__[job["entry_point"]])
                record["failures"] = []
            except BaseException as err:
                record["failures"] = [f"{type(err).__name__}: {err}"[:1000]]
    after = _snapshot()
    # Imports add attributes (unittest.mock); replacing or deleting one is what a patch does.
    record["tampered"] = any(after.get(key, _snapshot) is not value for key, value in before.items())
    os.write(out_fd, (nonce + " " + json.dumps(record) + "\n").encode())


_main()
