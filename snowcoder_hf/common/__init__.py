"""Plumbing shared by every stage: languages, code text, notebooks, reports, executors and offline models."""
