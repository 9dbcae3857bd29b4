"""The supervised model worker: a real process that really aborts, segfaults, is killed or hangs.

The fake backend runs inside the worker here (``worker: true``), so every test costs a process
start but no model load; ``fault`` is the hook that makes the worker die mid-decode.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from codebegen.errors import ModelCrashError, ModelError
from codebegen.models import load_profile
from codebegen.models.fake import DEMO_SPEC
from codebegen.models.worker import WorkerBackend, supervisor

USER = [{"role": "user", "content": "A notes API with notes."}]


def in_worker(**parser):
    return load_profile("fake", {"parser": {"worker": True, **parser}}).backend("parser")


def test_a_role_in_the_worker_streams_what_it_streams_in_process():
    from codebegen.models.base import StreamStats

    backend = in_worker()
    assert isinstance(backend, WorkerBackend)
    local = load_profile("fake").backend("parser")
    stats = StreamStats()
    deltas = list(backend.stream(USER, stats=stats))
    assert deltas == list(local.stream(USER)) and len(deltas) > 5
    assert stats.tokens_out == len(deltas) and stats.tokens_in > 0
    reply = backend.complete(USER, max_tokens=3)
    assert reply.finish_reason == "length" and reply.role == "parser"
    assert supervisor().pid not in (None, os.getpid())


def test_the_native_backends_run_in_the_worker_by_default():
    profile = load_profile("default")
    assert all(cfg.in_worker() for cfg in profile.roles.values())
    assert not any(cfg.in_worker() for cfg in load_profile("fake").roles.values())
    assert not load_profile("default", {"*": {"worker": False}}).roles["parser"].in_worker()


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("segv@3", "the model runtime crashed (signal 11, SIGSEGV) while decoding for the parser; the run was stopped"),
        ("abort@2", "the model runtime crashed (signal 6, SIGABRT) while decoding for the parser; the run was stopped"),
        ("kill", "the model runtime was killed (signal 9, SIGKILL: out of memory?) while decoding for the parser"),
        ("exit@4", "the model runtime exited (code 3) while decoding for the parser"),
    ],
)
def test_a_dying_worker_ends_the_call_not_this_process_and_the_next_call_restarts_it(fault, says):
    crashing = in_worker(fault=fault)
    seen = []
    with pytest.raises(ModelCrashError) as err:
        for delta in crashing.stream(USER):
            seen.append(delta)
    assert str(err.value).startswith(says), str(err.value)
    assert "the next run starts a fresh model worker" in err.value.hint
    assert len(seen) == int(fault.partition("@")[2] or 1)  # it died mid-decode, after N deltas
    starts = supervisor().starts
    assert in_worker().complete(USER).text.startswith('{"name": "notes"')
    assert supervisor().starts == starts + 1


def test_a_hung_worker_is_stopped_at_its_deadline():
    begun = time.monotonic()
    with pytest.raises(ModelCrashError, match=r"did not answer within 1 s while decoding for the parser"):
        in_worker(fault="hang@2", deadline_s=1).complete(USER)
    assert time.monotonic() - begun < 15
    assert not supervisor().alive()
    assert in_worker().complete(USER).tokens_out > 0


def test_a_consumer_that_stops_early_cancels_the_decode():
    backend = in_worker()
    deltas = backend.stream(USER)
    assert next(deltas)
    deltas.close()
    pid = supervisor().pid
    assert backend.complete(USER).text.startswith('{"name": "notes"') and supervisor().pid == pid


def test_an_engine_error_in_the_worker_arrives_as_itself():
    with pytest.raises(ModelError, match="no scripted reply left"):
        in_worker(script=[]).complete(USER)
    assert supervisor().alive()  # an ordinary error is no crash


def test_a_crash_during_one_call_lets_another_threads_call_go_on():
    results: dict[str, object] = {}

    def call(name: str, **parser) -> None:
        try:
            results[name] = in_worker(**parser).complete(USER).text
        except ModelCrashError as exc:
            results[name] = exc

    threads = [threading.Thread(target=call, args=("crash",), kwargs={"fault": "segv@5"}),
               threading.Thread(target=call, args=("fine",))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert isinstance(results["crash"], ModelCrashError)
    assert results["fine"] == __import__("json").dumps(DEMO_SPEC)


def test_a_script_without_a_main_guard_can_use_the_worker(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "plain.py"
    script.write_text("from codebegen.models import load_profile\n"
                      "b = load_profile('fake', {'parser': {'worker': True}}).backend('parser')\n"
                      "print('answer', b.complete([{'role': 'user', 'content': 'notes'}], max_tokens=2).text)\n")  # fmt: skip
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         cwd=__import__("codebegen").__path__[0] + "/..")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("answer") == 1


def test_the_worker_does_not_outlive_a_killed_host(tmp_path):
    import signal
    import subprocess
    import sys

    script = ("import os, signal\nfrom codebegen.models import load_profile\nfrom codebegen.models.worker import supervisor\n"
              "load_profile('fake', {'parser': {'worker': True}}).backend('parser')\n"
              "print(supervisor().pid, flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         cwd=__import__("codebegen").__path__[0] + "/..")  # fmt: skip
    assert run.returncode == -signal.SIGKILL, run.stderr
    pid = int(run.stdout.split()[0])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":  # exited, not yet reaped
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker {pid} still runs after its host was killed")
