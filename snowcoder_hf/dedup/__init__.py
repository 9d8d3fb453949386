"""The dedup engine behind the pipeline blocks: code token hashing, MinHash sketches and the keep rule."""
