"""Pretraining recipes for the three Arctic-SnowCoder phases: presets, schedules, packed data and checks.

Importing this package imports no torch; each module imports its heavy dependencies where it needs them.
The recipes in `recipes/stage{1,2,3}.py` are thin scripts over `snowcoder_hf.training.runner.train_stage`.
"""
