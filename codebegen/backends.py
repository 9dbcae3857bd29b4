"""The backends a run asks: one per role, for a profile name or profile file.

Owns ``load_backends``, which both the pipeline (``codebegen.pipeline.run``) and iteration
(``codebegen.iteration.iterate``, for the parser role) call when they are not handed ready-made
backends: the profile is loaded through ``codebegen.models`` and each role's backend opened
once per process. Importing this module imports no model code; the model layer is imported
only when backends are loaded, and a model layer that cannot be imported is a ``ModelError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codebegen.errors import ModelError

ROLES = ("parser", "generator", "reviewer", "docs")


def load_backends(profile: str, overrides: Any = None, cache_dir: Path | None = None) -> dict[str, Any]:
    """One backend per role for a profile name (or profile file), loaded once per process."""
    try:
        from codebegen import models  # the model layer is heavy; import it only when a run needs it
    except ImportError as exc:
        raise ModelError(
            f"the model layer cannot be loaded: {exc}",
            hint="install the models extra: pip install 'codebegen[models]' (in a checkout: make install)",
        ) from None

    loaded = models.load_profile(profile, overrides)
    return {role: loaded.backend(role) for role in ROLES}


__all__ = ["ROLES", "load_backends"]
