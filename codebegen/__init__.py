"""codebegen's engine: prompt or ProjectSpec in, a verified FastAPI project out, as events.

The public front door for notebooks, the CLI and the studio (which only consume events; the
engine never imports them)::

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

from codebegen.errors import EngineError
from codebegen.events import STAGES, Done, Event
from codebegen.gate.verify import verify
from codebegen.generate import GenerateResult, generate_project
from codebegen.iteration.iterate import iterate
from codebegen.pipeline import collect, load_backends, run
from codebegen.spec import ProjectSpec, load_spec, parse_spec, spec_json_schema
from codebegen.templates import DEFAULT_TEMPLATE, list_templates

__all__ = [
    "DEFAULT_TEMPLATE",
    "STAGES",
    "Done",
    "EngineError",
    "Event",
    "GenerateResult",
    "ProjectSpec",
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
