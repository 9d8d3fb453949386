"""Evaluation: the sandboxed harness, EvalPlus-compatible oracles, pass@k, reports and lighteval tasks."""
