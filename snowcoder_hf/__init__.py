"""snowcoder_hf: the Arctic-SnowCoder recipe as Hugging Face ecosystem plugins.

Importing the package is cheap: it imports no torch, datatrove or transformers. Each subpackage
imports its heavy dependencies when it is used.
"""

__version__ = "0.1.0"
