"""RemoteBackend against a real OpenAI-compatible server: ``transformers serve`` with the embedded model."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from threading import Thread

import pytest

from codebegen.models import ModelError, RemoteBackend, load_profile
from tests.helpers import free_port

USER = [{"role": "user", "content": "Say hello to the library members."}]


@pytest.fixture(scope="module")
def server(model_cache):
    pytest.importorskip("openai", reason="transformers serve needs transformers[serving]")
    from codebegen.models import embedded

    directory = embedded.converted_dir(embedded.embedded_gguf(), model_cache)
    port = free_port()
    cli = Path(sys.executable).parent / "transformers"
    proc = subprocess.Popen(
        [str(cli), "serve", str(directory), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("transformers serve did not start in 120 s")
        yield f"http://127.0.0.1:{port}/v1", str(directory)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.model
@pytest.mark.slow
def test_complete_and_stream_against_transformers_serve(server):
    base_url, model = server
    profile = load_profile("remote", {"*": {"base_url": base_url, "model": model, "timeout_s": 120}})
    backend = profile.backend("docs")
    reply = backend.complete(USER, max_tokens=12)
    assert reply.text.strip() and reply.model == model and 0 < reply.tokens_out <= 12
    deltas = list(backend.stream(USER, max_tokens=12))
    assert len(deltas) > 2 and "".join(deltas).strip()


def test_a_server_that_is_not_there_is_a_model_error_with_a_hint():
    backend = RemoteBackend(f"http://127.0.0.1:{free_port()}/v1", "m", timeout_s=2, retries=2, sleep=lambda s: None)
    with pytest.raises(ModelError, match="did not answer") as info:
        backend.complete(USER)
    assert "after 3 tries" in str(info.value) and "base_url" in str(info.value)


class _Flaky(BaseHTTPRequestHandler):
    """Answers 503 twice, then one SSE reply: only the retry policy is under test here."""

    hits = 0

    def do_POST(self):  # noqa: N802
        type(self).hits += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if type(self).hits <= 2:
            self.send_response(503)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(
            b'data: {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]}\n\ndata: [DONE]\n\n'
        )

    def log_message(self, *args):
        pass


def test_5xx_is_retried_with_backoff():
    httpd = HTTPServer(("127.0.0.1", 0), _Flaky)
    Thread(target=httpd.serve_forever, daemon=True).start()
    waits: list[float] = []
    try:
        backend = RemoteBackend(f"http://127.0.0.1:{httpd.server_port}/v1", "m", retries=3, sleep=waits.append)
        assert backend.complete(USER).text == "ok"
    finally:
        httpd.shutdown()
    assert waits == [0.5, 1.0]
