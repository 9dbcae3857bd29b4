"""codebegen: a prompt or a ProjectSpec in, a verified FastAPI project out, as typed events.

The public front door for notebooks, scripts, the CLI and the studio. Everything listed in
``__all__`` is the supported surface (``tests/test_public_api.py`` pins it); the subpackages
(``codebegen.gate``, ``codebegen.iteration``, ``codebegen.studio`` ...) are importable too but
may change between releases. The library never imports its faces (the studio, the CLI)::

    import codebegen
    for event in codebegen.run("A blog API with posts and comments", template="fastapi_sqlalchemy", profile="default"):
        print(event)
    for event in codebegen.iterate("out/blog", "add a due date to posts", no_models=True):
        print(event)

The package in layers, top down; a module imports only from layers below its own (the
contracts in pyproject.toml's ``[tool.importlinter]``, run by tests/test_architecture.py):

    cli
    doctor | studio
    pipeline | iteration | export | preview | evaluation | training
    generate | stages | backends
    workspace
    merge_base
    gate | parsing | models
    templates | prompts | diagram
    context
    spec
    errors | events | names

This module, the front door, re-exports from the layers below cli and is in none of them.
"""

from codebegen.errors import (
    EngineError,
    ExportConflict,
    ExportError,
    GitHubError,
    MigrationError,
    ModelCrashError,
    ModelError,
    OutputError,
    PromptError,
    RuntimeEnvError,
    SpecError,
    TemplateError,
    VerificationError,
)
from codebegen.events import (
    STAGES,
    Coverage,
    DocumentArtifact,
    Done,
    Event,
    Failure,
    FileArtifact,
    Finding,
    SpecArtifact,
    StageFinished,
    StageStarted,
    TokenDelta,
    Warning,  # noqa: A004 - the pipeline's warning event, exported under its own name
)
from codebegen.gate.verify import verify
from codebegen.generate import GenerateResult, generate_project
from codebegen.iteration.iterate import iterate
from codebegen.pipeline import collect, load_backends, run
from codebegen.spec import ProjectSpec, load_spec, parse_spec, spec_json_schema
from codebegen.templates import DEFAULT_TEMPLATE, codebegen_version, list_templates

__version__ = codebegen_version()

__all__ = [
    "DEFAULT_TEMPLATE",
    "STAGES",
    "Coverage",
    "DocumentArtifact",
    "Done",
    "EngineError",
    "Event",
    "ExportConflict",
    "ExportError",
    "Failure",
    "FileArtifact",
    "Finding",
    "GenerateResult",
    "GitHubError",
    "MigrationError",
    "ModelCrashError",
    "ModelError",
    "OutputError",
    "ProjectSpec",
    "PromptError",
    "RuntimeEnvError",
    "SpecArtifact",
    "SpecError",
    "StageFinished",
    "StageStarted",
    "TemplateError",
    "TokenDelta",
    "VerificationError",
    "Warning",
    "__version__",
    "collect",
    "generate_project",
    "iterate",
    "list_templates",
    "load_backends",
    "load_spec",
    "parse_spec",
    "run",
    "spec_json_schema",
    "verify",
]
