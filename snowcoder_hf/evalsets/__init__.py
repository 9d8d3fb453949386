"""The evaluation-benchmark registry: HumanEval(+), MBPP(+), EvoEval and BigCodeBench as one item type."""
