"""The backend registry: a dict from the name a profile uses to the class that answers.

Importing it loads no heavy library: ``LocalBackend`` imports torch only when it opens.
Add a backend by adding an entry (its class implements ``Backend.open`` and ``Backend.stream``).
"""

from __future__ import annotations

from codebegen.models.base import Backend
from codebegen.models.fake import FakeBackend
from codebegen.models.llamacpp import LlamaCppBackend
from codebegen.models.local import LocalBackend
from codebegen.models.remote import RemoteBackend

BACKENDS: dict[str, type[Backend]] = {
    "local": LocalBackend,
    "llamacpp": LlamaCppBackend,
    "remote": RemoteBackend,
    "fake": FakeBackend,
}
