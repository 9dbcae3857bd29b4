"""The studio's REST API under load: request latency, SSE time to first event, N concurrent clients.

    python -m benchmarks.api [--clients 20] [--requests 50] [--port 7862] [--template fastapi_basic]

Starts ``codebegen studio`` as its own process (a fresh data dir, the scripted ``fake`` models,
the real gate), creates an API key with ``codebegen keys create`` first (the DuckDB file has
one writer process), then measures over HTTP with httpx:

- request latency: ``GET /api/v1/projects`` and ``GET /api/v1/generations/{id}``, sequential;
- one generation alone: ``POST`` -> ``202``, and POST -> first SSE event, POST -> ``Done``;
- ``--clients`` clients at once, each: POST a generation, read its events to ``Done``, GET its
  status and its ZIP; a client fails on any non-2xx answer, a missing ``Done``, a run that is
  not ``verified`` or an empty ZIP. Meanwhile a prober times ``GET /projects`` under that load.

Prints one JSON object. Percentiles are nearest-rank.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

PROMPT = "A notes API: notes have a title and a body."


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 4) if ordered else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "max": round(max(values), 4)}


def generation(base: str, headers: dict[str, str], template: str) -> dict[str, Any]:
    """One client's generation: POST, SSE to Done, status, ZIP; timings and whether it all worked."""
    out: dict[str, Any] = {"ok": False}
    with httpx.Client(base_url=base, headers=headers, timeout=900) as api:
        start = time.perf_counter()
        created = api.post("/generations", json={"prompt": PROMPT, "template": template, "profile": "fake"})
        out["post_s"] = time.perf_counter() - start
        if created.status_code != 202:
            out["error"] = f"POST {created.status_code} {created.text[:200]}"
            return out
        run_id = created.json()["id"]
        last = None
        with api.stream("GET", f"/generations/{run_id}/events") as events:
            for line in events.iter_lines():
                if line.startswith("data: "):
                    if "first_event_s" not in out:
                        out["first_event_s"] = time.perf_counter() - start
                    last = json.loads(line[6:])
        out["done_s"] = time.perf_counter() - start
        status = api.get(f"/generations/{run_id}").json()["status"]
        archive = api.get(f"/generations/{run_id}/archive")
        out["ok"] = bool(last and last["type"] == "Done" and last["ok"] and status == "verified"
                         and archive.status_code == 200 and len(archive.content) > 1000)  # fmt: skip
        if not out["ok"]:
            out["error"] = f"last={last and last['type']} status={status} archive={archive.status_code}"
        out["id"] = run_id
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--port", type=int, default=7862)
    parser.add_argument("--template", default="fastapi_basic")
    args = parser.parse_args(argv)

    data = Path(tempfile.mkdtemp(prefix="codebegen-bench-api-"))
    env = os.environ | {"CODEBEGEN_STUDIO_DATA_DIR": str(data), "CODEBEGEN_STUDIO_PROFILE": "fake",
                        "GRADIO_ANALYTICS_ENABLED": "False"}  # fmt: skip
    cli = [sys.executable, "-m", "codebegen.cli"]
    made = subprocess.run([*cli, "keys", "create", "bench"], env=env, capture_output=True, text=True, check=True)
    key = made.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    log = (data / "studio.log").open("ab")
    started = time.perf_counter()
    proc = subprocess.Popen([*cli, "studio", "--port", str(args.port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{args.port}/api/v1"
    result: dict[str, Any] = {"clients": args.clients, "template": args.template}
    try:
        while True:
            try:
                if httpx.get(f"{base}/projects", headers=headers, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - started > 180:
                raise SystemExit("the studio did not start")
            time.sleep(0.2)
        result["startup_s"] = round(time.perf_counter() - started, 2)

        alone = generation(base, headers, args.template)  # also warms the gate's environment
        result["one_generation"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in alone.items()}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
            for path in ("/projects", f"/generations/{alone['id']}"):
                times = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    assert api.get(path).status_code == 200
                    times.append(time.perf_counter() - t)
                result[f"latency GET {path.split('/')[1]} idle"] = summary(times)

        outcomes: list[dict[str, Any]] = [{} for _ in range(args.clients)]
        probe: list[float] = []
        stop = threading.Event()

        def client(i: int) -> None:
            try:
                outcomes[i] = generation(base, headers, args.template)
            except Exception as exc:  # noqa: BLE001 - a failed client is a result
                outcomes[i] = {"ok": False, "error": repr(exc)}

        def prober() -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=30) as api:
                while not stop.is_set():
                    t = time.perf_counter()
                    api.get("/projects")
                    probe.append(time.perf_counter() - t)
                    time.sleep(0.25)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        probe_thread = threading.Thread(target=prober)
        t0 = time.perf_counter()
        probe_thread.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        probe_thread.join()
        ok = [o for o in outcomes if o.get("ok")]
        result["concurrent"] = {
            "wall_s": round(time.perf_counter() - t0, 1),
            "failed": len(outcomes) - len(ok),
            "errors": [o.get("error") for o in outcomes if not o.get("ok")][:5],
            "post_s": summary([o["post_s"] for o in outcomes if "post_s" in o]),
            "first_event_s": summary([o["first_event_s"] for o in outcomes if "first_event_s" in o]),
            "done_s": summary([o["done_s"] for o in ok]),
            "GET /projects under load": summary(probe),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    print(json.dumps(result, indent=2))
    return 0 if result.get("concurrent", {}).get("failed", 1) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
