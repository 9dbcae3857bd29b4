"""The Schema tab's prompt-coverage panel in real headless Chromium (the fake models, a real gate).

A run whose spec carries everything the prompt asks for shows "all ... items"; after a person
renames the prompt's ``title`` in the Schema table and regenerates, the panel marks
``Note.title`` as not in the spec, with the prompt's words, and the run's verdict says so too:
"✓ Verified — ⚠ 1 thing from the prompt is not in the spec", not the plain "✓ Verified".
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers.browser import enter_prompt, generate_and_wait, open_tab
from tests.helpers.studio import Served, screenshot

pytestmark = pytest.mark.slow

PROMPT = "A notes API: users log in; each note has a title and a body."


def test_the_schema_tab_highlights_what_the_prompt_asks_for_and_the_spec_lacks(served: Served, page: Any) -> None:
    page.goto(served.url)
    enter_prompt(page, PROMPT)
    generate_and_wait(page)
    panel = page.locator("#prompt-coverage")
    expect(panel).to_contain_text("all 4 items the prompt asks for are in the spec")
    assert panel.locator(".not-covered").count() == 0
    assert "NOT in the spec" not in page.locator("#progress").inner_text()
    assert "✓ Verified" in page.locator("#progress").inner_text() and "⚠" not in page.locator("#progress").inner_text()

    cell = page.locator("#entities [data-testid='cell-0-2']")  # Note's first field: title
    expect(cell).to_contain_text("title")
    cell.dblclick()
    editor = cell.locator("textarea, input").first
    editor.fill("headline")
    editor.press("Enter")
    expect(cell).to_contain_text("headline")
    generate_and_wait(page, "#regenerate")

    expect(panel).to_contain_text("1 of 4 items the prompt asks for are NOT in the spec")
    missing = panel.locator(".not-covered")
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text("not in the spec: Note.title")
    expect(missing).to_contain_text("a title")
    progress = page.locator("#progress").inner_text()
    assert "✓ Verified — ⚠ 1 thing from the prompt is not in the spec" in progress  # not the plain "✓ Verified"
    assert "NOT in the spec though the prompt asks for it: Note.title" in progress
    screenshot(page, "coverage-not-covered")
    open_tab(page, "Review")
    expect(page.locator("#review-summary")).to_contain_text(
        "✓ Verification passed — ⚠ 1 thing from the prompt is not in the spec"
    )
