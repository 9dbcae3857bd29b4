"""Studio latency and memory, measured the way a person meets them: in a browser.

    python -m benchmarks.studio [--profile default] [--runs 1] [--port 7861]

Starts ``codebegen studio`` as its own process (fresh data dir, the usual engine cache),
drives it with Playwright in Debian's chromium and reports per run: click -> Cancel shown
(the page acknowledged the click), click -> first pipeline event on the page (the parse stage
shown), click -> first model token on the page, click -> done; and the studio process's
resident memory (VmRSS) idle after start and after the runs, and its peak (VmHWM).
The first run of a process includes loading the model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PROMPT = "A notes API: users register and log in; each note has a title and a body and belongs to its author."
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def memory_mib(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def wait_serving(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the studio did not answer at {url}")


def one_run(page, profile: str, timeout_s: float) -> dict[str, float | bool]:
    page.locator("#prompt textarea").fill(PROMPT)
    page.locator("#profile input").click()
    page.get_by_role("option", name=profile, exact=True).click()
    output = page.locator("#model-output textarea")
    start = time.perf_counter()
    page.locator("#generate").click()
    marks: dict[str, float | bool] = {}
    deadline = start + timeout_s
    while time.perf_counter() < deadline:
        now = time.perf_counter() - start
        if "ack_s" not in marks:
            if page.locator("#cancel").is_visible():  # the first draw of the run (it clears the tabs)
                marks["ack_s"] = now
            time.sleep(0.02)
            continue
        progress = page.locator("#progress").inner_text()
        if "first_event_s" not in marks and ("Running parse" in progress or "✓ parse" in progress):
            marks["first_event_s"] = now
        if "first_token_s" not in marks and output.input_value():
            marks["first_token_s"] = now
        if page.locator("#cancel").is_hidden():
            marks["done_s"] = time.perf_counter() - start
            marks["verified"] = "Verified" in page.locator("#progress").inner_text()
            break
        time.sleep(0.05)
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--port", type=int, default=7861)
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    data = Path(tempfile.mkdtemp(prefix="codebegen-bench-studio-"))
    env = os.environ | {"CODEBEGEN_STUDIO_DATA_DIR": str(data), "GRADIO_ANALYTICS_ENABLED": "False"}
    url = f"http://127.0.0.1:{args.port}"
    begun = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "codebegen.cli", "studio", "--port", str(args.port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_serving(url)
        result: dict[str, object] = {"profile": args.profile, "startup_s": round(time.perf_counter() - begun, 1)}
        result["idle_mib"] = memory_mib(proc.pid)
        runs = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url)
            page.get_by_text("Model output", exact=True).click()  # open the live model output
            for _ in range(args.runs):
                runs.append({k: round(v, 2) if isinstance(v, float) else v
                             for k, v in one_run(page, args.profile, args.timeout).items()})  # fmt: skip
            browser.close()
        result["runs"] = runs
        result["after_mib"] = memory_mib(proc.pid)
        print(json.dumps(result, indent=2))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
