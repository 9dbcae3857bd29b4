"""The studio starts, serves its page, and its API generates a verified project."""

from __future__ import annotations

import json
import socket
import zipfile
from pathlib import Path

import httpx
import pytest

from studio.app import EXAMPLE_SPEC, create_app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served_studio():
    app = create_app()
    port = _free_port()
    app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.close()


def test_the_studio_serves_its_page(served_studio: str) -> None:
    response = httpx.get(served_studio, timeout=30)
    assert response.status_code == 200
    assert "codebegen" in response.text


@pytest.mark.slow
def test_the_api_returns_a_verified_zip(
    served_studio: str, monkeypatch: pytest.MonkeyPatch, runtime_cache: Path
) -> None:
    from gradio_client import Client

    monkeypatch.setenv("CODEBEGEN_HOME", str(runtime_cache.parent))
    client = Client(served_studio, verbose=False)
    spec = EXAMPLE_SPEC | {"entities": EXAMPLE_SPEC["entities"][:1], "relationships": [], "auth": False}
    report, archive = client.predict(json.dumps(spec), "fastapi_sqlalchemy", api_name="/generate_from_spec")
    assert "Verification passed" in report
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
    assert "library/trust_report.json" in names and "library/app/main.py" in names


def test_bad_json_is_a_readable_error(served_studio: str) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(served_studio, verbose=False)
    with pytest.raises(AppError, match="not valid JSON"):
        client.predict("{nope", "fastapi_sqlalchemy", api_name="/generate_from_spec")
