"""Benchmark decontamination for code: token streams, n-gram index, matcher and phi-1-style audit."""
