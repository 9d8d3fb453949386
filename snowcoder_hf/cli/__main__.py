"""`python -m snowcoder_hf.cli`: the same entry point as the `snowcoder` script."""

import sys

from snowcoder_hf.cli.main import main

sys.exit(main())
