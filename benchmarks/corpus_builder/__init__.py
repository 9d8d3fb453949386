"""Builds a the-stack shaped parquet corpus from real packages of the Debian, npm and PyPI registries.

`benchmarks/corpus.py` is the command line; the modules here each own one step: `packages` (the pinned
package tables), `registries` (download and unpack with a cache), `licenses` (SPDX ids from DEP-5,
package.json and PKG-INFO), `files` (a repository tree to files with a language), `shards` (parquet
shards per language), `build` (the whole build and its manifest) and `audit` (stage-1 filters on it).
"""
