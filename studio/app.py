"""The studio's Gradio app: ``create_app()`` builds it, ``launch()`` serves it.

Until the pipeline and the full studio land (prompt box, live stage tabs, history), this page
generates a verified project from a ProjectSpec JSON and offers it as a ZIP with its trust
report. It only calls ``engine``; an EngineError becomes ``gr.Error`` here and nowhere else.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import gradio as gr

from engine import templates
from engine.errors import EngineError, VerificationError
from engine.generate import generate_project
from engine.spec import parse_spec

EXAMPLE_SPEC = {
    "name": "library",
    "description": "Lending library API",
    "auth": True,
    "entities": [
        {"name": "Book", "fields": [{"name": "title", "type": "str"}, {"name": "isbn", "type": "str", "unique": True}]},
        {"name": "Loan", "owned": True, "fields": [{"name": "due_date", "type": "date"}]},
    ],
    "relationships": [{"source": "Loan", "target": "Book", "kind": "many_to_one", "required": True}],
}


def _runtime_cache() -> Path:
    return Path(os.environ.get("CODEBEGEN_HOME", Path.home() / ".cache" / "codebegen")).expanduser() / "runtimes"


def generate_from_spec(spec_text: str, template: str) -> tuple[str, str | None]:
    """Handler: spec JSON in, (trust report markdown, ZIP path) out."""
    try:
        data = json.loads(spec_text)
    except json.JSONDecodeError as exc:
        raise gr.Error(f"The spec is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    work = Path(tempfile.mkdtemp(prefix="codebegen-studio-"))
    try:
        spec = parse_spec(data)
        result = generate_project(spec, work / spec.name, template=template, cache_dir=_runtime_cache())
    except VerificationError as exc:
        report = exc.report.to_markdown() if exc.report is not None else ""
        raise gr.Error(f"{exc}\n\n{report}") from None
    except EngineError as exc:
        raise gr.Error(str(exc)) from None
    archive = shutil.make_archive(str(work / spec.name), "zip", root_dir=work, base_dir=spec.name)
    return (result.report.to_markdown() if result.report else "(not verified)"), archive


def create_app() -> gr.Blocks:
    with gr.Blocks(title="codebegen studio") as app:
        gr.Markdown(
            "# codebegen studio\n"
            "Paste a ProjectSpec (CONTRACT §2), pick a template, and get a FastAPI project that "
            "passed the verification gate. Prompt-to-project with live stages is coming with the pipeline."
        )
        with gr.Row():
            spec_box = gr.Code(value=json.dumps(EXAMPLE_SPEC, indent=2), language="json", label="ProjectSpec")
            with gr.Column():
                template = gr.Dropdown(templates.list_templates(), value=templates.DEFAULT_TEMPLATE, label="Template")
                button = gr.Button("Generate", variant="primary")
                download = gr.File(label="Project (ZIP)")
        report = gr.Markdown(label="Trust report")
        button.click(generate_from_spec, [spec_box, template], [report, download], api_name="generate_from_spec")
    return app


def launch(host: str = "127.0.0.1", port: int = 7860) -> None:
    create_app().queue(default_concurrency_limit=2).launch(server_name=host, server_port=port)
