"""codebegen's engine: ProjectSpec, templates, generation and the verification gate.

The public front door. Studio, CLI and notebooks import from here (or the named modules);
the engine never imports them.
"""

from engine.errors import EngineError
from engine.generate import GenerateResult, generate_project
from engine.spec import ProjectSpec, load_spec, parse_spec, spec_json_schema
from engine.templates import DEFAULT_TEMPLATE, list_templates
from engine.verify import verify

__all__ = [
    "DEFAULT_TEMPLATE",
    "EngineError",
    "GenerateResult",
    "ProjectSpec",
    "generate_project",
    "list_templates",
    "load_spec",
    "parse_spec",
    "spec_json_schema",
    "verify",
]
