"""The studio serves its page, names every listener for the API, and answers through gradio_client."""

from __future__ import annotations

import zipfile

import httpx
import pytest

from tests.helpers.studio import Served


def _client(served: Served):
    from gradio_client import Client

    return Client(served.url, verbose=False)


def test_the_studio_serves_its_page(served: Served) -> None:
    response = httpx.get(served.url, timeout=30)
    assert response.status_code == 200
    assert "codebegen" in response.text


def test_every_listener_has_an_api_name(served: Served) -> None:
    unnamed = [fn for fn in served.app.fns.values() if fn.name != "<lambda>" and fn.fn and not fn.api_name]
    assert not unnamed, [fn.name for fn in unnamed]


def test_an_empty_prompt_is_a_readable_error(served: Served) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="The prompt is empty"):
        _client(served).predict("   ", "fastapi_sqlalchemy", "fake", api_name="/generate")


def test_a_broken_schema_is_refused_naming_the_problem(served: Served) -> None:
    from gradio_client.exceptions import AppError

    table = {"headers": ["entity", "owned", "field", "type", "required", "unique", "values"],
             "data": [["Task", False, "due", "datetimez", True, False, ""]]}  # fmt: skip
    relations = {"headers": ["source", "target", "kind", "required", "name"], "data": [["", "", "", False, ""]]}
    with pytest.raises(AppError, match="datetimez"):
        _client(served).predict(
            "todo", "", False, table, relations, "fastapi_sqlalchemy", "fake", api_name="/regenerate"
        )
    assert served.app.studio.history.list("local") == []  # refused before a run was recorded


@pytest.mark.slow
def test_the_api_generates_a_verified_project(served: Served) -> None:
    result = _client(served).predict(
        "A notes API: notes have a title and a body.", "fastapi_basic", "fake", api_name="/generate"
    )
    (archive_path,) = [v["value"] for v in result if isinstance(v, dict) and str(v.get("value", "")).endswith(".zip")]
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
    assert "notes/trust_report.json" in names and "notes/app/main.py" in names
    (row,) = served.app.studio.history.list("local")
    assert row.status == "passed" and row.template == "fastapi_basic"
