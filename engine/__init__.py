"""codebegen's engine: prompt or ProjectSpec in, a verified FastAPI project out, as events.

The public front door for notebooks, the CLI and the studio (which only consume events; the
engine never imports them)::

    import engine
    for event in engine.run("A blog API with posts and comments", template="fastapi_sqlalchemy", profile="default"):
        print(event)
    for event in engine.iterate("out/blog", "add a due date to posts", no_models=True):
        print(event)
"""

from engine.errors import EngineError
from engine.events import STAGES, Done, Event
from engine.gate.verify import verify
from engine.generate import GenerateResult, generate_project
from engine.iteration.iterate import iterate
from engine.pipeline import collect, load_backends, run
from engine.spec import ProjectSpec, load_spec, parse_spec, spec_json_schema
from engine.templates import DEFAULT_TEMPLATE, list_templates

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
