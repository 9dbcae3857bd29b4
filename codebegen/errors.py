"""The one error tree of codebegen. Every message says what happened and what to do next.

    EngineError
     ├── SpecError          a ProjectSpec (or its JSON) is invalid; .problems lists each one
     ├── TemplateError      unknown template, broken manifest, a spec feature it cannot honour
     ├── OutputError        the output directory is not empty, not writable, ...
     ├── RuntimeEnvError    the verification runtime environment could not be built
     ├── VerificationError  a generated project failed the gate; .report holds the trust report
     ├── ModelError         missing weights or adapter, a server that does not answer, out of memory
     │    └── ModelCrashError   the model runtime (native code) crashed, was killed or hung; the run stops
     ├── PromptError        a prompt with nothing to build (empty, too long, not a backend)
     ├── MigrationError     iterate could not make the new migration (rows it cannot take, autogenerate failed)
     └── ExportError        a project could not be exported to a git remote or GitHub
          ├── ExportConflict  the new version conflicts with edits on the branch; .files lists them
          └── GitHubError     the GitHub API refused a call; .status is its HTTP status

The CLI turns these into one line and a non-zero exit; the studio into ``gr.Error``.
Nothing else is caught at those edges, so a bug still shows its traceback.
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base of every error codebegen raises on purpose."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class SpecError(EngineError):
    """A ProjectSpec is invalid. ``problems`` holds one readable line per problem."""

    def __init__(self, problems: list[str], *, hint: str = "fix the spec and try again") -> None:
        self.problems = problems
        head = problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + "; ".join(problems)
        super().__init__(f"invalid spec: {head}", hint=hint)


class TemplateError(EngineError):
    """A template is unknown, its manifest is broken, or it cannot honour a spec feature."""


class OutputError(EngineError):
    """The output directory cannot take the project."""


class RuntimeEnvError(EngineError):
    """The runtime environment the gate runs projects in could not be built."""


class VerificationError(EngineError):
    """A generated project failed the verification gate."""

    def __init__(self, message: str, *, report: Any = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.report = report


class ModelError(EngineError):
    """A model could not be loaded or did not answer."""


class ModelCrashError(ModelError):
    """The model worker process died (a signal, an exit) or passed its deadline during a call.

    ``signal`` is the signal number that ended it (None for a hang or a plain exit), ``role`` the
    role it was answering, ``phase`` "loading" or "decoding". The next call starts a fresh worker.
    """

    def __init__(self, message: str, *, hint: str = "", signal: int | None = None, role: str = "",
                 phase: str = "decoding") -> None:  # fmt: skip
        super().__init__(message, hint=hint)
        self.signal, self.role, self.phase = signal, role, phase


class PromptError(EngineError):
    """A prompt that describes nothing codebegen can build."""


class MigrationError(EngineError):
    """The new revision could not be made (a change existing rows cannot take, a failing autogenerate)."""


class ExportError(EngineError):
    """A project could not be pushed to a git remote (or GitHub); nothing was changed there."""


class ExportConflict(ExportError):
    """The new version conflicts with changes made on the branch. ``files`` lists the paths."""

    def __init__(self, message: str, *, files: list[str], hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.files = files


class GitHubError(ExportError):
    """The GitHub API answered a call with an error. ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
