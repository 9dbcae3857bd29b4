"""``python -m engine.training`` — the same as ``codebegen train``."""

import sys

from engine.training.command import main

sys.exit(main())
