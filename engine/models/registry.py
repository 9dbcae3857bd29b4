"""The backend registry: a dict from the name a profile uses to the class that answers.

Importing it loads no heavy library: ``LocalBackend`` imports torch only when it opens.
Add a backend by adding an entry (its class implements ``Backend.open`` and ``Backend.stream``).
"""

from __future__ import annotations

from engine.models.base import Backend
from engine.models.fake import FakeBackend
from engine.models.llamacpp import LlamaCppBackend
from engine.models.local import LocalBackend
from engine.models.remote import RemoteBackend

BACKENDS: dict[str, type[Backend]] = {
    "local": LocalBackend,
    "llamacpp": LlamaCppBackend,
    "remote": RemoteBackend,
    "fake": FakeBackend,
}
