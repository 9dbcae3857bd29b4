"""``import codebegen``: the supported surface, pinned. A name added or removed is a decision.

Changing this list means changing what users' code may rely on: update the docs and the
changelog with it.
"""

from __future__ import annotations

import subprocess
import sys

import codebegen
from codebegen import errors

PUBLIC = {
    # running the pipeline
    "run", "collect", "load_backends", "generate_project", "GenerateResult", "verify", "iterate",
    # the ProjectSpec
    "ProjectSpec", "load_spec", "parse_spec", "spec_json_schema",
    # templates
    "DEFAULT_TEMPLATE", "list_templates",
    # the events the pipeline yields
    "STAGES", "Event", "StageStarted", "TokenDelta", "SpecArtifact", "FileArtifact", "Finding",
    "DocumentArtifact", "StageFinished", "Warning", "Coverage", "Failure", "Done",
    # the error tree
    "EngineError", "SpecError", "TemplateError", "OutputError", "RuntimeEnvError", "VerificationError",
    "ModelError", "ModelCrashError", "PromptError", "MigrationError", "ExportError", "ExportConflict",
    "GitHubError",
    "__version__",
}  # fmt: skip


def test_the_public_surface_is_pinned() -> None:
    assert set(codebegen.__all__) == PUBLIC
    assert len(codebegen.__all__) == len(set(codebegen.__all__))
    for name in codebegen.__all__:
        assert getattr(codebegen, name) is not None, name


def test_the_whole_error_tree_is_exported() -> None:
    """A caller catches any error of the library by the names the front door gives."""
    tree = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.EngineError) and value.__module__ == errors.__name__
    }
    assert tree and tree <= set(codebegen.__all__), sorted(tree - set(codebegen.__all__))


def test_every_error_is_an_engine_error() -> None:
    for name in PUBLIC:
        value = getattr(codebegen, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, codebegen.EngineError), name


def test_the_version_is_the_distributions() -> None:
    assert codebegen.__version__.count(".") >= 2


def test_importing_the_library_loads_no_face_and_no_model_runtime() -> None:
    """``import codebegen`` is for scripts and notebooks: no Gradio, no torch, no llama.cpp."""
    code = (
        "import sys, codebegen; "
        "print(sorted(m for m in ('gradio', 'torch', 'transformers', 'llama_cpp', 'duckdb', 'codebegen.studio', "
        "'codebegen.cli') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
