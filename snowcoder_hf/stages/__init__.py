"""The stage orchestrations (stage-1, stage-2 and stage-3 data): config dataclass, run() and report each."""
