"""The studio survives a model runtime that crashes: in real Chromium, with a real worker process.

One session picks a profile whose parser segfaults in the model worker (the ``fault`` test hook):
its page shows the error, the run is in History as failed with the reason, and its next Generate
works. Meanwhile another session's run, whose every model role runs in the same worker, goes on
and passes (its later calls get a fresh worker). The studio is the real one, served in-process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codebegen.studio.app import create_app, serve
from codebegen.studio.history import open_history
from tests.helpers.browser import (
    PROMPT,
    RUN_TIMEOUT_MS,
    enter_prompt,
    generate_and_wait,
    new_page,
    open_tab,
    table_cell,
)
from tests.helpers.studio import Served, free_port, screenshot

pytestmark = pytest.mark.slow

CRASH = "the model runtime crashed (signal 11, SIGSEGV) while decoding for the parser"


@pytest.fixture
def crash_served(studio_settings, tmp_path: Path) -> Iterator[Served]:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    faults = {"crash": {"fault": "segv@3"}, "abort": {"fault": "abort@2"}, "hang": {"fault": "hang@2", "deadline_s": 3}}
    paths = []
    for name, parser in faults.items():
        paths.append(profiles / f"{name}.json")
        paths[-1].write_text(json.dumps({"extends": "fake", "roles": {"parser": {"worker": True, **parser}}}))
    worker = profiles / "worker.json"
    worker.write_text(json.dumps({"extends": "fake", "defaults": {"worker": True}}))
    settings = studio_settings.model_copy(
        update={"profiles": ["fake", str(paths[0]), str(worker), *map(str, paths[1:])]}
    )
    app = create_app(settings)
    port = free_port()
    serve(app, port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield Served(f"http://127.0.0.1:{port}", app, settings)
    finally:
        app.close()


def test_a_crashing_model_runtime_fails_the_run_not_the_studio(crash_served: Served, browser: Any) -> None:
    crash, worker = crash_served.settings.profiles[1:3]
    other, mine = new_page(browser), new_page(browser)
    try:
        other.goto(crash_served.url)  # another session: every role in the worker, started first
        enter_prompt(other, profile=worker)
        other.locator("#generate").click()
        other.locator("#cancel").wait_for(state="visible")
        other.locator("#progress").get_by_text("verify", exact=False).first.wait_for(timeout=RUN_TIMEOUT_MS)

        mine.goto(crash_served.url)
        enter_prompt(mine, profile=crash)
        mine.locator("#generate").click()
        mine.get_by_text(CRASH).first.wait_for(timeout=RUN_TIMEOUT_MS)  # the page says what happened
        mine.locator("#generate").wait_for(state="visible")
        screenshot(mine, "crash-1-error")

        other.locator("#cancel").wait_for(state="hidden", timeout=RUN_TIMEOUT_MS)
        assert "Verified" in other.locator("#progress").inner_text()  # the other run went on

        rows = open_history(crash_served.settings.database).list("local")
        failed = [r for r in rows if r.profile == crash]
        assert [r.status for r in failed] == ["failed"] and CRASH in failed[0].error
        assert [r.status for r in rows if r.profile == worker] == ["passed"]

        open_tab(mine, "History")
        table_cell(mine, "#runs", failed[0].id).click()
        mine.locator("#run-detail").get_by_text(CRASH, exact=False).first.wait_for()
        assert "failed" in mine.locator("#runs").inner_text()
        screenshot(mine, "crash-2-history")

        open_tab(mine, "Generate")
        enter_prompt(mine, PROMPT, profile=worker)  # the next Generate works, on a fresh worker
        run_id = generate_and_wait(mine)
        assert re.fullmatch(r"[0-9a-f]{12}", run_id)
        screenshot(mine, "crash-3-next-run")
    finally:
        for pg in (other, mine):
            pg.context.close()


@pytest.mark.parametrize(
    ("which", "says"),
    [("abort", "the model runtime crashed (signal 6, SIGABRT) while decoding for the parser"),
     ("hang", "the model runtime did not answer within 3 s while decoding for the parser")],
)  # fmt: skip
def test_an_aborting_or_hanging_model_runtime_is_a_failed_run(crash_served: Served, page: Any, which, says) -> None:
    profile = next(p for p in crash_served.settings.profiles if p.endswith(f"{which}.json"))
    page.goto(crash_served.url)
    enter_prompt(page, profile=profile)
    page.locator("#generate").click()
    page.get_by_text(says).first.wait_for(timeout=RUN_TIMEOUT_MS)
    page.locator("#generate").wait_for(state="visible")
    rows = open_history(crash_served.settings.database).list("local")
    assert [(r.status, says in r.error) for r in rows] == [("failed", True)]
    screenshot(page, f"crash-{which}")
