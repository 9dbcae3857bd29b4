"""``python -m codebegen.training`` — the same as ``codebegen train``."""

import sys

from codebegen.training.command import main

sys.exit(main())
