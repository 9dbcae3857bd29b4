"""Versions in the studio, in real headless Chromium: iterate the open project, then compare two versions.

The fake profile answers for the models; the iteration itself (the change read, the merge, the
new migration, the gate on the merged copy) is real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from codebegen.studio.history import open_history
from tests.helpers.browser import RUN_TIMEOUT_MS, download, enter_prompt, generate_and_wait, open_tab, zip_files
from tests.helpers.studio import Served, screenshot

pytestmark = pytest.mark.slow


def test_a_person_iterates_the_open_project_and_compares_two_versions(
    served: Served, page: Any, tmp_path: Path
) -> None:
    page.goto(served.url)
    enter_prompt(page)
    first = generate_and_wait(page)

    # the follow-up box: the spec diff first, nothing written until Apply
    page.locator("#follow-up textarea").fill("add a priority (low, normal, high) to notes")
    page.locator("#iterate-preview").click()
    expect(page.locator("#iterate-diff")).to_contain_text("+ field Note.priority added: enum(low, normal, high)")
    screenshot(page, "versions-1-preview")
    expect(page.locator("#iterate-apply")).to_be_visible()
    second = generate_and_wait(page, "#iterate-apply", timeout=RUN_TIMEOUT_MS)
    assert second != first
    assert "iterated" in page.locator("#progress").inner_text()
    assert "priority" in page.locator("#entities").inner_text()
    archive = zip_files(download(page, "#download", tmp_path / "v2.zip"))
    assert any(name.startswith("notes/alembic/versions/0002_") for name in archive)
    fields = [f["name"] for f in json.loads(archive["notes/codebegen.json"])["entities"][0]["fields"]]
    assert "priority" in fields

    history = open_history(served.settings.database)
    project = history.project_of("local", second)
    assert project == (first, 2)
    assert [(v.run_id, v.version) for v in history.versions("local", first)] == [(first, 1), (second, 2)]

    # History: pick the new version, compare it with the first
    open_tab(page, "History")
    page.locator("#run-pick input").click()
    page.get_by_role("option").filter(has_text=second).first.click()
    expect(page.locator("#compare-a input")).to_have_value(f"v1 · passed · {history.get('local', first).prompt[:50]}")
    page.locator("#compare").click()
    expect(page.locator("#compare-spec")).to_contain_text("+ field Note.priority added")
    expect(page.locator("#compare-spec")).to_contain_text("alembic/versions/0002_")
    expect(page.locator("#compare-spec")).to_contain_text("app/models/note.py (+")
    expect(page.locator("#compare-files")).to_contain_text("+++ b/")
    screenshot(page, "versions-2-compare")
